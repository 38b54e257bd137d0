// Build contexts from compose and bake files and the config file, end to end: a monorepo whose contexts
// differ from the Dockerfile directories. Also config-file discovery, precedence and validation.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import AjvModule from 'ajv';
import { parseJsonc, stripJsonc } from '../src/context/jsonc.js';
import { ROOT, cli, cliJson, tmp, write } from './helpers.js';
import type { JsonReport } from './helpers.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;

const REPORT = path.join(ROOT, 'test', 'support', 'report-context.mjs');

function note(report: JsonReport, file: string): string {
  const f = report.files.find((x) => x.path === file);
  assert.ok(f, `no entry for ${file}`);
  return f!.messages.map((m) => m.message).join('\n');
}

function monorepo(): string {
  const root = tmp();
  write(root, {
    'compose.yaml': [
      'services:',
      '  api:',
      '    build:',
      '      context: ./services/api',
      '      dockerfile: ../../docker/api.Dockerfile',
      '  worker:',
      '    build: ./services/worker',
      '  remote:',
      '    build: https://github.com/acme/remote.git',
      '  templated:',
      '    build:',
      '      context: ${CTX:-.}',
      '',
    ].join('\n'),
    'docker/api.Dockerfile': 'FROM node:20\nCOPY . /app\n',
    'services/api/package.json': '{}\n',
    'services/worker/Dockerfile': 'FROM python:3.12\n',
    'services/worker/app.py': 'print(1)\n',
    'bake/docker-bake.hcl': [
      'target "_base" {',
      '  context = "../web"',
      '}',
      'target "site" {',
      '  inherits = ["_base"]',
      '  dockerfile = "../bake/site.Dockerfile"',
      '}',
      '',
    ].join('\n'),
    'bake/site.Dockerfile': 'FROM nginx\n',
    'web/index.html': '<h1>hi</h1>\n',
    'tools/docker-bake.json': JSON.stringify({ target: { cli: { context: '..', dockerfile: 'tools/cli.Dockerfile' } } }),
    'tools/cli.Dockerfile': 'FROM golang:1.22\n',
    'plain/Dockerfile': 'FROM alpine\n',
    'plain/notes.txt': 'x\n',
  });
  return root;
}

test('compose (build string and build.context + dockerfile), bake HCL with inherits, bake JSON, and plain directories', () => {
  const root = monorepo();
  const { run, report } = cliJson(root, '-t', REPORT, '.');
  assert.is(run.status, 0, run.stderr);
  assert.match(note(report, 'docker/api.Dockerfile'), 'context origin=compose dockerfile=../../docker/api.Dockerfile files=package.json');
  assert.match(note(report, 'services/worker/Dockerfile'), 'context origin=compose dockerfile=Dockerfile files=Dockerfile,app.py');
  assert.match(note(report, 'bake/site.Dockerfile'), 'context origin=bake dockerfile=../bake/site.Dockerfile files=index.html');
  assert.match(note(report, 'tools/cli.Dockerfile'), 'context origin=bake dockerfile=tools/cli.Dockerfile');
  assert.match(note(report, 'plain/Dockerfile'), 'context origin=directory dockerfile=Dockerfile files=Dockerfile,notes.txt');
  const api = report.files.find((f) => f.path === 'docker/api.Dockerfile') as unknown as { context: Record<string, string> };
  assert.equal(api.context, { path: 'services/api', origin: 'compose', definedIn: 'compose.yaml' });
  const site = report.files.find((f) => f.path === 'bake/site.Dockerfile') as unknown as { context: Record<string, string> };
  assert.equal(site.context, { path: 'web', origin: 'bake', definedIn: 'bake/docker-bake.hcl' });
});

