// One harness for every fixture of every transform. A fixture is a folder
// test/fixtures/<transform>/<case>/ holding:
//   Dockerfile               the input (any other files beside it are the build context)
//   Dockerfile.expected      the output; absent => the input must come out unchanged
//   <file>.expected          a file the transform must emit into the context (e.g. .dockerignore.expected)
//   options.json             options passed to the transform (optional)
//   expect.json              { "status": "skipped", "messages": ["substring", { "level": "error", "message": "substring" }, …],
//                              "messageCount": 0 } (optional)
// Every fixture is checked byte for byte, twice: input → expected, then expected → expected unchanged.

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../src/context/build-context.js';
import { decodeSource } from '../src/dockerfile/read.js';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import { Editor } from '../src/dockerfile/edit.js';
import { processSource } from '../src/runner/process.js';
import { loadTransform } from '../src/transform/load.js';
import { BUILTIN_TRANSFORMS } from '../transforms/index.js';
import { ROOT } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const RESERVED = new Set(['Dockerfile', 'Dockerfile.expected', 'options.json', 'expect.json']);

function walkFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const abs = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(abs).isDirectory()) out.push(...walkFiles(abs, rel));
    else out.push(rel);
  }
  return out;
}

function readText(abs: string): string {
  const r = decodeSource(readFileSync(abs), abs);
  if (!r.ok) throw new Error(r.error);
  return r.source.text;
}

interface Expect {
  status?: string;
  /** Substrings some message must contain; `{ level, message }` also checks the message's level. */
  messages?: (string | { level: string; message: string })[];
  /** How many messages the first pass gives (0: the file must pass without a word). */
  messageCount?: number;
}

const transformDirs = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => statSync(path.join(FIXTURES, d)).isDirectory()).sort() : [];

test('every built-in transform has fixtures, and every fixture folder names a built-in', () => {
  for (const name of Object.keys(BUILTIN_TRANSFORMS)) assert.ok(transformDirs.includes(name), `no fixtures for ${name}`);
  for (const dir of transformDirs) assert.ok(Object.hasOwn(BUILTIN_TRANSFORMS, dir), `fixtures for unknown transform ${dir}`);
});

for (const transformName of transformDirs) {
  const caseDirs = readdirSync(path.join(FIXTURES, transformName)).sort();
  for (const caseName of caseDirs) {
    const dir = path.join(FIXTURES, transformName, caseName);
    test(`${transformName}/${caseName}`, async () => {
      const transform = await loadTransform(transformName, ROOT);
      assert.is(transform.meta.name, transformName, 'meta.name equals the folder name');
      const files = walkFiles(dir);
      const input = readText(path.join(dir, 'Dockerfile'));
      const expectedPath = path.join(dir, 'Dockerfile.expected');
      const expected = existsSync(expectedPath) ? readText(expectedPath) : undefined;
      const options = existsSync(path.join(dir, 'options.json')) ? (JSON.parse(readFileSync(path.join(dir, 'options.json'), 'utf8')) as Record<string, unknown>) : {};
      const expect = existsSync(path.join(dir, 'expect.json')) ? (JSON.parse(readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expect) : {};
      if (expected !== undefined) assert.ok(expected !== input, 'Dockerfile.expected equals the input: delete it instead');

      const contextFiles: Record<string, string> = {};
      const expectedEmits: Record<string, string> = {};
      for (const rel of files) {
        if (RESERVED.has(rel)) continue;
        if (rel.endsWith('.expected')) expectedEmits[rel.slice(0, -'.expected'.length)] = readFileSync(path.join(dir, rel), 'utf8');
        else contextFiles[rel] = readFileSync(path.join(dir, rel), 'utf8');
      }

      // 1. Round trip: the model's spans address the original, and zero edits give the same bytes.
      const model = parseDockerfile(input, 'Dockerfile');
      assert.is(new Editor(model).apply(), input, 'zero edits reproduce the input byte for byte');
      for (const ins of model.instructions) {
        assert.is(input.slice(ins.keywordSpan.start, ins.keywordSpan.end).toUpperCase(), ins.keyword);
      }

      // 2. input → expected.
      const run = (text: string, ctx: Record<string, string>) =>
        processSource({
          source: { path: 'Dockerfile', text, eol: model.source.eol, bom: model.source.bom },
          transforms: [transform],
          options,
          context: () => memoryContext(ctx),
          verify: true,
        });
      const first = await run(input, contextFiles);
      const messages = first.messages.map((m) => m.message).join('\n');
      assert.is.not(first.status, 'error', `unexpected error: ${messages}`);
      assert.is(first.text, expected ?? input, 'output matches Dockerfile.expected byte for byte');
      assert.is(first.status, expect.status ?? (expected !== undefined ? 'changed' : 'unchanged'), `status (messages: ${messages})`);
      for (const want of expect.messages ?? []) {
        if (typeof want === 'string') assert.ok(messages.includes(want), `a message mentions "${want}"; got:\n${messages}`);
        else assert.ok(first.messages.some((m) => m.level === want.level && m.message.includes(want.message)), `a ${want.level} message mentions "${want.message}"; got:\n${first.messages.map((m) => `${m.level}: ${m.message}`).join('\n')}`);
      }
      if (expect.messageCount !== undefined) assert.is(first.messages.length, expect.messageCount, `message count; got:\n${messages}`);
      const emitted = Object.fromEntries(first.emitted.map((e) => [e.rel, e.content]));
      assert.equal(emitted, expectedEmits, 'emitted files match the *.expected files');

      // 3. expected → expected: a second pass changes nothing (with the emitted files in place).
      const second = await run(first.text, { ...contextFiles, ...emitted });
      assert.is(second.text, first.text, 'a second pass changes nothing');
      assert.ok(second.status === 'unchanged' || second.status === 'skipped', `second pass status is ${second.status}`);
      for (const e of second.emitted) assert.is(e.content, emitted[e.rel], `second pass emits ${e.rel} unchanged`);
      if (first.text !== input) parseDockerfile(first.text);
    });
  }
}

test.run();
