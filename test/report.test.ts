import { countTotals } from '../src/runner/run.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Outcome, RunResult } from '../src/types.js';
import {
  colorizeDiff,
  computeHunks,
  hunkHeader,
  splitLinesKeepEol,
  unifiedDiff,
  verifyHunks,
  wholeFileHunk,
} from '../src/report/diff.js';
import { formatJson } from '../src/report/json.js';
import { formatMarkdown } from '../src/report/markdown.js';
import { formatSarif } from '../src/report/sarif.js';
import { formatSummary, summaryLine } from '../src/report/summary.js';
import { FORMATS, formatResult } from '../src/report/index.js';

// ------------------------------------------------------------------------------------------------
// helpers

function outcome(p: string, before: string | undefined, after: string | undefined, extra: Partial<Outcome> = {}): Outcome {
  const status = after === undefined || before === after ? 'unchanged' : before === undefined ? 'created' : 'changed';
  return {
    path: p,
    kind: before === undefined ? 'generated' : 'dockerfile',
    status,
    transforms: status === 'unchanged' ? [] : ['syntax-directive'],
    messages: [],
    before,
    after: status === 'unchanged' ? undefined : after,
    absPath: '/dummy/' + p,
    ...extra,
  };
}

function run(outcomes: Outcome[], elapsed = 45): RunResult {
  return { outcomes, totals: countTotals(outcomes), elapsed };
}

const tmpRoots: string[] = [];
function tempRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-report-'));
  tmpRoots.push(dir);
  const init = spawnSync('git', ['init', '-q', '.'], { cwd: dir });
  assert.is(init.status, 0, 'git init');
  spawnSync('git', ['config', 'core.autocrlf', 'false'], { cwd: dir });
  spawnSync('git', ['config', 'core.safecrlf', 'false'], { cwd: dir });
  return dir;
}

function writeFiles(dir: string, files: { path: string; text: string | undefined }[]): void {
  for (const f of files) {
    if (f.text === undefined) continue;
    const abs = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, f.text, 'utf8');
  }
}

function assertBytes(dir: string, p: string, expected: string, tool: string): void {
  const abs = path.join(dir, p);
  assert.ok(fs.existsSync(abs), `${tool}: ${p} exists after apply`);
  const got = fs.readFileSync(abs);
  const want = Buffer.from(expected, 'utf8');
  if (!got.equals(want)) {
    assert.fixture(JSON.stringify(got.toString('utf8')), JSON.stringify(expected), `${tool}: bytes of ${p}`);
  }
}

/** Write `before` into a fresh git repo, `git apply` the patch, compare the bytes with `after`. */
function gitApplyCheck(files: { path: string; before: string | undefined; after: string }[], patch: string): void {
  const dir = tempRepo();
  writeFiles(dir, files.map((f) => ({ path: f.path, text: f.before })));
  const r = spawnSync('git', ['apply', '--whitespace=nowarn', '-'], { input: patch, cwd: dir });
  assert.is(r.status, 0, `git apply failed: ${r.stderr?.toString()}\n--- patch ---\n${patch}`);
  for (const f of files) assertBytes(dir, f.path, f.after, 'git apply');
}

const hasPatch = spawnSync('patch', ['--version']).status === 0;
/** The same with GNU patch -p1, when it is installed (a second, independent reader of the format). */
function gnuPatchCheck(files: { path: string; before: string | undefined; after: string }[], patch: string): void {
  if (!hasPatch) return;
  const dir = tempRepo();
  writeFiles(dir, files.map((f) => ({ path: f.path, text: f.before })));
  const r = spawnSync('patch', ['-p1', '--binary', '-s', '-f', '--no-backup-if-mismatch'], { input: patch, cwd: dir });
  assert.is(r.status, 0, `patch failed: ${r.stdout?.toString()}${r.stderr?.toString()}\n--- patch ---\n${patch}`);
  for (const f of files) assertBytes(dir, f.path, f.after, 'patch');
}

