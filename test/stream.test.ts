// Streaming: the runner hands each outcome on in report order as soon as it and every file before it are done
// (and, with --write, written), so that the CLI prints it and forgets its texts; generated files come last. These
// tests check the structure (what is printed or written while a later file is still being processed, what the
// callback receives, what is kept), not time or memory.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../src/runner/run.js';
import { formatResult } from '../src/report/index.js';
import type { Outcome, Transform } from '../src/types.js';
import { BIN, ENV, cli, tmp, write } from './helpers.js';

/** An in-memory transform (runs in-process) that logs when it processes a file. */
function logging(log: string[]): Transform {
  return {
    meta: { name: 'logging', description: 'test' },
    origin: 'logging',
    fn: (file, api) => {
      if (file.path.startsWith('gen/')) api.emitFile('.dockerignore', '*\n');
      if (file.source.startsWith('# changed')) return undefined; // the guard's second pass
      if (log.at(-1) !== `process ${file.path}`) log.push(`process ${file.path}`); // (second pass of an emitting file)
      return file.source.includes('FROM keep') ? undefined : `# changed\n${file.source}`;
    },
  };
}

function tree(): string {
  const root = tmp();
  write(root, {
    'b/Dockerfile': 'FROM b\n',
    'a/Dockerfile': 'FROM a\n',
    'gen/Dockerfile': 'FROM keep\n',
    'c/Dockerfile': 'FROM keep\n',
    'd/Dockerfile': 'FROM d\nRUN <<EOF\n', // unterminated heredoc: an error outcome
  });
  return root;
}

test('run(): each outcome is handed on before the next file is processed, in discovery order, generated files last', async () => {
  const root = tree();
  const log: string[] = [];
  const seen: Outcome[] = [];
  const result = await run({
    cwd: root,
    transforms: [logging(log)],
    keep: 'none',
    onOutcome: (o) => {
      log.push(`outcome ${o.path}`);
      seen.push({ ...o });
    },
  });
  assert.equal(log, [
    'process a/Dockerfile',
    'outcome a/Dockerfile',
    'process b/Dockerfile',
    'outcome b/Dockerfile',
    'process c/Dockerfile',
    'outcome c/Dockerfile',
    'outcome d/Dockerfile', // a parse error: no transform ran
    'process gen/Dockerfile',
    'outcome gen/Dockerfile',
    'outcome gen/.dockerignore',
  ]);
  assert.is(seen.find((o) => o.path === 'a/Dockerfile')!.after, '# changed\nFROM a\n', 'the callback gets the texts');
  assert.is(seen.at(-1)!.kind, 'generated');
  assert.equal(result.outcomes, [], 'keep: none keeps no outcome');
  assert.equal(result.totals, { scanned: 5, changed: 2, created: 1, unchanged: 2, skipped: 0, errors: 1 });
});

test('run(): keep "compact" drops the texts after the callback; the default keeps them; all give the same report', async () => {
  const root = tree();
  const full = await run({ cwd: root, transforms: [logging([])] });
  const compact = await run({ cwd: root, transforms: [logging([])], keep: 'compact' });
  assert.equal(compact.outcomes.map((o) => o.path), full.outcomes.map((o) => o.path));
  assert.ok(full.outcomes.some((o) => o.before !== undefined && o.after !== undefined), 'full keeps before/after');
  for (const o of compact.outcomes) assert.ok(o.before === undefined && o.after === undefined, `${o.path}: no texts`);
  assert.equal(compact.totals, full.totals);
  // What the CLI prints from the stream is what formatResult prints from the kept outcomes.
  const streamed = await run({ cwd: root, transforms: [logging([])], keep: 'none' });
  assert.equal(streamed.totals, full.totals);
  assert.match(formatResult('diff', full), '--- /dev/null\n+++ b/gen/.dockerignore');
});

/**
 * A transform module (so it runs in a worker thread, as custom transforms do) that holds `b/Dockerfile` until the
 * test creates `go`; it gives up after a while, so that a CLI that does not stream fails the test, not hangs it.
 */
function blockingTree(): string {
  const root = tmp();
  write(root, {
    'a/Dockerfile': 'FROM a\n',
    'b/Dockerfile': 'FROM b\n',
    'block.mjs': [
      "import { existsSync } from 'node:fs';",
      `const go = ${JSON.stringify(path.join(root, 'go'))};`,
      'export default function (file) {',
      "  if (file.path === 'b/Dockerfile') {",
      '    const cell = new Int32Array(new SharedArrayBuffer(4));',
      '    for (let i = 0; !existsSync(go); i++) {',
      "      if (i > 1500) throw new Error('never released: nothing was printed while this file was held');",
      '      Atomics.wait(cell, 0, 0, 20);',
      '    }',
      '  }',
      "  return '# changed\\n' + file.source;",
      '}',
      '',
    ].join('\n'),
  });
  return root;
}

