// The JSON report validates against the shipped schema (schema/report-v1.schema.json), over a run that has
// every status and kind, and the schema's enums match the code's.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import AjvModule from 'ajv';
import { ROOT, cli, tmp, write } from './helpers.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
const schema = JSON.parse(readFileSync(path.join(ROOT, 'schema', 'report-v1.schema.json'), 'utf8')) as Record<string, unknown>;

test('a run with changed, created, unchanged, skipped and error files validates against the schema', () => {
  const root = tmp();
  write(root, {
    'a/Dockerfile': 'FROM alpine\n',
    'b/Dockerfile': '# syntax=docker/dockerfile:1\nFROM alpine\n',
    'c/Dockerfile': '# dockshift-ignore-file\nFROM alpine\n',
    'd/Dockerfile': 'FROM alpine\nRUN <<EOF\n',
    'e/Dockerfile': 'FROM alpine\n',
  });
  const emit = path.join(ROOT, 'test', 'support', 'emit-dockerignore.mjs');
  const r = cli(root, '--format', 'json', '-t', `syntax-directive,${emit}`, '.');
  const report = JSON.parse(r.stdout) as { files: { status: string; kind: string }[] };
  const statuses = new Set(report.files.map((f) => f.status));
  for (const s of ['changed', 'created', 'unchanged', 'skipped', 'error']) assert.ok(statuses.has(s), `the run has a ${s} file`);
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
  assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
});

test('the schema rejects what the contract forbids', () => {
  const validate = new Ajv({ allErrors: true }).compile(schema);
  const ok = { version: 1, files: [], totals: { scanned: 0, changed: 0, created: 0, unchanged: 0, skipped: 0, errors: 0 } };
  assert.ok(validate(ok));
  assert.not.ok(validate({ ...ok, version: 2 }));
  assert.not.ok(validate({ ...ok, files: [{ path: 'x', kind: 'dockerfile', status: 'modified', transforms: [], messages: [] }] }));
  assert.not.ok(validate({ ...ok, files: [{ path: 'x', kind: 'dockerfile', status: 'changed', transforms: [], messages: [{ level: 'fatal', message: 'x' }] }] }));
});

test.run();