function roundTrip(p: string, before: string | undefined, after: string, opts: { gnu?: boolean } = {}): string {
  const o = outcome(p, before, after);
  const d = unifiedDiff(o);
  assert.ok(d.length > 0, 'diff is not empty');
  assert.ok(d.endsWith('\n'), 'diff ends with a newline');
  gitApplyCheck([{ path: p, before, after }], d);
  if (opts.gnu !== false) gnuPatchCheck([{ path: p, before, after }], d);
  return d;
}

/** Apply SARIF replacements (line/column regions) to `before`, as a SARIF consumer would. */
function applySarifReplacements(before: string, replacements: any[]): string {
  const lines = splitLinesKeepEol(before);
  const lineStart: number[] = [0];
  for (const l of lines) lineStart.push(lineStart[lineStart.length - 1]! + l.length);
  const offset = (line: number, col: number): number => {
    assert.ok(line >= 1 && line <= lines.length + 1, `line ${line} in range`);
    return lineStart[line - 1]! + col - 1;
  };
  const edits = replacements.map((r) => {
    const d = r.deletedRegion;
    const start = offset(d.startLine, d.startColumn ?? 1);
    const end = offset(d.endLine ?? d.startLine, d.endColumn ?? 1);
    return { start, end, text: r.insertedContent?.text ?? '' };
  });
  edits.sort((a, b) => b.start - a.start);
  let text = before;
  for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}

// ------------------------------------------------------------------------------------------------
// unified diff: exact text

test('diff: LF change has git headers and git-style hunk header', () => {
  const d = unifiedDiff(outcome('services/api/Dockerfile', 'FROM a\nRUN b\nCMD c\n', 'FROM a\nRUN B\nCMD c\n'));
  assert.is(d, '--- a/services/api/Dockerfile\n+++ b/services/api/Dockerfile\n@@ -1,3 +1,3 @@\n FROM a\n-RUN b\n+RUN B\n CMD c\n');
});

test('diff: unchanged, error and skipped outcomes give the empty string', () => {
  assert.is(unifiedDiff(outcome('Dockerfile', 'FROM a\n', 'FROM a\n')), '');
  assert.is(unifiedDiff({ ...outcome('Dockerfile', 'FROM a\n', undefined), status: 'error' }), '');
  assert.is(unifiedDiff({ ...outcome('Dockerfile', 'FROM a\n', undefined), status: 'skipped' }), '');
  assert.is(unifiedDiff({ ...outcome('Dockerfile', undefined, undefined), status: 'error' }), '');
});

test('diff: created file uses /dev/null and @@ -0,0', () => {
  const d = unifiedDiff(outcome('svc/.dockerignore', undefined, '*\n!src\n'));
  assert.is(d, '--- /dev/null\n+++ b/svc/.dockerignore\n@@ -0,0 +1,2 @@\n+*\n+!src\n');
});

test('diff: created empty file needs git\'s extended header, ended by a blank line', () => {
  assert.is(unifiedDiff(outcome('x/.dockerignore', undefined, '')), 'diff --git a/x/.dockerignore b/x/.dockerignore\nnew file mode 100644\n\n');
});

test('diff: hunk header omits ,1 and uses start-1 for empty sides', () => {
  assert.is(hunkHeader({ oldStart: 5, oldLines: 1, newStart: 5, newLines: 1, lines: [] }), '@@ -5 +5 @@');
  assert.is(hunkHeader({ oldStart: 1, oldLines: 0, newStart: 1, newLines: 2, lines: [] }), '@@ -0,0 +1,2 @@');
  assert.is(hunkHeader({ oldStart: 4, oldLines: 2, newStart: 4, newLines: 0, lines: [] }), '@@ -4,2 +3,0 @@');
});

test('diff: CRLF keeps the \\r on every patch line', () => {
  const d = unifiedDiff(outcome('Dockerfile', 'FROM a\r\nRUN b\r\n', 'FROM a\r\nRUN c\r\n'));
  assert.is(d, '--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\r\n-RUN b\r\n+RUN c\r\n');
});