test('config "contexts" win over compose; two definitions that disagree make the context ambiguous (left alone)', () => {
  const root = monorepo();
  write(root, {
    'dockshift.config.json': JSON.stringify({ contexts: { 'docker/api.Dockerfile': '.' } }),
    'services/worker/docker-compose.yml': 'services:\n  w:\n    build:\n      context: ..\n      dockerfile: worker/Dockerfile\n',
  });
  const { report } = cliJson(root, '-t', REPORT, '.');
  assert.match(note(report, 'docker/api.Dockerfile'), 'context origin=config dockerfile=docker/api.Dockerfile');
  const worker = report.files.find((f) => f.path === 'services/worker/Dockerfile')!;
  assert.is(worker.status, 'skipped');
  assert.match(note(report, 'services/worker/Dockerfile'), /the build context is ambiguous: services\/worker \(compose.yaml\) or services \(services\/worker\/docker-compose.yml\)/);
});

test('a broken compose file is a warning on stderr, and the Dockerfiles keep their directory contexts', () => {
  const root = tmp();
  write(root, { 'compose.yaml': 'services: [oops\n', 'Dockerfile': 'FROM alpine\n' });
  const r = cli(root, '-t', REPORT, '--format', 'json', '.');
  assert.is(r.status, 0);
  assert.match(r.stderr, /compose\.yaml: could not read build definitions/);
  assert.match(r.stdout, 'context origin=directory');
});

test('config file: transforms and options apply; -t and CLI options override; found from a subdirectory', () => {
  const root = tmp();
  write(root, {
    'dockshift.config.json': JSON.stringify({ transforms: ['syntax-directive'], options: { syntaxVersion: '1.7' } }),
    'svc/Dockerfile': 'FROM alpine\n',
  });
  let r = cli(path.join(root, 'svc'), '.');
  assert.match(r.stdout, '+# syntax=docker/dockerfile:1.7');
  r = cli(root, '--syntax-version=1.9', '.');
  assert.match(r.stdout, '+# syntax=docker/dockerfile:1.9');
  r = cli(root, '-t', 'cache-id-platform', '.');
  assert.is(r.stdout, '', '-t replaces the configured transforms');
});

test('config file: package.json "dockshift" key, .mjs, --config, and ignore globs', () => {
  const root = tmp();
  write(root, {
    'package.json': JSON.stringify({ name: 'x', dockshift: { transforms: ['syntax-directive'], ignore: ['legacy/**'] } }),
    'legacy/Dockerfile': 'FROM alpine\n',
    'app/Dockerfile': 'FROM alpine\n',
    'alt/dockshift.config.mjs': "export default { options: { syntaxVersion: '1-labs' } };\n",
  });
  const { report } = cliJson(root, '.');
  assert.equal(report.files.map((f) => f.path), ['app/Dockerfile'], 'legacy/ is ignored by the config');
  const r = cli(root, '--config', 'alt/dockshift.config.mjs', '-t', 'syntax-directive', 'app');
  assert.match(r.stdout, '+# syntax=docker/dockerfile:1-labs');
});

test('config file: unknown keys and wrong types are usage errors that name them (exit 2)', () => {
  const root = tmp();
  write(root, { 'dockshift.config.json': JSON.stringify({ transfroms: ['x'], contexts: [] }), 'Dockerfile': 'FROM a\n' });
  let r = cli(root, '.');
  assert.is(r.status, 2);
  assert.match(r.stderr, 'unknown configuration key "transfroms"');
  write(root, { 'dockshift.config.json': JSON.stringify({ contexts: ['x'] }) });
  r = cli(root, '.');
  assert.is(r.status, 2);
  assert.match(r.stderr, '"contexts" must be an object');
  r = cli(root, '--config', 'nope.json', '.');
  assert.is(r.status, 2);
  assert.match(r.stderr, 'config file not found: nope.json');
});

test('context-aware changes: manifest-first copies the manifests of the compose context, not of the Dockerfile directory', () => {
  const root = tmp();
  write(root, {
    'compose.yaml': 'services:\n  api:\n    build:\n      context: ./services/api\n      dockerfile: ../../docker/api.Dockerfile\n',
    'docker/api.Dockerfile': 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n',
    'docker/package.json': '{"name": "not-this-one"}\n',
    'services/api/package.json': '{"name": "api", "version": "1.0.0"}\n',
    'services/api/package-lock.json': '{"name": "api", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "api", "version": "1.0.0"}}}\n',
    'services/api/index.js': 'console.log(1)\n',
  });
  const { run, report } = cliJson(root, '-t', 'manifest-first', '.');
  assert.is(run.status, 0, run.stderr);
  const f = report.files.find((x) => x.path === 'docker/api.Dockerfile')!;
  assert.is(f.status, 'changed', JSON.stringify(f.messages));
  assert.match(f.diff!, '+COPY package.json package-lock.json ./');
  assert.equal((f as unknown as { context: unknown }).context, { path: 'services/api', origin: 'compose', definedIn: 'compose.yaml' });
});

