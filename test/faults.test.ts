// Faults: unreadable and unwritable files and directories (run as an unprivileged user) are named and the rest
// processed; a --write killed with SIGKILL leaves every file old or new (never partial), and a leftover
// temporary file of the atomic write is never mistaken for a Dockerfile; huge and pathological inputs finish
// fast or are refused by name; a file that changes on disk during a run is not overwritten.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDockerfileName } from '../src/context/discover.js';
import { BIN, ENV, cli, tmp, write } from './helpers.js';

const N = 300;
const before = (i: number) => `FROM alpine:3.${i % 20}\nRUN echo ${'x'.repeat(i % 50)}\n`;
const after = (i: number) => `# syntax=docker/dockerfile:1\n${before(i)}`;

test('SIGKILL during --write: every file is either old or new, and leftovers are not Dockerfiles', async () => {
  for (const round of [1, 2]) {
    const root = tmp();
    const files: Record<string, string> = {};
    for (let i = 0; i < N; i++) files[`svc${i}/Dockerfile`] = before(i);
    write(root, files);
    const child = spawn(process.execPath, [BIN, '--write', '-q', '-t', 'syntax-directive', '.'], { cwd: root, env: ENV, stdio: 'ignore' });
    // Kill as soon as the writing has started (polling the files), so the kill lands in the middle of it.
    const closed = new Promise((r) => child.on('close', r));
    const startedWriting = () => Array.from({ length: N }, (_, i) => i).some((i) => readFileSync(path.join(root, `svc${i}`, 'Dockerfile'), 'utf8') !== before(i));
    for (let t = 0; t < 3000 && !startedWriting(); t++) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await closed;
    let written = 0;
    for (let i = 0; i < N; i++) {
      const text = readFileSync(path.join(root, `svc${i}`, 'Dockerfile'), 'utf8');
      assert.ok(text === before(i) || text === after(i), `svc${i}/Dockerfile is old or new, never partial (round ${round})`);
      if (text === after(i)) written++;
      for (const name of readdirSync(path.join(root, `svc${i}`))) {
        if (name !== 'Dockerfile') assert.not.ok(isDockerfileName(name), `leftover ${name} is not taken for a Dockerfile`);
      }
    }
    assert.ok(written > 0 && written < N, `the kill landed mid-write (round ${round}: ${written} of ${N} written)`);
    // A second run finishes the job and sees only the real Dockerfiles.
    const r = cli(root, '--write', '-q', '-t', 'syntax-directive', '--format', 'json', '.');
    const report = JSON.parse(r.stdout) as { totals: { scanned: number; changed: number } };
    assert.is(report.totals.scanned, N);
    assert.is(report.totals.changed, N - written);
  }
});

test('huge inputs: a 10 MB one-line file is refused by size at once; a 100k-line file finishes', () => {
  const root = tmp();
  write(root, {
    'big/Dockerfile': 'FROM alpine\nRUN echo ' + 'a'.repeat(10 * 1024 * 1024) + '\n',
    'long/Dockerfile': 'FROM alpine\n' + 'RUN a \\\n b\n'.repeat(50_000),
  });
  const started = Date.now();
  const r = cli(root, '-t', 'syntax-directive,cache-id-platform', '--format', 'json', '.');
  assert.ok(Date.now() - started < 20_000, 'finishes well within the time limit');
  const report = JSON.parse(r.stdout) as { files: { path: string; status: string; messages: { message: string }[] }[] };
  const big = report.files.find((f) => f.path === 'big/Dockerfile')!;
  assert.is(big.status, 'error');
  assert.match(big.messages[0]!.message, /too large/);
  assert.is(report.files.find((f) => f.path === 'long/Dockerfile')!.status, 'changed');
  assert.is(r.status, 2);
});