test('diff: no final newline markers sit after the right lines', () => {
  const both = unifiedDiff(outcome('D', 'a\nb', 'a\nc'));
  assert.is(both, '--- a/D\n+++ b/D\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n');
  const beforeOnly = unifiedDiff(outcome('D', 'a\nb', 'a\nb\n'));
  assert.is(beforeOnly, '--- a/D\n+++ b/D\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n');
  const afterOnly = unifiedDiff(outcome('D', 'a\nb\n', 'a\nb'));
  assert.is(afterOnly, '--- a/D\n+++ b/D\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n');
  const contextOnly = unifiedDiff(outcome('D', 'x\na\nb', 'y\na\nb'));
  assert.is(contextOnly, '--- a/D\n+++ b/D\n@@ -1,3 +1,3 @@\n-x\n+y\n a\n b\n\\ No newline at end of file\n');
});

test('diff: BOM is just a character of line 1', () => {
  const d = unifiedDiff(outcome('D', '\uFEFFFROM a\nRUN b\n', '\uFEFF# syntax=docker/dockerfile:1\nFROM a\nRUN b\n'));
  assert.is(d, '--- a/D\n+++ b/D\n@@ -1,2 +1,3 @@\n-\uFEFFFROM a\n+\uFEFF# syntax=docker/dockerfile:1\n+FROM a\n RUN b\n');
});

test('diff: multi-hunk uses 3 lines of context by default, and context option', () => {
  const lines = Array.from({ length: 30 }, (_, i) => `RUN step ${i + 1}`);
  const before = lines.join('\n') + '\n';
  const changed = lines.slice();
  changed[1] = 'RUN changed 2';
  changed[24] = 'RUN changed 25';
  const after = changed.join('\n') + '\n';
  const d = unifiedDiff(outcome('D', before, after));
  const headers = d.split('\n').filter((l) => l.startsWith('@@'));
  assert.equal(headers, ['@@ -1,5 +1,5 @@', '@@ -22,7 +22,7 @@']);
  const d1 = unifiedDiff(outcome('D', before, after), { context: 1 });
  assert.equal(d1.split('\n').filter((l) => l.startsWith('@@')), ['@@ -1,3 +1,3 @@', '@@ -24,3 +24,3 @@']);
});

test('diff: paths with spaces get a trailing tab, odd characters are C-quoted', () => {
  const d = unifiedDiff(outcome('my dir/Dockerfile', 'a\n', 'b\n'));
  assert.ok(d.startsWith('--- a/my dir/Dockerfile\t\n+++ b/my dir/Dockerfile\t\n'));
  const q = unifiedDiff(outcome('we"ird\\name', 'a\n', 'b\n'));
  assert.ok(q.startsWith('--- "a/we\\"ird\\\\name"\n+++ "b/we\\"ird\\\\name"\n'), q);
});

test('diff: verifier rejects wrong hunks and the fallback is a whole-file hunk', () => {
  const before = 'a\nb\nc\n';
  const after = 'a\nB\nc\n';
  const good = computeHunks(before, after);
  assert.ok(verifyHunks(before, after, good));
  const badCount = good.map((h) => ({ ...h, oldLines: h.oldLines + 1 }));
  assert.not.ok(verifyHunks(before, after, badCount));
  const badText = good.map((h) => ({ ...h, lines: h.lines.map((l) => (l === '+B' ? '+X' : l)) }));
  assert.not.ok(verifyHunks(before, after, badText));
  const noMarker = computeHunks('a\nb', 'a\nc').map((h) => ({ ...h, lines: h.lines.filter((l) => !l.startsWith('\\')) }));
  assert.not.ok(verifyHunks('a\nb', 'a\nc', noMarker));
  const whole = wholeFileHunk('x\r\ny', 'z\n');
  assert.ok(verifyHunks('x\r\ny', 'z\n', [whole], 0));
  assert.is(whole.lines.join('|'), '-x\r|-y|\\ No newline at end of file|+z');
});

// ------------------------------------------------------------------------------------------------
// unified diff: git apply reproduces `after` byte for byte