// ------------------------------------------------------------------------------------------------
// devcontainer.json

test('JSONC: comments and trailing commas go, strings keep everything, positions stay', () => {
  const text = [
    '// leading comment',
    '{',
    '  /* block',
    '     comment */ "a": "http://x//y", // url with //',
    '  "b": "/* not a comment */",',
    '  "c": "quote \\" // still a string, and a comma,}",',
    '  "d": [1, 2, /* two */ ],',
    '  "e": { "f": "back\\\\", },',
    '  "g": ",]",',
    '}',
  ].join('\n');
  assert.equal(parseJsonc(text), { a: 'http://x//y', b: '/* not a comment */', c: 'quote " // still a string, and a comma,}', d: [1, 2], e: { f: 'back\\' }, g: ',]' });
  const stripped = stripJsonc(text);
  assert.is(stripped.length, text.length);
  assert.equal(stripped.split('\n').length, text.split('\n').length, 'line breaks kept');
  assert.equal(parseJsonc('\ufeff{"x": 1,}'), { x: 1 }, 'BOM and a trailing comma at the top level');
  assert.throws(() => parseJsonc('{"a": 1 /* open'), /unterminated/);
  assert.throws(() => parseJsonc('{"a": 1,, }'), SyntaxError, 'only one trailing comma is forgiven');
  assert.throws(() => parseJsonc('{"a": 1} // ok\n{'), SyntaxError);
});

function devcontainerRepo(): string {
  const root = tmp();
  write(root, {
    // build.dockerfile + build.context, JSONC as the VS Code templates write it
    '.devcontainer/devcontainer.json': [
      '// For format details, see https://aka.ms/devcontainer.json.',
      '{',
      '\t"name": "api",',
      '\t"build": {',
      '\t\t// Sets the run context to one level up instead of the .devcontainer folder.',
      '\t\t"context": "..",',
      '\t\t"dockerfile": "../docker/dev.Dockerfile", /* relative to this file */',
      '\t},',
      '\t"features": {},',
      '}',
      '',
    ].join('\n'),
    'docker/dev.Dockerfile': 'FROM node:20\nCOPY package.json /app/\n',
    'package.json': '{}\n',
    // legacy top-level dockerFile + context, in a named folder; build.context is then not read
    '.devcontainer/python/devcontainer.json': '{ "dockerFile": "Dockerfile", "context": "..", "build": { "context": "../../nope" }, }\n',
    '.devcontainer/python/Dockerfile': 'FROM python:3.12\n',
    // .devcontainer.json at a project root, no context: the Dockerfile's own folder
    'tool/.devcontainer.json': '{ "build": { "dockerfile": "docker/Dockerfile" } }\n',
    'tool/docker/Dockerfile': 'FROM alpine\n',
    'tool/docker/x.txt': 'x\n',
    // variables are not guessed
    'vars/.devcontainer/devcontainer.json': '{ "build": { "dockerfile": "Dockerfile", "context": "${localWorkspaceFolder}" } }\n',
    'vars/.devcontainer/Dockerfile': 'FROM alpine\n',
  });
  return root;
}

function context(report: JsonReport, file: string): unknown {
  return (report.files.find((f) => f.path === file) as unknown as { context?: unknown } | undefined)?.context;
}