/** Runs the CLI; when `ready(stdout)` first holds, calls `then()` and creates `go` (releasing b/Dockerfile). */
function runHeld(root: string, args: string[], ready: (stdout: string) => boolean, then: () => void): Promise<{ status: number | null; stdout: string; stderr: string; released: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--no-verify', '--time-limit', '60', '-t', './block.mjs', ...args], { cwd: root, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let released = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!released && ready(stdout)) {
        released = true;
        then();
        fs.writeFileSync(path.join(root, 'go'), '');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, released }));
  });
}

test('CLI --format diff: the first file is printed, and with --write written, while the second is still being processed', async () => {
  const root = blockingTree();
  let writtenWhileHeld: string | undefined;
  const r = await runHeld(
    root,
    ['--write', 'a', 'b'],
    (out) => out.includes('+++ b/a/Dockerfile\n@@ -1 +1,2 @@\n+# changed\n FROM a\n'),
    () => (writtenWhileHeld = fs.readFileSync(path.join(root, 'a/Dockerfile'), 'utf8')),
  );
  assert.ok(r.released, `a/Dockerfile's diff was not printed before b/Dockerfile was done:\n${r.stdout}\n${r.stderr}`);
  assert.is(writtenWhileHeld, '# changed\nFROM a\n', 'a/Dockerfile is written before b/Dockerfile is done');
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(path.join(root, 'b/Dockerfile'), 'utf8'), '# changed\nFROM b\n');
  assert.ok(r.stdout.indexOf('b/a/Dockerfile') < r.stdout.indexOf('b/b/Dockerfile'));
});

test('CLI --format json: the document is written as it goes (first entry before the second file is done) and stays one valid document', async () => {
  const root = blockingTree();
  const r = await runHeld(root, ['--format', 'json', 'a', 'b'], (out) => out.includes('"path": "a/Dockerfile"'), () => {});
  assert.ok(r.released, `a/Dockerfile's entry was not printed before b/Dockerfile was done:\n${r.stdout}\n${r.stderr}`);
  assert.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { files: { path: string; status: string }[]; totals: { changed: number } };
  assert.equal(doc.files.map((f) => [f.path, f.status]), [['a/Dockerfile', 'changed'], ['b/Dockerfile', 'changed']]);
  assert.is(doc.totals.changed, 2);
});

const hasBash = spawnSync('bash', ['--version']).status === 0;

test('a reader that goes away (dockshift | head) is no crash: the output stops, --write and the exit status do not', () => {
  if (!hasBash) return;
  const root = tmp();
  const files: Record<string, string> = {};
  const name = (i: number) => `s${String(i).padStart(3, '0')}/Dockerfile`;
  // More output than a pipe holds (~280 KB of diff), so the reader is gone while the run is still writing.
  const body = `RUN echo ${'1'.repeat(300)}\nRUN echo ${'2'.repeat(300)}\n`;
  for (let i = 0; i < 400; i++) files[name(i)] = `FROM alpine:3.${i}\n${body}`;
  write(root, files);
  const cmd = `'${process.execPath}' '${BIN}' --write -t syntax-directive . 2>err.txt | head -c 10 >/dev/null; echo \${PIPESTATUS[0]} >status.txt`;
  const sh = spawnSync('bash', ['-c', cmd], { cwd: root, env: ENV, encoding: 'utf8' });
  assert.is(sh.status, 0, sh.stderr);
  const stderr = fs.readFileSync(path.join(root, 'err.txt'), 'utf8');
  assert.is(fs.readFileSync(path.join(root, 'status.txt'), 'utf8').trim(), '0', stderr);
  assert.not.match(stderr, 'EPIPE');
  assert.match(stderr, /^dockshift: 400 files scanned, 400 changed/m);
  for (let i = 0; i < 400; i++) assert.is(fs.readFileSync(path.join(root, name(i)), 'utf8'), `# syntax=docker/dockerfile:1\nFROM alpine:3.${i}\n${body}`);
});

test('-j 2 with a slow first file and more files than the reorder window: output in discovery order, as with -j 1', () => {
  const root = tmp();
  const files: Record<string, string> = {
    'slow.mjs': [
      'export default function (file) {',
      "  if (file.path === 'svc000/Dockerfile') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);",
      "  return file.source.includes('FROM keep') ? undefined : '# changed\\n' + file.source;",
      '}',
      '',
    ].join('\n'),
  };
  for (let i = 0; i < 300; i++) files[`svc${String(i).padStart(3, '0')}/Dockerfile`] = i % 4 === 0 ? 'FROM keep\n' : `FROM s${i}\n`;
  write(root, files);
  const one = cli(root, '-j', '1', '--no-verify', '-t', './slow.mjs', '.');
  const two = cli(root, '-j', '2', '--no-verify', '-t', './slow.mjs', '.');
  assert.is(one.status, 0, one.stderr);
  assert.is(two.stdout, one.stdout);
  const order = [...two.stdout.matchAll(/^\+\+\+ b\/(svc\d+)\//gm)].map((m) => m[1]);
  assert.is(order.length, 225);
  assert.equal(order, [...order].sort());
});

test.run();