const cases: [string, string | undefined, string][] = [
  ['LF', 'FROM node:20\nCOPY . .\nRUN npm ci\nCMD ["node", "."]\n', 'FROM node:20\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nCMD ["node", "."]\n'],
  ['CRLF', 'FROM a\r\nRUN b\r\nRUN c\r\nCMD d\r\n', '# syntax=docker/dockerfile:1\r\nFROM a\r\nRUN b2\r\nRUN c\r\nCMD d\r\n'],
  ['CRLF no final newline', 'FROM a\r\nRUN b', 'FROM a\r\nRUN c'],
  ['CRLF no final newline, last line kept', 'FROM a\r\nRUN x\r\nRUN b', 'FROM b\r\nRUN x\r\nRUN b'],
  ['mixed line endings and a lone CR', 'FROM a\r\nRUN b\nRUN c\rd\r\nCMD e\n', 'FROM a\r\nRUN B\nRUN c\rd\r\nCMD e\r\n'],
  ['no final newline before only', 'FROM a\nRUN b', 'FROM a\nRUN b\n'],
  ['no final newline after only', 'FROM a\nRUN b\n', 'FROM a\nRUN b'],
  ['no final newline both, last line changed', 'FROM a\nRUN b', 'FROM a\nRUN c'],
  ['no final newline both, last line is context', 'FROM a\nRUN x\nRUN y\nRUN b', 'FROM z\nRUN x\nRUN y\nRUN b'],
  ['no final newline both, far from change', 'L1\nL2\nL3\nL4\nL5\nL6\nL7\nL8\nL9', 'X1\nL2\nL3\nL4\nL5\nL6\nL7\nL8\nL9'],
  ['BOM kept, line inserted after', '\uFEFFFROM a\nRUN b\n', '\uFEFF# syntax=docker/dockerfile:1\nFROM a\nRUN b\n'],
  ['BOM with CRLF', '\uFEFFFROM a\r\nRUN b\r\n', '\uFEFF# syntax=docker/dockerfile:1\r\nFROM a\r\nRUN b\r\n'],
  ['BOM removed', '\uFEFFFROM a\n', 'FROM a\n'],
  ['empty to content', '', 'FROM a\n'],
  ['empty to content without newline', '', 'FROM a'],
  ['content to empty', 'FROM a\nRUN b\n', ''],
  ['content without newline to empty', 'FROM a', ''],
  ['only newline change in the middle', 'a\nb\nc\n', 'a\r\nb\nc\n'],
  ['blank lines', '\n\n\nFROM a\n\n\n', '\n\nFROM a\n\n\n\n'],
  ['non-ASCII content', 'FROM a\nLABEL x="héllo ✓ 🐳"\n', 'FROM a\nLABEL x="héllo ✓ 🐋"\n'],
  ['created file', undefined, '*\n!package.json\n!src\n'],
  ['created file without final newline', undefined, '*\n!src'],
  ['created file with CRLF', undefined, '*\r\n!src\r\n'],
  ['created empty file', undefined, ''],
];

for (const [name, before, after] of cases) {
  test(`git apply round trip: ${name}`, () => {
    roundTrip('sub/dir/Dockerfile', before, after, { gnu: !(before === undefined && after === '') });
  });
}

test('git apply round trip: multi-hunk', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `RUN step ${i + 1}`);
  const before = lines.join('\r\n');
  const changed = lines.slice();
  changed[0] = 'RUN first';
  changed.splice(15, 2, 'RUN merged 16+17');
  changed.splice(30, 0, 'RUN inserted');
  changed[changed.length - 1] = 'RUN last';
  const after = changed.join('\r\n') + '\r\n';
  const d = roundTrip('Dockerfile', before, after);
  assert.ok(d.split('\n').filter((l) => l.startsWith('@@')).length >= 3, 'several hunks');
});

test('git apply round trip: paths with spaces, non-ASCII and quotes', () => {
  roundTrip('my dir/Dockerfile.prod', 'FROM a\n', 'FROM b\n');
  roundTrip('ünïcode/Containerfile', 'FROM a\n', 'FROM b\n');
  roundTrip('q"uote\\s/Dockerfile', 'FROM a\n', 'FROM b\n', { gnu: false });
});

test('git apply round trip: whole-file fallback hunk applies', () => {
  const before = 'FROM a\r\nRUN b';
  const after = 'FROM c\nRUN b\n';
  const h = wholeFileHunk(before, after);
  const patch = '--- a/D\n+++ b/D\n' + hunkHeader(h) + '\n' + h.lines.join('\n') + '\n';
  gitApplyCheck([{ path: 'D', before, after }], patch);
});

