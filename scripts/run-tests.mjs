#!/usr/bin/env node
// Runs every uvu test file under dist/test and ends with one line CI can read: "N passed, N failed".
// uvu's own summary is kept (it shows which assertion failed), then totals are re-stated plainly.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvuBin = path.join(root, 'node_modules', 'uvu', 'bin.js');
function testEnv() {
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR; // Node warns when both are set (and so uvu runs with --no-color, or it sets FORCE_COLOR)
  return env;
}
const res = spawnSync(process.execPath, [uvuBin, 'dist/test', '\\.test\\.js$', '--no-color'], { cwd: root, encoding: 'utf8', env: testEnv() });
process.stdout.write(res.stdout ?? '');
process.stderr.write(res.stderr ?? '');

const plain = (res.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const num = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(plain)?.[1] ?? NaN);
let total = num('Total');
let passed = num('Passed');
const skipped = num('Skipped') || 0;
if (Number.isNaN(total) || Number.isNaN(passed)) {
  // uvu died before its summary (a test file threw at import time): count that as a failure.
  total = 1;
  passed = 0;
}
let failed = total - passed - skipped;
if (res.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || res.status !== 0 ? 1 : 0);
