// End to end: the real bin, spawned in temporary trees (plain directories and git repositories). What is
// checked here is the user-facing contract (CONTRACT.md): discovery, dry run vs --write vs --check, exit
// statuses, the report formats, custom transform modules, and the guard as a user meets it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILTIN_ORDER } from '../transforms/index.js';
import { BIN, ROOT, ENV, hasGit, tmpInsideGit, tmp, write, read, cli, cliP, cliJson, cliJsonP, git, gitInit } from './helpers.js';
import type { JsonReport, Run } from './helpers.js';

const SUPPORT = path.join(ROOT, 'test', 'support');
const T = {
  mjs: path.join(SUPPORT, 'upper-from.mjs'),
  cjs: path.join(SUPPORT, 'upper-from.cjs'),
  ts: path.join(SUPPORT, 'upper-from-ts.ts'),
  append: path.join(SUPPORT, 'append-comment.mjs'),
  unterminated: path.join(SUPPORT, 'unterminated-heredoc.mjs'),
  throws: path.join(SUPPORT, 'throws.mjs'),
  emit: path.join(SUPPORT, 'emit-dockerignore.mjs'),
};
const SYNTAX = '# syntax=docker/dockerfile:1';
const PKG_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// ------------------------------------------------------------------------------------------------
// helpers

interface Entry {
  bytes: Buffer;
  mtimeNs: bigint;
  mode: number;
  link?: string;
}

/** Every file (and symlink) under root except inside .git: bytes, mtime, mode. */
function snapshot(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (dir: string, prefix: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') walk(abs, rel);
        continue;
      }
      const st = fs.lstatSync(abs, { bigint: true });
      if (e.isSymbolicLink()) out.set(rel, { bytes: Buffer.alloc(0), mtimeNs: st.mtimeNs, mode: Number(st.mode & 0o7777n), link: fs.readlinkSync(abs) });
      else out.set(rel, { bytes: fs.readFileSync(abs), mtimeNs: st.mtimeNs, mode: Number(st.mode & 0o7777n) });
    }
  };
  walk(root, '');
  return out;
}

function assertUntouched(before: Map<string, Entry>, after: Map<string, Entry>, what: string): void {
  assert.equal([...after.keys()], [...before.keys()], `${what}: the same files exist`);
  for (const [rel, b] of before) {
    const a = after.get(rel)!;
    assert.ok(a.bytes.equals(b.bytes), `${what}: ${rel} bytes unchanged`);
    assert.is(a.mtimeNs, b.mtimeNs, `${what}: ${rel} mtime unchanged`);
    assert.is(a.mode, b.mode, `${what}: ${rel} mode unchanged`);
    assert.is(a.link, b.link, `${what}: ${rel} link unchanged`);
  }
}

function diffHeaders(diff: string): string[] {
  return diff.split('\n').filter((l) => l.startsWith('+++ ')).map((l) => l.slice(4));
}

const SUMMARY_RE = /^dockshift: (\d+) files? scanned, (\d+) changed, (\d+) created, (\d+) unchanged, (\d+) skipped, (\d+) errors? \(\d+ ms\)$/m;

// ------------------------------------------------------------------------------------------------
// 1. discovery

/** A tree with Dockerfiles by every accepted name, non-Dockerfiles, and directories that must be skipped. */
function discoveryTree(root: string, withJunkGit: boolean): void {
  const files: Record<string, string> = {
    'Dockerfile': 'FROM root\n',
    'Containerfile': 'FROM c\n',
    'api.Dockerfile': 'FROM api\n',
    'web.dockerfile': 'FROM web\n',
    'Dockerfile.dev': 'FROM dev\n',
    'Containerfile.fedora': 'FROM fedora\n',
    'Dockerfile.dockerignore': 'FROM no\n',
    'Dockerfile.md': 'FROM no\n',
    'Dockerfile.txt': 'FROM no\n',
    'notes.md': 'FROM no\n',
    '.dockerignore': '*\n',
    'node_modules/pkg/Dockerfile': 'FROM no\n',
    'svc/node_modules/Dockerfile': 'FROM no\n',
    'build/Dockerfile': 'FROM ignored\n',
    'x.generated.Dockerfile': 'FROM ignored\n',
    'keep.generated.Dockerfile': 'FROM kept\n',
    'svc/Dockerfile': 'FROM svc\n',
    'svc/tmp/Dockerfile': 'FROM ignored\n',
    'svc/Dockerfile.d/notes.txt': 'not a Dockerfile\n',
    '.gitignore': 'build/\n*.generated.Dockerfile\n!keep.generated.Dockerfile\n',
    'svc/.gitignore': 'tmp/\n',
  };
  if (withJunkGit) files['sub/.git/Dockerfile'] = 'FROM no\n';
  files['sub/Dockerfile'] = 'FROM sub\n';
  write(root, files);
}

const DISCOVERED = [
  'Containerfile',
  'Containerfile.fedora',
  'Dockerfile',
  'Dockerfile.dev',
  'api.Dockerfile',
  'keep.generated.Dockerfile',
  'sub/Dockerfile',
  'svc/Dockerfile',
  'web.dockerfile',
];