test('git apply round trip: random edits (property test)', () => {
  // Deterministic PRNG so that a failure reproduces.
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pool = ['FROM a', 'RUN b', 'RUN c', '', 'COPY . .', '# x', 'RUN b', '```', ' RUN d'];
  const eols = ['\n', '\n', '\r\n', ''];
  const gen = (): string => {
    const n = rnd(8);
    let s = rnd(5) === 0 ? '\uFEFF' : '';
    for (let i = 0; i < n; i++) s += pool[rnd(pool.length)]! + (i === n - 1 ? eols[rnd(eols.length)]! : rnd(4) === 0 ? '\r\n' : '\n');
    return s;
  };
  const files: { path: string; before: string | undefined; after: string }[] = [];
  let patch = '';
  for (let i = 0; i < 150; i++) {
    const before = gen();
    let after = gen();
    if (rnd(3) === 0) {
      // small local edit of before
      const ls = splitLinesKeepEol(before);
      ls.splice(rnd(ls.length + 1), rnd(2), ...(rnd(2) ? ['RUN new\n'] : []));
      after = ls.join('');
    }
    if (before === after) continue;
    const p = `case${i}/Dockerfile`;
    const created = rnd(8) === 0;
    const d = unifiedDiff(outcome(p, created ? undefined : before, after));
    // The in-process verifier agrees with what we produced.
    assert.ok(verifyHunks(before, after, computeHunks(before, after)));
    files.push({ path: p, before: created ? undefined : before, after });
    patch += d;
  }
  assert.ok(files.length > 30, `${files.length} cases`);
  // One multi-file patch, as `dockshift > fix.patch && git apply fix.patch` would use.
  gitApplyCheck(files, patch);
});

test('formatResult diff: concatenated multi-file patch applies in one go, created and changed', () => {
  const outcomes = [
    outcome('a/Dockerfile', 'FROM a\nRUN b\n', 'FROM a\nRUN c\n'),
    outcome('a/.dockerignore', undefined, '*\n!src\n'),
    outcome('b/Dockerfile', 'FROM x\n', undefined),
    { ...outcome('c/Dockerfile', 'FROM (\n', undefined), status: 'error' as const },
    outcome('d/Dockerfile', 'FROM a\r\nRUN b', 'FROM a\r\nRUN c'),
    outcome('e/empty', undefined, ''),
    outcome('f/Dockerfile', 'FROM a\n', 'FROM f\n'),
  ];
  const r = run(outcomes);
  const patch = formatResult('diff', r);
  assert.is(patch, [0, 1, 4, 5, 6].map((i) => unifiedDiff(outcomes[i]!)).join(''));
  gitApplyCheck(
    [
      { path: 'a/Dockerfile', before: 'FROM a\nRUN b\n', after: 'FROM a\nRUN c\n' },
      { path: 'a/.dockerignore', before: undefined, after: '*\n!src\n' },
      { path: 'b/Dockerfile', before: 'FROM x\n', after: 'FROM x\n' },
      { path: 'd/Dockerfile', before: 'FROM a\r\nRUN b', after: 'FROM a\r\nRUN c' },
      { path: 'e/empty', before: undefined, after: '' },
      { path: 'f/Dockerfile', before: 'FROM a\n', after: 'FROM f\n' },
    ],
    patch,
  );
  assert.is(formatResult('none', r), '');
  assert.equal([...FORMATS], ['diff', 'json', 'markdown', 'sarif', 'summary', 'none']);
});