test('devcontainer.json: build.dockerfile + build.context (JSONC), legacy dockerFile + context, .devcontainer.json, variables skipped', () => {
  const root = devcontainerRepo();
  const { run, report } = cliJson(root, '-t', REPORT, '.');
  assert.is(run.status, 0, run.stderr);
  assert.equal(context(report, 'docker/dev.Dockerfile'), { path: '.', origin: 'devcontainer', definedIn: '.devcontainer/devcontainer.json' });
  assert.match(note(report, 'docker/dev.Dockerfile'), 'context origin=devcontainer dockerfile=docker/dev.Dockerfile files=');
  assert.equal(context(report, '.devcontainer/python/Dockerfile'), { path: '.devcontainer', origin: 'devcontainer', definedIn: '.devcontainer/python/devcontainer.json' });
  assert.match(note(report, '.devcontainer/python/Dockerfile'), 'dockerfile=python/Dockerfile');
  assert.equal(context(report, 'tool/docker/Dockerfile'), { path: 'tool/docker', origin: 'devcontainer', definedIn: 'tool/.devcontainer.json' });
  assert.match(note(report, 'tool/docker/Dockerfile'), 'files=Dockerfile,x.txt');
  assert.equal(context(report, 'vars/.devcontainer/Dockerfile'), { path: 'vars/.devcontainer', origin: 'directory' });
  const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(path.join(ROOT, 'schema', 'report-v1.schema.json'), 'utf8')) as object);
  assert.ok(validate(report), `the schema knows the origin: ${JSON.stringify(validate.errors)}`);

  // Run from inside .devcontainer/ (the walk up stops there): still found.
  const inside = cliJson(path.join(root, '.devcontainer'), '-t', REPORT, '.').report;
  assert.equal(context(inside, 'python/Dockerfile'), { path: '.', origin: 'devcontainer', definedIn: 'python/devcontainer.json' });
});

test('devcontainer.json: config "contexts" win; a compose file that disagrees makes it ambiguous; a broken file is a warning', () => {
  const root = devcontainerRepo();
  write(root, {
    'docker/compose.yaml': 'services:\n  api:\n    build:\n      context: .\n      dockerfile: dev.Dockerfile\n',
    'dockshift.config.json': JSON.stringify({ contexts: { 'tool/docker/Dockerfile': 'tool' } }),
    'broken/.devcontainer/devcontainer.json': '{ "build": { "dockerfile": "Dockerfile" }\n',
    'broken/.devcontainer/Dockerfile': 'FROM alpine\n',
  });
  const { run, report } = cliJson(root, '-t', REPORT, '.');
  assert.is(run.status, 0, run.stderr);
  const api = report.files.find((f) => f.path === 'docker/dev.Dockerfile')!;
  assert.is(api.status, 'skipped');
  assert.match(note(report, 'docker/dev.Dockerfile'), 'the build context is ambiguous: docker (docker/compose.yaml) or . (.devcontainer/devcontainer.json)');
  assert.equal(context(report, 'tool/docker/Dockerfile'), { path: 'tool', origin: 'config', definedIn: 'dockshift.config.json' });
  assert.match(run.stderr, /^broken\/\.devcontainer\/devcontainer\.json: could not read build definitions: /m);
  assert.equal(context(report, 'broken/.devcontainer/Dockerfile'), { path: 'broken/.devcontainer', origin: 'directory' });
});

test('devcontainer.json: manifest-first reads the devcontainer context (the repo root), not the Dockerfile folder', () => {
  const root = tmp();
  write(root, {
    '.devcontainer/devcontainer.json': '{\n  // repo root\n  "build": { "dockerfile": "Dockerfile", "context": "..", },\n}\n',
    '.devcontainer/Dockerfile': 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n',
    'package.json': '{"name": "app", "version": "1.0.0"}\n',
    'package-lock.json': '{"name": "app", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "app", "version": "1.0.0"}}}\n',
  });
  const { run, report } = cliJson(root, '-t', 'manifest-first', '.');
  assert.is(run.status, 0, run.stderr);
  const f = report.files.find((x) => x.path === '.devcontainer/Dockerfile')!;
  assert.is(f.status, 'changed', JSON.stringify(f.messages));
  assert.match(f.diff!, '+COPY package.json package-lock.json ./');
});

test.run();