test('a file that changes on disk between reading and writing is not overwritten', async () => {
  const root = tmp();
  const slow = path.join(root, 'slow.mjs');
  // The transform rewrites the file on disk while dockshift holds the old text, then changes its copy.
  writeFileSync(slow, `import { writeFileSync } from 'node:fs';\nexport default function (file) { writeFileSync(${JSON.stringify(path.join(root, 'Dockerfile'))}, 'FROM edited\\n'); return '# changed\\n' + file.source; }\n`);
  write(root, { Dockerfile: 'FROM alpine\n' });
  const r = cli(root, '--write', '--no-verify', '-t', './slow.mjs', 'Dockerfile');
  assert.is(r.status, 2);
  assert.match(r.stderr, /changed on disk during the run; not overwritten/);
  assert.is(readFileSync(path.join(root, 'Dockerfile'), 'utf8'), 'FROM edited\n');
});


// Permissions are not enforced for root (as CI runs): there the CLI runs as `nobody` through setpriv.
const NOBODY = 65534;
const asUnprivileged: string[] | undefined =
  process.getuid?.() !== 0
    ? []
    : // setpriv present, and the checkout readable by nobody (a clone in a private directory is not)
      spawnSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, BIN, '--version'], { env: ENV }).status === 0
      ? ['setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups']
      : undefined;

test('unreadable files and directories, unwritable ones with --write: each named, exit 2, the rest processed', () => {
  if (!asUnprivileged) return; // root without setpriv: permissions cannot be taken away
  const root = tmp();
  write(root, { 'ok/Dockerfile': 'FROM a\n', 'locked/Dockerfile': 'FROM a\n', 'secret/Dockerfile': 'FROM a\n', 'readonly/Dockerfile': 'FROM a\n' });
  const asRunner = (...args: string[]) => {
    const [cmd, ...pre] = asUnprivileged.length ? asUnprivileged : [process.execPath];
    const argv = asUnprivileged.length ? [...pre, process.execPath, BIN, ...args] : [BIN, ...args];
    return spawnSync(cmd!, argv, { cwd: root, encoding: 'utf8', env: ENV });
  };
  const modes: [string, number][] = [['', 0o755], ['ok', 0o755], ['locked', 0o000], ['secret/Dockerfile', 0o000], ['readonly', 0o555]];
  if (asUnprivileged.length) chownSync(path.join(root, 'ok'), NOBODY, NOBODY);
  if (asUnprivileged.length) chownSync(path.join(root, 'ok', 'Dockerfile'), NOBODY, NOBODY);
  for (const [rel, mode] of modes) chmodSync(path.join(root, rel), mode);
  try {
    const dry = asRunner('-t', 'syntax-directive', '--format', 'summary', '.');
    assert.is(dry.status, 2, dry.stderr);
    assert.match(dry.stderr, /^locked: error: cannot search directory: permission denied$/m);
    assert.match(dry.stderr, /^secret\/Dockerfile: error: unreadable: permission denied$/m);
    assert.match(dry.stdout, /^changed +ok\/Dockerfile/m);
    assert.match(dry.stdout, /^changed +readonly\/Dockerfile/m, 'a dry run reads what it cannot write');

    const wrote = asRunner('-t', 'syntax-directive', '--write', '--format', 'summary', '.');
    assert.is(wrote.status, 2, wrote.stderr);
    assert.match(wrote.stderr, /^readonly\/Dockerfile: error: could not write: EACCES/m);
    assert.is(readFileSync(path.join(root, 'ok/Dockerfile'), 'utf8'), '# syntax=docker/dockerfile:1\nFROM a\n');
    assert.is(readFileSync(path.join(root, 'readonly/Dockerfile'), 'utf8'), 'FROM a\n', 'the original stays');
    assert.equal(readdirSync(path.join(root, 'readonly')), ['Dockerfile'], 'no temporary file left');
    assert.equal(readdirSync(path.join(root, 'ok')), ['Dockerfile'], 'no temporary file left');
  } finally {
    for (const [rel] of modes) chmodSync(path.join(root, rel), 0o755);
    chmodSync(path.join(root, 'secret/Dockerfile'), 0o644);
  }
});

test.run();