async function checkDiscovery(root: string, label: string): Promise<void> {
  const sub = path.join(root, 'svc');
  const [walked, diffRun, explicit, here, up] = await Promise.all([
    cliJsonP(root, '-q', '-t', 'syntax-directive'),
    cliP(root, '-q', '-t', 'syntax-directive'),
    // Named explicitly: ignored, in node_modules, or not a Dockerfile name — processed all the same.
    cliJsonP(root, '-q', '-t', 'syntax-directive', 'build/Dockerfile', 'node_modules/pkg/Dockerfile', 'Dockerfile.md', 'svc/tmp/Dockerfile'),
    // From a subdirectory: its own .gitignore applies; `..` paths stay relative to the cwd.
    cliJsonP(sub, '-q', '-t', 'syntax-directive'),
    cliJsonP(sub, '-q', '-t', 'syntax-directive', '..'),
  ]);
  const { run, report } = walked;
  assert.is(run.status, 0, `${label}: ${run.stderr}`);
  const paths = report.files.map((f) => f.path);
  assert.equal(paths, DISCOVERED, label);
  assert.equal(paths, [...paths].sort(), `${label}: sorted`);
  assert.ok(report.files.every((f) => f.status === 'changed' && f.kind === 'dockerfile'), label);

  // The diff lists the files in the same order, with a/ b/ paths relative to the cwd.
  assert.is(diffRun.status, 0);
  assert.equal(diffHeaders(diffRun.stdout), DISCOVERED.map((p) => `b/${p}`), `${label}: diff order`);
  assert.match(diffRun.stdout, '--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n');

  assert.is(explicit.run.status, 0, explicit.run.stderr);
  assert.equal(
    explicit.report.files.map((f) => [f.path, f.status]),
    [
      ['Dockerfile.md', 'changed'],
      ['build/Dockerfile', 'changed'],
      ['node_modules/pkg/Dockerfile', 'changed'],
      ['svc/tmp/Dockerfile', 'changed'],
    ],
    `${label}: explicit files`,
  );

  assert.equal(here.report.files.map((f) => f.path), ['Dockerfile'], `${label}: from svc/`);
  const expected = DISCOVERED.map((p) => (p.startsWith('svc/') ? p.slice(4) : `../${p}`)).sort();
  assert.equal(up.report.files.map((f) => f.path), expected, `${label}: .. from svc/`);
  const web = up.report.files.find((f) => f.path === '../web.dockerfile')!;
  assert.ok(web.diff!.startsWith('--- a/../web.dockerfile\n+++ b/../web.dockerfile\n'), web.diff);
}

test('discovery outside git: accepted names only, .git/node_modules/.gitignore skipped, sorted, cwd-relative', async () => {
  if (tmpInsideGit) return;
  const root = tmp();
  discoveryTree(root, true);
  await checkDiscovery(root, 'outside git');
});

test('discovery inside a git repository (tracked + untracked, .gitignore honoured)', async () => {
  if (!hasGit) return;
  const root = tmp();
  discoveryTree(root, false);
  gitInit(root);
  write(root, { '.git/Dockerfile': 'FROM no\n' });
  git(root, 'add', 'Dockerfile', '.gitignore', 'svc/.gitignore');
  git(root, 'commit', '-q', '-m', 'init');
  await checkDiscovery(root, 'git');
});

test('a directory named like a Dockerfile is searched, not read', () => {
  const root = tmp();
  write(root, { 'Dockerfile.d/README.md': '# no\n', 'Dockerfile.d/inner/Dockerfile': 'FROM inner\n' });
  const r = cliJson(root, '-q', '-t', 'syntax-directive', 'Dockerfile.d');
  assert.is(r.run.status, 0, r.run.stderr);
  assert.equal(r.report.files.map((f) => f.path), ['Dockerfile.d/inner/Dockerfile']);
});

// ------------------------------------------------------------------------------------------------
// 2. dry run vs --write vs git apply

const APPLY_TREE: Record<string, string | Buffer> = {
  'lf/Dockerfile': 'from alpine\nRUN echo hi\n',
  'crlf/Dockerfile': 'from alpine\r\nRUN echo hi\r\n',
  'bom/Dockerfile': '\ufefffrom alpine\nRUN echo hi\n',
  'nofinal/Dockerfile': 'from alpine\nRUN echo hi',
  'escape/Dockerfile': '# escape=`\nfrom alpine\nRUN echo hi `\n  there\n',
  'bomcrlf/Dockerfile': '\ufeff# escape=`\r\nfrom alpine\r\nRUN echo `\r\n hi',
  'my app/Dockerfile': 'from alpine\n',
  'ünï/api.Dockerfile': 'from alpine\n',
  'done/Dockerfile': `${SYNTAX}\nFROM alpine\n`,
  'done/.dockerignore': '*\n!app\n',
};

test('dry run writes nothing; git apply of its output == --write, byte for byte', () => {
  if (!hasGit) return;
  const transforms = ['-t', `syntax-directive,${T.mjs}`, '-t', T.emit];
  const base = tmp();
  const dry = path.join(base, 'dry');
  const applied = path.join(base, 'applied');
  const written = path.join(base, 'written');
  write(dry, APPLY_TREE);
  fs.cpSync(dry, applied, { recursive: true });
  fs.cpSync(dry, written, { recursive: true });

  const before = snapshot(dry);
  const r = cli(dry, ...transforms);
  assert.is(r.status, 0, r.stderr);
  assertUntouched(before, snapshot(dry), 'dry run');
  // A created file diffs against /dev/null.
  assert.match(r.stdout, '--- /dev/null\n+++ b/lf/.dockerignore\n@@ -0,0 +1,2 @@\n+*\n+!app\n');
  assert.match(r.stdout, '--- a/crlf/Dockerfile\n+++ b/crlf/Dockerfile\n');
  assert.match(r.stdout, '\n\\ No newline at end of file\n');
  assert.not.match(r.stdout, 'done/Dockerfile', 'an unchanged file has no diff');
  assert.not.match(r.stdout, 'done/.dockerignore', 'an emitted file with the same content has no diff');

  const patch = path.join(base, 'fix.patch');
  fs.writeFileSync(patch, r.stdout);
  const apply = spawnSync('git', ['apply', '--whitespace=nowarn', patch], { cwd: applied, encoding: 'utf8', env: { ...ENV, GIT_CEILING_DIRECTORIES: base } });
  assert.is(apply.status, 0, `git apply: ${apply.stderr}`);

  const writtenBefore = snapshot(written);
  const w = cli(written, ...transforms, '--write');
  assert.is(w.status, 0, w.stderr);
  assert.is(w.stdout, r.stdout, '--write reports the same diff');

  const a = snapshot(applied);
  const b = snapshot(written);
  assert.equal([...a.keys()], [...b.keys()], 'the same files');
  for (const [rel, e] of b) assert.ok(a.get(rel)!.bytes.equals(e.bytes), `${rel}: git apply and --write agree`);

  // And the result is what it should be (the guard also made sure it is a fixed point).
  assert.is(read(written, 'crlf/Dockerfile'), `${SYNTAX}\r\nFROM alpine\r\nRUN echo hi\r\n`);
  assert.is(read(written, 'bom/Dockerfile'), `\ufeff${SYNTAX}\nFROM alpine\nRUN echo hi\n`);
  assert.is(read(written, 'nofinal/Dockerfile'), `${SYNTAX}\nFROM alpine\nRUN echo hi`);
  assert.is(read(written, 'escape/Dockerfile'), `${SYNTAX}\n# escape=\`\nFROM alpine\nRUN echo hi \`\n  there\n`);
  assert.is(read(written, 'bomcrlf/Dockerfile'), `\ufeff${SYNTAX}\r\n# escape=\`\r\nFROM alpine\r\nRUN echo \`\r\n hi`);
  assert.is(read(written, 'lf/.dockerignore'), '*\n!app\n');
  for (const rel of ['done/Dockerfile', 'done/.dockerignore']) assert.is(b.get(rel)!.mtimeNs, writtenBefore.get(rel)!.mtimeNs, `${rel} is not rewritten`);

  // Idempotent at the CLI level: a second run over the written tree changes nothing.
  const again = cli(written, ...transforms, '--check');
  assert.is(again.status, 0, again.stderr);
  assert.is(again.stdout, '');
});