test('colorizeDiff: colors by role and strips back to the original', () => {
  const d = unifiedDiff(outcome('D', '--x\nb\r\nc\n', '++y\nb\r\nc\n'));
  const c = colorizeDiff(d);
  // eslint-disable-next-line no-control-regex
  assert.is(c.replace(/\u001b\[[0-9;]*m/g, ''), d);
  assert.ok(c.includes('\u001b[1m--- a/D\u001b[0m'), 'header bold');
  assert.ok(c.includes('\u001b[36m@@ -1,3 +1,3 @@\u001b[0m'), 'hunk cyan');
  assert.ok(c.includes('\u001b[31m---x\u001b[0m'), 'removed line that starts with -- is red, not a header');
  assert.ok(c.includes('\u001b[32m+++y\u001b[0m'), 'added line that starts with ++ is green');
  assert.ok(c.includes('\n b\r\n'), 'context untouched');
  assert.is(formatResult('diff', run([outcome('D', 'a\n', 'b\n')]), { color: true }), colorizeDiff(unifiedDiff(outcome('D', 'a\n', 'b\n'))));
  assert.is(colorizeDiff(''), '');
});

// ------------------------------------------------------------------------------------------------
// JSON

function sampleRun(): RunResult {
  const outcomes: Outcome[] = [
    {
      ...outcome('services/api/Dockerfile', 'FROM node\nCOPY . .\nRUN npm ci\n', 'FROM node\nCOPY package.json ./\nRUN npm ci\nCOPY . .\n'),
      transforms: ['manifest-first'],
      messages: [{ transform: 'manifest-first', level: 'info', message: 'split COPY', line: 2 }],
      mode: 0o644,
      context: { path: 'services/api', origin: 'directory' },
    },
    { ...outcome('services/api/.dockerignore', undefined, '*\n!src\n'), transforms: ['dockerignore-allowlist'] },
    { ...outcome('services/bad/Dockerfile', 'RUN <<EOF\n', undefined), status: 'error', messages: [{ level: 'error', message: 'unterminated heredoc at line 2' }] },
    outcome('services/ok/Dockerfile', 'FROM a\n', 'FROM a\n'),
    {
      ...outcome('services/skip/Dockerfile', '# dockshift-ignore-file\nFROM a\n', undefined),
      status: 'skipped',
      messages: [{ level: 'info', message: 'dockshift-ignore-file' }],
    },
    {
      ...outcome('services/warn/Dockerfile', 'FROM a\n', undefined),
      messages: [{ transform: 'cache-id-platform', level: 'warning', message: 'mount id uses a variable', line: 1 }],
    },
  ];
  return run(outcomes, 12.6);
}

test('json: contract shape, diffs only for changed/created, internals hidden', () => {
  const r = sampleRun();
  const text = formatJson(r);
  assert.ok(text.endsWith('}\n'), 'trailing newline');
  assert.ok(text.startsWith('{\n  "version": 1,\n  "files": [\n'), 'pretty-printed with 2 spaces');
  const doc = JSON.parse(text);
  assert.equal(Object.keys(doc), ['version', 'files', 'totals']);
  assert.is(doc.version, 1);
  assert.equal(doc.totals, { scanned: 5, changed: 1, created: 1, unchanged: 2, skipped: 1, errors: 1 });
  assert.equal(Object.keys(doc.totals), ['scanned', 'changed', 'created', 'unchanged', 'skipped', 'errors']);
  assert.is(doc.files.length, 6);
  const [api, ign, bad, ok, skip, warn] = doc.files;
  assert.equal(Object.keys(api), ['path', 'kind', 'status', 'transforms', 'messages', 'diff', 'context']);
  assert.is(api.path, 'services/api/Dockerfile');
  assert.is(api.kind, 'dockerfile');
  assert.is(api.status, 'changed');
  assert.equal(api.transforms, ['manifest-first']);
  assert.equal(api.messages, [{ transform: 'manifest-first', level: 'info', message: 'split COPY', line: 2 }]);
  assert.equal(Object.keys(api.messages[0]), ['transform', 'level', 'message', 'line']);
  assert.ok(api.diff.startsWith('--- a/services/api/Dockerfile\n+++ b/services/api/Dockerfile\n@@ '));
  assert.equal(api.context, { path: 'services/api', origin: 'directory' });
  assert.is(ign.kind, 'generated');
  assert.is(ign.status, 'created');
  assert.ok(ign.diff.startsWith('--- /dev/null\n+++ b/services/api/.dockerignore\n'));
  assert.equal(bad, { path: 'services/bad/Dockerfile', kind: 'dockerfile', status: 'error', transforms: [], messages: [{ level: 'error', message: 'unterminated heredoc at line 2' }] });
  assert.is(ok.status, 'unchanged');
  assert.not.ok('diff' in ok);
  assert.is(skip.status, 'skipped');
  assert.not.ok('diff' in skip);
  assert.is(warn.messages[0].level, 'warning');
  for (const f of doc.files) {
    for (const k of ['before', 'after', 'absPath', 'mode']) assert.not.ok(k in f, `${k} not in output`);
  }
});

// ------------------------------------------------------------------------------------------------
// Markdown

test('markdown: heading, summary table, diff blocks, errors and messages', () => {
  const md = formatMarkdown(sampleRun());
  assert.ok(/^## /m.test(md), 'heading');
  assert.ok(md.includes('| File | Status | Transforms | Notes |'), 'table header');
  assert.ok(md.includes('| --- | --- | --- | --- |'), 'table separator');
  assert.ok(md.includes('| `services/api/Dockerfile` | changed | `manifest-first` |'), 'changed row');
  assert.ok(md.includes('| `services/bad/Dockerfile` | error |'), 'error row');
  assert.not.ok(md.includes('services/ok/Dockerfile'), 'unchanged without messages is not listed');
  assert.ok(md.includes('```diff\n--- a/services/api/Dockerfile\n'), 'fenced diff');
  assert.ok(md.includes('```diff\n--- /dev/null\n+++ b/services/api/.dockerignore\n'), 'created file diff');
  assert.ok(md.includes('<details>') && md.includes('</details>'));
  assert.ok(md.includes('### Errors') && md.includes('unterminated heredoc at line 2'));
  assert.ok(md.includes('### Messages') && md.includes('mount id uses a variable'));
  // Every opened fence is closed.
  const fences = md.split('\n').filter((l) => /^`{3,}/.test(l));
  assert.is(fences.length % 2, 0);
  assert.ok(md.endsWith('\n'));
});

test('markdown: a diff that contains ``` gets a longer fence; pipes in cells are escaped', () => {
  const o = outcome('docs|x/Dockerfile', 'RUN echo a\n```\n', 'RUN echo b\n```\n');
  const md = formatMarkdown(run([o]));
  assert.ok(md.includes('````diff\n'), 'four-backtick fence');
  const body = md.slice(md.indexOf('````diff\n') + '````diff\n'.length);
  const close = body.indexOf('\n````\n');
  assert.ok(close > 0, 'closed by a four-backtick fence');
  assert.is(body.slice(0, close) + '\n', unifiedDiff(o), 'diff inside the fence is verbatim');
  assert.ok(md.includes('docs\\|x/Dockerfile'), 'pipe escaped in table');
  const empty = formatMarkdown(run([outcome('D', 'a\n', 'a\n')]));
  assert.ok(empty.includes('No changes.'));
});

// ------------------------------------------------------------------------------------------------
// SARIF

test('sarif: structure, rules, one result per changed/created file and per error/warning', () => {
  const r = sampleRun();
  const doc = JSON.parse(formatSarif(r, '1.2.3'));
  assert.is(doc.version, '2.1.0');
  assert.ok(typeof doc.$schema === 'string' && doc.$schema.includes('sarif'));
  assert.is(doc.runs.length, 1);
  const run0 = doc.runs[0];
  assert.is(run0.tool.driver.name, 'dockshift');
  assert.is(run0.tool.driver.version, '1.2.3');
  const ruleIds = run0.tool.driver.rules.map((x: any) => x.id);
  for (const id of ['manifest-first', 'dockerignore-allowlist', 'cache-id-platform']) assert.ok(ruleIds.includes(id), id);
  // changed + created + error message + warning message
  assert.is(run0.results.length, 4);
  const [changed, created, error, warning] = run0.results;
  assert.is(changed.ruleId, 'manifest-first');
  assert.is(changed.level, 'note');
  assert.is(run0.tool.driver.rules[changed.ruleIndex].id, changed.ruleId);
  assert.is(changed.locations[0].physicalLocation.artifactLocation.uri, 'services/api/Dockerfile');
  assert.is(changed.locations[0].physicalLocation.region.startLine, 2);
  assert.ok(changed.fixes.length === 1 && changed.fixes[0].artifactChanges[0].replacements.length >= 1);
  assert.is(created.ruleId, 'dockerignore-allowlist');
  assert.is(created.fixes[0].artifactChanges[0].replacements[0].insertedContent.text, '*\n!src\n');
  assert.is(error.level, 'error');
  assert.is(error.message.text, 'unterminated heredoc at line 2');
  assert.ok(ruleIds.includes(error.ruleId));
  assert.is(warning.level, 'warning');
  assert.is(warning.ruleId, 'cache-id-platform');
  assert.is(warning.locations[0].physicalLocation.region.startLine, 1);
  assert.is(formatResult('sarif', r, { toolVersion: '1.2.3' }), formatSarif(r, '1.2.3'));
});

test('sarif: fix replacements reproduce `after` for every tricky case', () => {
  for (const [name, before, after] of cases) {
    if (before === undefined) continue;
    const o = outcome('D', before, after);
    const doc = JSON.parse(formatSarif(run([o]), '0.1.0'));
    const res = doc.runs[0].results[0];
    assert.ok(res, name);
    const reps = res.fixes[0].artifactChanges[0].replacements;
    for (const rep of reps) {
      assert.type(rep.deletedRegion.startLine, 'number');
      assert.type(rep.deletedRegion.endLine, 'number');
      assert.type(rep.insertedContent.text, 'string');
    }
    assert.is(JSON.stringify(applySarifReplacements(before, reps)), JSON.stringify(after), name);
  }
  // and the multi-hunk case
  const lines = Array.from({ length: 30 }, (_, i) => `RUN ${i}`);
  const before = lines.join('\n') + '\n';
  const after = lines.map((l, i) => (i === 3 || i === 20 ? l + ' changed' : l)).join('\n') + '\n';
  const doc = JSON.parse(formatSarif(run([outcome('D', before, after)]), '0.1.0'));
  const reps = doc.runs[0].results[0].fixes[0].artifactChanges[0].replacements;
  assert.is(reps.length, 2);
  assert.is(reps[0].deletedRegion.startLine, 4);
  assert.is(applySarifReplacements(before, reps), after);
});

// ------------------------------------------------------------------------------------------------
// Summary

test('summary: summaryLine wording', () => {
  const r: RunResult = {
    outcomes: [],
    totals: { scanned: 12, changed: 3, created: 1, unchanged: 8, skipped: 0, errors: 0 },
    elapsed: 45.2,
  };
  assert.is(summaryLine(r), 'dockshift: 12 files scanned, 3 changed, 1 created, 8 unchanged, 0 skipped, 0 errors (45 ms)');
  const one: RunResult = { outcomes: [], totals: { scanned: 1, changed: 0, created: 0, unchanged: 0, skipped: 0, errors: 1 }, elapsed: 3 };
  assert.is(summaryLine(one), 'dockshift: 1 file scanned, 0 changed, 0 created, 0 unchanged, 0 skipped, 1 error (3 ms)');
});

test('summary: one line per non-unchanged file, then totals', () => {
  const r = sampleRun();
  const s = formatSummary(r);
  const lines = s.trimEnd().split('\n');
  assert.ok(lines.includes('changed   services/api/Dockerfile  (manifest-first)'), s);
  assert.ok(lines.includes('created   services/api/.dockerignore  (dockerignore-allowlist)'), s);
  assert.ok(lines.includes('error     services/bad/Dockerfile: unterminated heredoc at line 2'), s);
  assert.ok(lines.includes('skipped   services/skip/Dockerfile: dockshift-ignore-file'), s);
  assert.not.ok(s.includes('services/ok/Dockerfile'), 'unchanged file without messages not listed');
  const withMessages = formatSummary({ ...r, outcomes: [{ ...r.outcomes.find((o) => o.status === 'changed')!, status: 'unchanged', path: 'quiet/Dockerfile' }] });
  assert.ok(withMessages.split('\n').includes('unchanged quiet/Dockerfile'), `the widest status keeps a blank before the path: ${withMessages}`);
  assert.ok(s.includes('mount id uses a variable'), 'warnings shown');
  assert.is(lines[lines.length - 1], summaryLine(r));
  assert.is(formatResult('summary', r), s);
  assert.is(formatResult('json', r), formatJson(r));
  assert.is(formatResult('markdown', r), formatMarkdown(r));
});

test.after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

test.run();
