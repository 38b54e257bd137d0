// The GitHub Action (action.yml + action/run.mjs), run as the composite step runs it: inputs in DOCKSHIFT_*
// env, outputs appended to $GITHUB_OUTPUT, the markdown report to $GITHUB_STEP_SUMMARY.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { ENV, ROOT, read, tmp, write } from './helpers.js';

function action(cwd: string, inputs: Record<string, string>) {
  const out = path.join(cwd, '.gh-output');
  const summary = path.join(cwd, '.gh-summary');
  write(cwd, { '.gh-output': '', '.gh-summary': '' });
  const r = spawnSync(process.execPath, [path.join(ROOT, 'action', 'run.mjs')], {
    cwd,
    encoding: 'utf8',
    env: { ...ENV, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary, ...inputs },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: readFileSync(out, 'utf8'), summary: readFileSync(summary, 'utf8') };
}

const tree = () => {
  const root = tmp();
  write(root, { 'svc/Dockerfile': 'FROM alpine\n', 'ok/Dockerfile': '# syntax=docker/dockerfile:1\nFROM alpine\n' });
  return root;
};

test('action.yml declares the inputs and outputs the step uses', () => {
  const spec = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown>; outputs: Record<string, unknown>; runs: { using: string } };
  assert.equal(Object.keys(spec.inputs).sort(), ['args', 'mode', 'paths', 'summary', 'transforms']);
  assert.equal(Object.keys(spec.outputs).sort(), ['changed', 'files']);
  assert.is(spec.runs.using, 'composite');
});

test('check mode: exit 1, outputs changed/files, markdown in the job summary, nothing written', () => {
  const root = tree();
  const r = action(root, { DOCKSHIFT_MODE: 'check' });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.output, 'changed=true\n');
  assert.match(r.output, 'files=["svc/Dockerfile"]\n');
  assert.match(r.summary, '| `svc/Dockerfile` |');
  assert.match(r.summary, '```diff');
  assert.match(r.stdout, '+# syntax=docker/dockerfile:1');
  assert.is(read(root, 'svc/Dockerfile'), 'FROM alpine\n');
});

test('write mode: applies the change, exit 0, summary still lists it; then check passes', () => {
  const root = tree();
  const r = action(root, { DOCKSHIFT_MODE: 'write', DOCKSHIFT_ARGS: '--syntax-version=1.7', DOCKSHIFT_TRANSFORMS: 'syntax-directive' });
  assert.is(r.status, 0, r.stderr);
  assert.is(read(root, 'svc/Dockerfile'), '# syntax=docker/dockerfile:1.7\nFROM alpine\n');
  assert.match(r.summary, 'svc/Dockerfile');
  const again = action(root, { DOCKSHIFT_MODE: 'check' });
  assert.is(again.status, 0);
  assert.match(again.output, 'changed=false\nfiles=[]\n');
});

test('dry-run mode and paths input; errors become annotations and exit 2; bad mode is exit 2', () => {
  const root = tree();
  write(root, { 'bad/Dockerfile': 'FROM a\nRUN <<EOF\n' });
  const r = action(root, { DOCKSHIFT_MODE: 'dry-run', DOCKSHIFT_PATHS: 'svc bad' });
  assert.is(r.status, 2);
  assert.match(r.stdout, /::error file=bad\/Dockerfile,line=2::unterminated heredoc/);
  assert.match(r.output, 'files=["svc/Dockerfile"]');
  assert.is(read(root, 'svc/Dockerfile'), 'FROM alpine\n');
  assert.is(action(root, { DOCKSHIFT_MODE: 'fix' }).status, 2);
});

test.run();