// ------------------------------------------------------------------------------------------------
// 3. --write keeps modes, leaves no temp files; 4. --check

test('--write keeps file modes and leaves no temporary files behind', () => {
  const root = tmp();
  write(root, { 'a/Dockerfile': 'FROM a\n', 'b/Dockerfile': 'FROM b\n', 'c/Dockerfile': 'FROM c\n', 'd/Dockerfile': `${SYNTAX}\nFROM d\n` });
  fs.chmodSync(path.join(root, 'a/Dockerfile'), 0o640);
  fs.chmodSync(path.join(root, 'b/Dockerfile'), 0o755);
  fs.chmodSync(path.join(root, 'c/Dockerfile'), 0o600);
  const before = snapshot(root);
  const r = cli(root, '--write', '-t', 'syntax-directive');
  assert.is(r.status, 0, r.stderr);
  const after = snapshot(root);
  assert.equal([...after.keys()], [...before.keys()], 'no new files (temp files removed)');
  assert.is(after.get('a/Dockerfile')!.mode, 0o640);
  assert.is(after.get('b/Dockerfile')!.mode, 0o755);
  assert.is(after.get('c/Dockerfile')!.mode, 0o600);
  for (const d of ['a', 'b', 'c']) assert.is(read(root, `${d}/Dockerfile`), `${SYNTAX}\nFROM ${d}\n`);
  assert.is(after.get('d/Dockerfile')!.mtimeNs, before.get('d/Dockerfile')!.mtimeNs, 'an unchanged file is not rewritten');
  assert.match(r.stderr, '4 files scanned, 3 changed, 0 created, 1 unchanged');
});

test('--check: exit 1 when something would change, 0 when nothing would; writes nothing', () => {
  const root = tmp();
  write(root, { 'clean/Dockerfile': `${SYNTAX}\nFROM a\n`, 'dirty/Dockerfile': 'FROM b\n' });
  const before = snapshot(root);
  const dirty = cli(root, '--check', '-t', 'syntax-directive');
  assert.is(dirty.status, 1, dirty.stderr);
  assertUntouched(before, snapshot(root), '--check');
  assert.match(dirty.stderr, '2 files scanned, 1 changed, 0 created, 1 unchanged');

  const clean = cli(root, '--check', '-t', 'syntax-directive', 'clean');
  assert.is(clean.status, 0, clean.stderr);
  assert.is(clean.stdout, '');

  // A file that would be created counts as a change too.
  const created = cli(root, '--check', '-q', '-t', T.emit, 'clean');
  assert.is(created.status, 1, created.stderr);
  assert.not.ok(fs.existsSync(path.join(root, 'clean/.dockerignore')));
  assertUntouched(before, snapshot(root), '--check (created)');
});

// ------------------------------------------------------------------------------------------------
// 5. broken files

function brokenTree(root: string): void {
  write(root, {
    'heredoc/Dockerfile': 'FROM a\nRUN <<EOF\necho never closed\n',
    'binary/Dockerfile': Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0x61, 0x0a, 0x00, 0x01, 0x02, 0xff, 0x00]),
    'utf8/Dockerfile': Buffer.concat([Buffer.from('FROM a\nRUN echo caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\n')]),
    'good/Dockerfile': 'FROM good\n',
    'Dockerfile.d/README.md': 'a directory named like a Dockerfile\n',
  });
}

test('broken files: exit 2, each named on stderr, the others still processed (diff and json)', () => {
  const root = tmp();
  brokenTree(root);
  const before = snapshot(root);
  const r = cli(root, '-t', 'syntax-directive');
  assert.is(r.status, 2);
  assert.is(r.stdout, `--- a/good/Dockerfile\n+++ b/good/Dockerfile\n@@ -1 +1,2 @@\n+${SYNTAX}\n FROM good\n`);
  assert.match(r.stderr, /^heredoc\/Dockerfile:2: error: .*unterminated heredoc/m);
  assert.match(r.stderr, /^binary\/Dockerfile: error: binary file/m);
  assert.match(r.stderr, /^utf8\/Dockerfile: error: not valid UTF-8/m);
  assert.not.match(r.stderr, 'internal error');
  assert.match(r.stderr, '4 files scanned, 1 changed, 0 created, 0 unchanged, 0 skipped, 3 errors');
  assertUntouched(before, snapshot(root), 'dry run with errors');

  const { run, report } = cliJson(root, '-t', 'syntax-directive', '-q');
  assert.is(run.status, 2);
  const byPath = new Map(report.files.map((f) => [f.path, f]));
  assert.equal([...byPath.keys()], ['binary/Dockerfile', 'good/Dockerfile', 'heredoc/Dockerfile', 'utf8/Dockerfile']);
  for (const p of ['binary/Dockerfile', 'heredoc/Dockerfile', 'utf8/Dockerfile']) {
    const f = byPath.get(p)!;
    assert.is(f.status, 'error', p);
    assert.is(f.diff, undefined, p);
    assert.is(f.messages.length, 1, p);
    assert.is(f.messages[0]!.level, 'error', p);
    assert.ok(f.messages[0]!.message.length > 0, p);
  }
  assert.equal(byPath.get('heredoc/Dockerfile')!.messages[0], { level: 'error', message: byPath.get('heredoc/Dockerfile')!.messages[0]!.message, line: 2 });
  assert.match(byPath.get('heredoc/Dockerfile')!.messages[0]!.message, 'unterminated heredoc');
  assert.is(byPath.get('good/Dockerfile')!.status, 'changed');
  assert.equal(report.totals, { scanned: 4, changed: 1, created: 0, unchanged: 0, skipped: 0, errors: 3 });
  // --quiet still names the errors, but drops the summary line.
  assert.match(run.stderr, /^heredoc\/Dockerfile:2: error:/m);
  assert.not.match(run.stderr, SUMMARY_RE);
});

