// The published package works: `npm pack`, install the tarball into an empty project, then use the bin,
// the programmatic API and the types from there — as a user of the npm package would.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ENV, ROOT, tmp, write } from './helpers.js';

function sh(cwd: string, cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('npm pack → install → bin, API and types work from the installed package', () => {
  const packDir = tmp();
  const pack = sh(ROOT, 'npm', ['pack', '--silent', '--pack-destination', packDir]);
  assert.is(pack.status, 0, pack.stderr);
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack produced a tarball');

  const app = tmp();
  write(app, {
    'package.json': JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }),
    'svc/Dockerfile': 'FROM alpine\n',
    'use-api.mjs': [
      "import { transformSource } from 'dockshift';",
      "const r = await transformSource('FROM alpine\\n', ['syntax-directive']);",
      'console.log(JSON.stringify({ status: r.status, text: r.text }));',
    ].join('\n'),
    'my-transform.ts': [
      "import type { FileInfo, TransformApi, TransformMeta } from 'dockshift';",
      "export const meta: TransformMeta = { name: 'noop', description: 'does nothing at all' };",
      'export default function transform(file: FileInfo, api: TransformApi): string | undefined {',
      '  return api.model.instructions.length > 0 ? undefined : file.source;',
      '}',
    ].join('\n'),
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['my-transform.ts'] }),
  });
  const install = sh(app, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(packDir, tarball!)]);
  assert.is(install.status, 0, install.stderr);

  const bin = path.join(app, 'node_modules', '.bin', 'dockshift');
  assert.ok(existsSync(bin), 'the bin is linked');
  const version = sh(app, bin, ['--version']);
  assert.is(version.status, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const dry = sh(app, bin, ['svc']);
  assert.is(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, '+# syntax=docker/dockerfile:1');

  const api = sh(app, process.execPath, ['use-api.mjs']);
  assert.is(api.status, 0, api.stderr);
  assert.equal(JSON.parse(api.stdout), { status: 'changed', text: '# syntax=docker/dockerfile:1\nFROM alpine\n' });

  const tsc = sh(app, process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
  assert.is(tsc.status, 0, `types from the package compile a custom transform:\n${tsc.stdout}${tsc.stderr}`);
  assert.ok(existsSync(path.join(app, 'node_modules', 'dockshift', 'schema', 'report-v1.schema.json')), 'the JSON schema ships');
  for (const f of ['dist/cli.cjs', 'dist/cli.cjs.cache', 'dist/cli-full.cjs', 'dist/cli-full.cjs.cache', 'bin/package.json']) {
    assert.ok(existsSync(path.join(app, 'node_modules', 'dockshift', f)), `${f} ships (the bin's fast start)`);
  }
});

test.run();
