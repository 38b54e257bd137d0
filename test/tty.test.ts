// Terminal manners, under a real pseudo-terminal (util-linux `script`): a progress line on stderr and a colored
// diff on a TTY; NO_COLOR and --quiet honoured; nothing of the kind when output is piped (the other tests).

import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, ENV, tmp, write } from './helpers.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function inTty(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd, encoding: 'utf8', env: { ...ENV, NO_COLOR: undefined, ...env } });
  return r.stdout;
}

function tree(): string {
  const root = tmp();
  const files: Record<string, string> = {};
  for (let i = 0; i < 8; i++) files[`s${i}/Dockerfile`] = 'FROM alpine\n';
  write(root, files);
  return root;
}

test('on a TTY: progress line and colored diff; NO_COLOR turns colors off; --quiet drops the progress', () => {
  if (!hasScript) return console.log('  (skipped: no `script` command)');
  const root = tree();
  const out = inTty(root, ['-t', 'syntax-directive', '.']);
  assert.match(out, /\r\x1b\[Kdockshift: 8\/8 files, 8 changed, 0 errors/);
  assert.match(out, '\x1b[32m+# syntax=docker/dockerfile:1');
  const plain = inTty(root, ['-t', 'syntax-directive', '.'], { NO_COLOR: '1' });
  assert.not.match(plain, '\x1b[32m');
  assert.match(plain, '+# syntax=docker/dockerfile:1');
  const quiet = inTty(root, ['-q', '-t', 'syntax-directive', '.']);
  assert.not.match(quiet, 'files, ');
});

test('FORCE_COLOR colors a piped diff; --no-color wins over it', () => {
  const root = tree();
  const run = (args: string[], env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [BIN, ...args], { cwd: root, encoding: 'utf8', env: { ...ENV, NO_COLOR: undefined, ...env } }).stdout;
  assert.match(run(['-t', 'syntax-directive', 's0'], { FORCE_COLOR: '1' }), '\x1b[32m+# syntax');
  assert.not.match(run(['-t', 'syntax-directive', '--no-color', 's0'], { FORCE_COLOR: '1' }), '\x1b[');
  assert.not.match(run(['-t', 'syntax-directive', 's0'], {}), '\x1b[');
});

test.run();