test('broken files with --write: the good file is written, the broken ones are left byte for byte', () => {
  const root = tmp();
  brokenTree(root);
  const before = snapshot(root);
  const r = cli(root, '--write', '-q', '-t', 'syntax-directive');
  assert.is(r.status, 2);
  assert.is(read(root, 'good/Dockerfile'), `${SYNTAX}\nFROM good\n`);
  const after = snapshot(root);
  for (const p of ['binary/Dockerfile', 'heredoc/Dockerfile', 'utf8/Dockerfile', 'Dockerfile.d/README.md']) {
    assert.ok(after.get(p)!.bytes.equals(before.get(p)!.bytes), p);
    assert.is(after.get(p)!.mtimeNs, before.get(p)!.mtimeNs, p);
  }
  assert.equal([...after.keys()], [...before.keys()]);
  // --check with an error: the error wins (2), not "would change" (1).
  const check = cli(root, '--check', '-q', '-t', 'syntax-directive');
  assert.is(check.status, 2);
});

// ------------------------------------------------------------------------------------------------
// 6. usage errors

test('usage errors: exit 2, named on stderr, nothing on stdout, nothing written', async () => {
  const root = tmp();
  write(root, { 'Dockerfile': 'from a\n' });
  const before = snapshot(root);
  const cases: [string[], RegExp][] = [
    [['-t', 'no-such-transform'], /unknown transform "no-such-transform"/],
    [['--write', '-t', 'syntax-directive,nope'], /unknown transform "nope"/],
    [['--write', '-t', './missing-transform.mjs'], /missing-transform\.mjs/],
    [['-x'], /unknown option -x/],
    [['--write', '-Z'], /unknown option -Z/],
    [['--write', '--check'], /--write and --check/],
    [['--format', 'xml'], /--format.*"xml"/],
    [['--write', '-t'], /transform/],
    [['-j', '0'], /--jobs/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cliP(root, ...args)));
  for (const [i, [args, re]] of cases.entries()) {
    const r = runs[i]!;
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stdout, '', args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.not.match(r.stderr, 'internal error', args.join(' '));
  }
  assertUntouched(before, snapshot(root), 'usage errors');
});

// ------------------------------------------------------------------------------------------------
// 7. custom transform modules

const CUSTOM_SRC = 'from alpine AS build\nRUN echo hi\nfrom build\n';

test('custom .mjs transform (ESM default + meta); unknown options reach it camelCased; -t NAME PATH', () => {
  const root = tmp();
  write(root, { 'Dockerfile': CUSTOM_SRC, 'other/Dockerfile': 'from other\n' });
  // Repeatable -t, the path after -t is a PATH (not a second transform), the option value stays a string.
  const { run, report } = cliJson(root, '-t', T.mjs, '-t', 'syntax-directive', 'Dockerfile', '--my-option=x', '-q');
  assert.is(run.status, 0, run.stderr);
  assert.is(report.files.length, 1);
  const f = report.files[0]!;
  assert.is(f.path, 'Dockerfile');
  assert.equal(f.transforms, ['upper-from-mjs', 'syntax-directive']);
  assert.ok(f.messages.some((m) => m.transform === 'upper-from-mjs' && m.message === 'myOption="x"'), JSON.stringify(f.messages));
  assert.is(
    f.diff,
    `--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,3 +1,4 @@\n-from alpine AS build\n+${SYNTAX}\n+FROM alpine AS build\n RUN echo hi\n-from build\n+FROM build\n`,
  );
});

test('custom .cjs transform (module.exports = fn; fn.meta), comma-separated -t, numeric-looking option stays a string', () => {
  const root = tmp();
  write(root, { 'Dockerfile': CUSTOM_SRC });
  const { run, report } = cliJson(root, '-t', `${T.cjs},syntax-directive`, '--tag=1.10');
  assert.is(run.status, 0, run.stderr);
  const f = report.files[0]!;
  assert.equal(f.transforms, ['upper-from-cjs', 'syntax-directive']);
  assert.ok(f.messages.some((m) => m.transform === 'upper-from-cjs' && m.message === 'tag="1.10"'), JSON.stringify(f.messages));
  assert.match(f.diff!, '+FROM alpine AS build\n');
  assert.match(f.diff!, '+FROM build\n');
  assert.match(run.stderr, SUMMARY_RE);
});

test('custom .ts transform (through jiti), given as a path relative to the cwd; --write applies it', () => {
  const root = tmp();
  write(root, { 'Dockerfile': CUSTOM_SRC });
  const rel = path.relative(root, T.ts);
  const r = cli(root, '-t', rel, '--my-option', 'y', '--write', '--format', 'json');
  assert.is(r.status, 0, r.stderr);
  const f = (JSON.parse(r.stdout) as JsonReport).files[0]!;
  assert.equal(f.transforms, ['upper-from-ts']);
  assert.ok(f.messages.some((m) => m.message === 'myOption="y"'), JSON.stringify(f.messages));
  assert.is(read(root, 'Dockerfile'), 'FROM alpine AS build\nRUN echo hi\nFROM build\n');
});

// ------------------------------------------------------------------------------------------------
// 8. the guard, as the CLI shows it

test('guard: non-idempotent and unparseable output are refused (exit 2, named, kind), originals untouched with --write', () => {
  const root = tmp();
  write(root, { 'a/Dockerfile': 'from a\n', 'b/Dockerfile': 'FROM b\nRUN true' });
  const before = snapshot(root);
  const cases: [string, string, string][] = [
    [T.append, 'append-comment', 'NotIdempotent'],
    [T.unterminated, 'unterminated-heredoc', 'UnparseableOutput'],
  ];
  for (const [module, name, kind] of cases) {
    const r = cli(root, '-t', module, '--write');
    assert.is(r.status, 2, `${name}: ${r.stderr}`);
    assert.is(r.stdout, '', `${name}: nothing to show`);
    for (const p of ['a/Dockerfile', 'b/Dockerfile']) {
      const line = r.stderr.split('\n').find((l) => l.startsWith(p + ':'));
      assert.ok(line, `${name}: ${p} named on stderr:\n${r.stderr}`);
      assert.match(line!, `error: ${kind}:`);
      assert.match(line!, name);
    }
    assert.match(r.stderr, '2 files scanned, 0 changed, 0 created, 0 unchanged, 0 skipped, 2 errors');
    assertUntouched(before, snapshot(root), name);
  }
  const { report } = cliJson(root, '-t', T.append, '-q');
  for (const f of report.files) {
    assert.is(f.status, 'error');
    assert.is(f.messages[0]!.transform, 'append-comment');
    assert.match(f.messages[0]!.message, /^NotIdempotent: /);
  }
});

test('guard: a transform that throws is named; the other files are still processed and written', () => {
  const root = tmp();
  write(root, { 'a/Dockerfile': 'from a\n', 'boom/Dockerfile': 'from b\n# boom\n', 'c/Dockerfile': 'from c\n' });
  const r = cli(root, '-t', `${T.mjs},${T.throws}`, '--write');
  assert.is(r.status, 2);
  assert.match(r.stderr, /^boom\/Dockerfile: error: TransformError: .*throws.*kaboom/m);
  assert.match(r.stdout, '--- a/a/Dockerfile\n');
  assert.match(r.stdout, '--- a/c/Dockerfile\n');
  assert.not.match(r.stdout, 'boom/Dockerfile');
  assert.is(read(root, 'a/Dockerfile'), 'FROM a\n');
  assert.is(read(root, 'c/Dockerfile'), 'FROM c\n');
  assert.is(read(root, 'boom/Dockerfile'), 'from b\n# boom\n');
  assert.match(r.stderr, '3 files scanned, 2 changed, 0 created, 0 unchanged, 0 skipped, 1 error ');
});

test('--no-verify lets a non-idempotent transform through (benchmark mode)', () => {
  const root = tmp();
  write(root, { 'Dockerfile': 'FROM a\n' });
  const r = cli(root, '-t', T.append, '--no-verify');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, '--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1,2 @@\n FROM a\n+# appended by append-comment\n');
  assert.is(read(root, 'Dockerfile'), 'FROM a\n', 'still a dry run');
});

// ------------------------------------------------------------------------------------------------
// 9. report formats

function formatsTree(root: string): void {
  write(root, {
    'changed/Dockerfile': 'FROM a\n',
    'clean/Dockerfile': `${SYNTAX}\nFROM a\n`,
    'clean/.dockerignore': '*\n!app\n',
    'bad/Dockerfile': 'FROM a\nRUN <<EOF\n',
    'skip/Dockerfile': '# dockshift-ignore-file\nFROM a\n',
  });
}
const FORMAT_ARGS = ['-t', `syntax-directive,${T.emit}`];

test('--format json: the contract shape', async () => {
  const root = tmp();
  formatsTree(root);
  const [{ run, report }, diff] = await Promise.all([cliJsonP(root, ...FORMAT_ARGS), cliP(root, ...FORMAT_ARGS, '-q')]);
  assert.is(run.status, 2, 'bad/Dockerfile is an error');
  assert.equal(Object.keys(report), ['version', 'files', 'totals']);
  assert.is(report.version, 1);
  assert.equal(Object.keys(report.totals), ['scanned', 'changed', 'created', 'unchanged', 'skipped', 'errors']);
  const statuses = ['changed', 'created', 'unchanged', 'skipped', 'error'];
  for (const f of report.files) {
    assert.equal(Object.keys(f).slice(0, 5), ['path', 'kind', 'status', 'transforms', 'messages'], f.path);
    assert.ok(!f.path.includes('\\') && !f.path.startsWith('./') && !path.isAbsolute(f.path), f.path);
    assert.ok(['dockerfile', 'generated'].includes(f.kind), f.kind);
    assert.ok(statuses.includes(f.status), f.status);
    assert.ok(Array.isArray(f.transforms) && f.transforms.every((t) => typeof t === 'string'));
    for (const m of f.messages) {
      assert.ok(['info', 'warning', 'error'].includes(m.level));
      assert.type(m.message, 'string');
      if (m.line !== undefined) assert.ok(Number.isInteger(m.line) && m.line >= 1);
      const keys = Object.keys(m);
      assert.equal(keys, ['transform', 'level', 'message', 'line'].filter((k) => keys.includes(k)), 'message key order');
    }
    if (f.status === 'changed') assert.ok(f.diff!.startsWith(`--- a/${f.path}\n+++ b/${f.path}\n@@ `), f.diff);
    else if (f.status === 'created') assert.ok(f.diff!.startsWith(`--- /dev/null\n+++ b/${f.path}\n@@ `), f.diff);
    else assert.is(f.diff, undefined, `${f.path}: no diff when ${f.status}`);
  }
  const get = (p: string) => report.files.find((f) => f.path === p)!;
  assert.equal(
    [get('changed/Dockerfile').status, get('changed/.dockerignore').status, get('clean/Dockerfile').status, get('bad/Dockerfile').status, get('skip/Dockerfile').status],
    ['changed', 'created', 'unchanged', 'error', 'skipped'],
  );
  assert.is(get('changed/.dockerignore').kind, 'generated');
  assert.equal(get('changed/.dockerignore').transforms, ['emit-dockerignore']);
  assert.equal(get('changed/Dockerfile').transforms, ['syntax-directive', 'emit-dockerignore']);
  assert.equal(get('bad/Dockerfile').transforms, []);
  assert.is(get('bad/Dockerfile').messages[0]!.level, 'error');
  assert.match(get('bad/Dockerfile').messages[0]!.message, 'unterminated heredoc');
  assert.match(get('skip/Dockerfile').messages[0]!.message, 'dockshift-ignore-file');
  // Totals agree with the files: scanned counts Dockerfiles; each status once.
  const count = (s: string) => report.files.filter((f) => f.status === s).length;
  assert.equal(report.totals, {
    scanned: report.files.filter((f) => f.kind === 'dockerfile').length,
    changed: count('changed'),
    created: count('created'),
    unchanged: count('unchanged'),
    skipped: count('skipped'),
    errors: count('error'),
  });
  assert.is(report.totals.scanned, 4);
  // The JSON diffs are exactly the --format diff output, in the same order.
  assert.is(diff.status, 2);
  assert.is(report.files.map((f) => f.diff ?? '').join(''), diff.stdout);
});

test('--format markdown / summary / none / sarif', async () => {
  const root = tmp();
  formatsTree(root);
  const [md, sum, none, sarif] = await Promise.all([
    cliP(root, ...FORMAT_ARGS, '--format', 'markdown', '-q'),
    cliP(root, ...FORMAT_ARGS, '--format', 'summary'),
    cliP(root, ...FORMAT_ARGS, '--format', 'none'),
    cliP(root, ...FORMAT_ARGS, '--format', 'sarif', '-q'),
  ]);
  assert.is(md.status, 2);
  assert.match(md.stdout, /^\| *File *\|.*\|$/m, 'a table header');
  assert.match(md.stdout, /^\|( *-+ *\|)+$/m, 'a table separator');
  assert.match(md.stdout, /^\|.*changed\/Dockerfile.*\| *changed *\|/m);
  assert.match(md.stdout, /^\|.*bad\/Dockerfile.*\| *error *\|/m);
  assert.match(md.stdout, '```diff\n--- a/changed/Dockerfile\n+++ b/changed/Dockerfile\n');
  assert.match(md.stdout, '```diff\n--- /dev/null\n+++ b/changed/.dockerignore\n');
  const fences = md.stdout.split('\n').filter((l) => l.startsWith('```'));
  assert.is(fences.length % 2, 0, 'fences are closed');

  assert.is(sum.status, 2);
  assert.match(sum.stdout, /^changed +changed\/Dockerfile\b/m);
  assert.match(sum.stdout, /^created +changed\/\.dockerignore\b/m);
  assert.match(sum.stdout, /^error +bad\/Dockerfile: .*unterminated heredoc/m);
  assert.match(sum.stdout, /^skipped +skip\/Dockerfile/m);
  assert.not.match(sum.stdout, /^unchanged +clean\/Dockerfile/m, 'quiet about files with nothing to say');
  assert.match(sum.stdout, SUMMARY_RE);
  assert.not.match(sum.stdout, '@@');

  assert.is(none.status, 2);
  assert.is(none.stdout, '');
  assert.match(none.stderr, /^bad\/Dockerfile:\d+: error:/m, 'errors are still named');
  assert.match(none.stderr, SUMMARY_RE);

  assert.is(sarif.status, 2);
  const doc = JSON.parse(sarif.stdout) as { version: string; runs: { tool: { driver: { name: string; version: string } }; results: { locations?: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
  assert.is(doc.version, '2.1.0');
  assert.is(doc.runs.length, 1);
  assert.is(doc.runs[0]!.tool.driver.name, 'dockshift');
  assert.is(doc.runs[0]!.tool.driver.version, PKG_VERSION);
  const uris = doc.runs[0]!.results.flatMap((r) => r.locations ?? []).map((l) => l.physicalLocation.artifactLocation.uri);
  assert.ok(uris.includes('changed/Dockerfile'), JSON.stringify(uris));
  assert.ok(uris.includes('bad/Dockerfile'), JSON.stringify(uris));
});

// ------------------------------------------------------------------------------------------------
// 10. --list, --help, --version

test('--list, --list-transforms and --list --format json', async () => {
  const root = tmp();
  const [text, text2, json] = await Promise.all([cliP(root, '--list'), cliP(root, '--list-transforms'), cliP(root, '--list', '--format', 'json')]);
  assert.is(text.status, 0);
  assert.is(text.stderr, '');
  const lines = text.stdout.trimEnd().split('\n');
  assert.is(lines.length, BUILTIN_ORDER.length);
  BUILTIN_ORDER.forEach((name, i) => assert.ok(lines[i]!.startsWith(name + ' '), lines[i]));
  assert.match(text.stdout, /^syntax-directive +\[recommended\] +\S/m);
  assert.is(text2.stdout, text.stdout);

  assert.is(json.status, 0);
  const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
  assert.ok(Array.isArray(rows));
  assert.equal(rows.map((r) => r.name), BUILTIN_ORDER);
  for (const r of rows) {
    assert.equal(Object.keys(r).sort(), ['description', 'name', 'recommended', 'safety']);
    assert.type(r.description, 'string');
    assert.ok((r.description as string).length > 0 && !(r.description as string).includes('\n'));
    assert.type(r.recommended, 'boolean');
    assert.ok(r.safety === 'safe' || r.safety === 'unsafe');
  }
  assert.equal(rows.find((r) => r.name === 'syntax-directive'), { name: 'syntax-directive', description: rows.find((r) => r.name === 'syntax-directive')!.description, recommended: true, safety: 'safe' });
});

test('--help shows usage and every option; --version prints package.json version', async () => {
  const root = tmp();
  const [help, h, v] = await Promise.all([cliP(root, '--help'), cliP(root, '-h'), cliP(root, '--version')]);
  assert.is(help.status, 0);
  assert.match(help.stdout, /^dockshift \[options\] \[PATH\.\.\.\]/);
  for (const opt of ['-t, --transform', '-w, --write', '--check', '--format', 'no-verify', '--list', '--list-transforms', '-q, --quiet', '-j, --jobs', '-h, --help', '--version']) {
    assert.match(help.stdout, opt, `help mentions ${opt}`);
  }
  for (const f of ['diff', 'json', 'markdown', 'sarif', 'summary', 'none']) assert.match(help.stdout, `"${f}"`);
  assert.match(help.stdout, 'Exit status');
  assert.is(h.stdout, help.stdout);

  assert.is(v.status, 0);
  assert.is(v.stdout, PKG_VERSION + '\n');
  assert.is(v.stderr, '');
});

// ------------------------------------------------------------------------------------------------
// 11. summary line; --jobs

test('summary line on stderr; --quiet suppresses it; -j is accepted', () => {
  const root = tmp();
  write(root, { 'a/Dockerfile': 'FROM a\n', 'b/Dockerfile': `${SYNTAX}\nFROM b\n` });
  const r = cli(root, '-t', 'syntax-directive', '-j', '2');
  assert.is(r.status, 0, r.stderr);
  const m = SUMMARY_RE.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(m!.slice(1, 7).map(Number), [2, 1, 0, 1, 0, 0]);
  assert.is(r.stderr.trim().split('\n').length, 1, 'only the summary line');
  assert.not.match(r.stdout, 'dockshift:', 'the summary is not on stdout');

  const q = cli(root, '-t', 'syntax-directive', '--quiet');
  assert.is(q.status, 0);
  assert.is(q.stderr, '');
  assert.is(q.stdout, r.stdout);
});

// ------------------------------------------------------------------------------------------------
// 12. suppressions

test('# dockshift-ignore-file and # dockshift-ignore: left alone and reported, even with --write', () => {
  const root = tmp();
  write(root, {
    'file/Dockerfile': '# dockshift-ignore-file\nfrom a\n',
    'all/Dockerfile': '# dockshift-ignore\nfrom a\n',
    'named/Dockerfile': '# dockshift-ignore upper-from-mjs\nfrom a\n',
    'other/Dockerfile': '# dockshift-ignore syntax-directive\nfrom a\n',
  });
  const before = snapshot(root);
  const { run, report } = cliJson(root, '-t', T.mjs, '--write');
  assert.is(run.status, 0, run.stderr);
  const get = (p: string) => report.files.find((f) => f.path === p)!;
  assert.is(get('file/Dockerfile').status, 'skipped');
  assert.match(get('file/Dockerfile').messages.map((m) => m.message).join('\n'), 'dockshift-ignore-file');
  for (const p of ['all/Dockerfile', 'named/Dockerfile']) {
    const f = get(p);
    assert.is(f.status, 'skipped', p);
    assert.ok(f.messages.some((m) => m.line === 2 && /dockshift-ignore/.test(m.message)), JSON.stringify(f.messages));
    assert.match(run.stderr, new RegExp(`^${p}:2: warning: .*suppressed`, 'm'));
  }
  assert.is(get('other/Dockerfile').status, 'changed', 'suppressing another transform does not stop this one');
  assert.equal(report.totals, { scanned: 4, changed: 1, created: 0, unchanged: 0, skipped: 3, errors: 0 });
  const after = snapshot(root);
  for (const p of ['file/Dockerfile', 'all/Dockerfile', 'named/Dockerfile']) {
    assert.ok(after.get(p)!.bytes.equals(before.get(p)!.bytes), p);
    assert.is(after.get(p)!.mtimeNs, before.get(p)!.mtimeNs, p);
  }
  assert.is(read(root, 'other/Dockerfile'), '# dockshift-ignore syntax-directive\nFROM a\n');
  assert.match(run.stderr, '4 files scanned, 1 changed, 0 created, 0 unchanged, 3 skipped, 0 errors');
});

// ------------------------------------------------------------------------------------------------
// 13. symlinks

function symlinkTree(root: string): void {
  write(root, { 'real/target.txt': 'FROM target\n', 'other/Dockerfile': 'FROM other\n' });
  fs.symlinkSync('real/target.txt', path.join(root, 'Dockerfile'));
  fs.symlinkSync('other', path.join(root, 'linked'));
}

test('symlinks found by walking are neither followed nor written (outside and inside git)', () => {
  const roots: string[] = [];
  if (!tmpInsideGit) roots.push(tmp());
  if (hasGit) {
    const g = tmp();
    roots.push(g);
    gitInit(g);
  }
  for (const root of roots) {
    symlinkTree(root);
    if (fs.existsSync(path.join(root, '.git'))) {
      git(root, 'add', '-A');
      git(root, 'commit', '-q', '-m', 'links');
    }
    const before = snapshot(root);
    const { run, report } = cliJson(root, '-t', 'syntax-directive', '--write');
    assert.is(run.status, 0, run.stderr);
    assert.equal(report.files.map((f) => f.path), ['other/Dockerfile'], root);
    const after = snapshot(root);
    assert.is(after.get('Dockerfile')!.link, 'real/target.txt');
    assert.is(after.get('linked')!.link, 'other');
    assert.ok(after.get('real/target.txt')!.bytes.equals(before.get('real/target.txt')!.bytes));
    assert.is(read(root, 'other/Dockerfile'), `${SYNTAX}\nFROM other\n`);
  }
});

test('a symlink named explicitly is never changed through: dry run, --check and --write agree (skipped, exit 0)', () => {
  const root = tmp();
  symlinkTree(root);
  const before = snapshot(root);
  for (const mode of [[], ['--check'], ['--write']]) {
    const r = cli(root, '-t', 'syntax-directive', ...mode, 'Dockerfile');
    assert.is(r.status, 0, `exit status with ${mode.join(' ') || 'dry run'}`);
    assert.is(r.stdout, '', 'no diff that --write would not apply');
    assert.match(r.stderr, /^Dockerfile: warning: is a symbolic link/m);
  }
  assertUntouched(before, snapshot(root), 'symlink');
  const { report } = cliJson(root, '-t', 'syntax-directive', '--write', '-q', 'Dockerfile');
  assert.is(report.files[0]!.status, 'skipped');
  assert.match(report.files[0]!.messages.map((m) => m.message).join('\n'), 'symbolic link');
  assert.equal(report.totals, { scanned: 1, changed: 0, created: 0, unchanged: 0, skipped: 1, errors: 0 });
  assertUntouched(before, snapshot(root), 'symlink --write (json)');
});

test('--time-limit stops a transform stuck in a synchronous loop; the other files are still processed', () => {
  const root = tmp();
  write(root, {
    'a/Dockerfile': 'FROM a\n',
    'b/Dockerfile': 'FROM b\n',
    'hang.mjs': "export default function (file) { if (file.source.includes('FROM a')) for (;;); return file.source.replace('FROM', 'from'); }\n",
  });
  const started = Date.now();
  const r = cli(root, '-t', './hang.mjs', '--time-limit', '1', '.');
  assert.ok(Date.now() - started < 8000, 'the run ends soon after the limit');
  assert.is(r.status, 2);
  assert.match(r.stderr, /^a\/Dockerfile: error: TimeLimit: /m);
  assert.match(r.stdout, /\+from b/);
});

test('-j 2 gives exactly the output of -j 1 (order, diff, JSON totals)', () => {
  const root = tmp();
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) files[`svc${String(i).padStart(2, '0')}/Dockerfile`] = i % 3 === 0 ? '# syntax=docker/dockerfile:1\nFROM a\n' : `FROM node:${i}\nRUN echo ${i}\n`;
  files['bad/Dockerfile'] = 'FROM a\nRUN <<EOF\n';
  write(root, files);
  const one = cli(root, '-j', '1', '.');
  const two = cli(root, '-j', '2', '.');
  assert.is(two.stdout, one.stdout);
  assert.is(two.status, 2);
  assert.is(one.status, 2);
  const j1 = cliJson(root, '-j', '1', '-q', '.').report;
  const j2 = cliJson(root, '-j', '2', '-q', '.').report;
  assert.equal(j2, j1);
});

test('files that fail as templates get one hint at the end: leave them out with "ignore" (paths relative to the config)', async () => {
  const root = tmp();
  write(root, {
    'dockshift.config.json': '{}\n',
    'app/Dockerfile': 'FROM alpine\n',
    'eng/templates/linux/Dockerfile.amd64': '{{ define "base" }}\nFROM {{ .Base }}\n',
    'eng/templates/linux/Dockerfile.arm64': 'FROM alpine\n{{ if .Arm }}\nRUN echo arm\n{{ end }}\n',
    'eng/templates/windows/Dockerfile.nano': '{% if true %}\nFROM x\n',
    'eng/templates/windows/Dockerfile.core': 'FROM x\n{{- template "body" . }}\n',
    'broken/Dockerfile': 'FROM a\nRUN <<EOF\n',
  });
  const hintRe = /^dockshift: \d+ files? looks? like (a )?templates? .*"ignore"/gm;
  const [many, few, sub, none, quiet] = await Promise.all([
    cliP(root, '-t', 'syntax-directive', '.'),
    cliP(root, '-t', 'syntax-directive', 'app', 'eng/templates/windows'),
    cliP(path.join(root, 'eng'), '-t', 'syntax-directive', 'templates/linux/Dockerfile.amd64'),
    cliP(root, '-t', 'syntax-directive', 'app', 'broken'),
    cliP(root, '-q', '-t', 'syntax-directive', '.'),
  ]);
  assert.is(many.status, 2);
  assert.equal(many.stderr.match(hintRe)?.length, 1, many.stderr);
  const lines = many.stderr.trimEnd().split('\n');
  assert.is(lines.at(-2), 'dockshift: 4 files look like templates ({{ … }}), not Dockerfiles; leave templates out with "ignore" in dockshift.config.json, e.g. "ignore": ["eng/templates/**"]');
  assert.match(lines.at(-1)!, SUMMARY_RE, 'then the summary line');
  assert.match(many.stderr, /^broken\/Dockerfile:\d+: error: unterminated heredoc/m, 'other errors are named as before');
  assert.match(few.stderr, 'dockshift: 2 files look like templates ({{ … }}), not Dockerfiles; leave templates out with "ignore" in dockshift.config.json, e.g. "ignore": ["eng/templates/windows/Dockerfile.core","eng/templates/windows/Dockerfile.nano"]');
  // Run from a subdirectory: the example is still relative to the config file's directory.
  assert.match(sub.stderr, 'dockshift: 1 file looks like a template ({{ … }}), not a Dockerfile; leave templates out with "ignore" in ../dockshift.config.json, e.g. "ignore": ["eng/templates/linux/Dockerfile.amd64"]');
  assert.is(none.status, 2);
  assert.not.match(none.stderr, hintRe, 'no hint when no template failed');
  assert.not.match(quiet.stderr, hintRe, '--quiet drops the hint (the errors are still named)');
  assert.match(quiet.stderr, /Dockerfile\.amd64:1: error: unknown instruction: \{\{/);

  // And the advice works: with the suggested "ignore", the templates are left out and the run succeeds.
  write(root, { 'dockshift.config.json': JSON.stringify({ ignore: ['eng/templates/**', 'broken/**'] }) });
  const fixed = await cliP(root, '-t', 'syntax-directive', '.');
  assert.is(fixed.status, 0, fixed.stderr);
  assert.match(fixed.stderr, /^dockshift: 1 file scanned/m);
});

test('a directory that yields no Dockerfile is said so on stderr (not silent), exit 0', () => {
  const root = tmp();
  write(root, { '.gitignore': 'vendor/\n', 'vendor/Dockerfile': 'FROM alpine\n', 'empty/readme.md': 'x\n' });
  const r = cli(root, 'vendor', 'empty');
  assert.is(r.status, 0);
  assert.match(r.stderr, /^vendor: no Dockerfiles found/m);
  assert.match(r.stderr, /^empty: no Dockerfiles found/m);
  assert.is(r.stdout, '');
});

test.run();
