// Property tests over mutated fixtures (seeded, bounded in time): whatever the input — CRLF, BOM, comments and
// blank lines inside continuations, heredocs, lowercase keywords, tabs, `# escape=`, truncation, random bytes —
// no exception escapes, nothing hangs, and every result is either a named error or a text that parses and
// that a second pass leaves alone. Every built-in transform runs, together and alone.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../src/context/build-context.js';
import { decodeSource } from '../src/dockerfile/read.js';
import { parseDockerfile, sourceFromText } from '../src/dockerfile/parse.js';
import { Editor } from '../src/dockerfile/edit.js';
import { processSource } from '../src/runner/process.js';
import { loadBuiltins } from '../src/transform/load.js';
import type { Transform } from '../src/types.js';
import { ROOT } from './helpers.js';

const SEED = Number(process.env.DOCKSHIFT_FUZZ_SEED ?? 20261202);
const CASES = Number(process.env.DOCKSHIFT_FUZZ_CASES ?? 400);
const BUDGET_MS = Number(process.env.DOCKSHIFT_FUZZ_MS ?? 8000);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = path.join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else if (/^Dockerfile(\.expected)?$|\.Dockerfile$|^Dockerfile\.\w+$/.test(name)) {
        const r = decodeSource(readFileSync(abs), abs);
        if (r.ok) out.push(r.source.text);
      }
    }
  };
  walk(path.join(ROOT, 'test', 'fixtures'));
  walk(path.join(ROOT, 'examples'));
  return out;
}

type Mutation = (text: string, rnd: () => number) => string;
const pick = <T>(xs: T[], rnd: () => number): T => xs[Math.floor(rnd() * xs.length)]!;
const lines = (t: string) => t.split('\n');
const at = (t: string, rnd: () => number) => Math.floor(rnd() * (t.length + 1));

const MUTATIONS: Record<string, Mutation> = {
  crlf: (t) => t.replace(/\r?\n/g, '\r\n'),
  lf: (t) => t.replace(/\r\n/g, '\n'),
  bom: (t) => (t.startsWith('\ufeff') ? t.slice(1) : '\ufeff' + t),
  lowercase: (t) => t.replace(/^(\s*)([A-Z]+)\b/gm, (_, s: string, k: string) => s + k.toLowerCase()),
  tabs: (t, rnd) => t.replace(/ /g, (m) => (rnd() < 0.5 ? '\t' : m)),
  escapeBacktick: (t) => '# escape=`\n' + t.replace(/\\\n/g, '`\n'),
  syntaxOld: (t) => '# syntax=docker/dockerfile:1.2\n' + t,
  commentInContinuation: (t, rnd) => {
    const ls = lines(t);
    const i = ls.findIndex((l) => l.endsWith('\\'));
    if (i < 0) return t;
    ls.splice(i + 1, 0, pick(['  # a comment inside', '', '   ', '#'], rnd));
    return ls.join('\n');
  },
  continueLine: (t, rnd) => {
    const ls = lines(t);
    const i = Math.floor(rnd() * ls.length);
    ls[i] = ls[i]! + pick([' \\', '\\', ' \\\\', ' `'], rnd);
    return ls.join('\n');
  },
  heredoc: (t, rnd) => t + pick(['RUN <<EOF\necho hi\nEOF\n', 'COPY <<-"X" /x\n\tbody\n\tX\n', 'RUN <<EOF\nunterminated\n', 'RUN cat << EOF\nbody\nEOF\n', 'RUN 3<<A cat\nA\n'], rnd),
  mountFlag: (t, rnd) => t.replace(/^RUN /m, `RUN ${pick(['--mount=type=cache,target=/var/cache/apk ', '--mount=type=cache,target=node_modules,id="a b" ', '--mount=type=cache,dst=$X ', '--mount= ', '--mount=type=cache,target=/var/cache/apt,\\\n'], rnd)}`),
  truncate: (t, rnd) => t.slice(0, at(t, rnd)),
  duplicateLine: (t, rnd) => {
    const ls = lines(t);
    const i = Math.floor(rnd() * ls.length);
    ls.splice(i, 0, ls[i]!);
    return ls.join('\n');
  },
  deleteLine: (t, rnd) => {
    const ls = lines(t);
    ls.splice(Math.floor(rnd() * ls.length), 1);
    return ls.join('\n');
  },
  randomBytes: (t, rnd) => {
    let s = t;
    for (let k = 0; k < 3; k++) {
      const i = at(s, rnd);
      s = s.slice(0, i) + String.fromCharCode(Math.floor(rnd() * 0x3000)) + s.slice(i);
    }
    return s;
  },
  randomAscii: (t, rnd) => {
    let s = t;
    for (let k = 0; k < 4; k++) {
      const i = at(s, rnd);
      s = s.slice(0, i) + pick(['\\', '`', '"', "'", '#', '<<', '$', '{', '}', '[', ']', ',', '=', '\n', '\r', '\t', ' '], rnd) + s.slice(i);
    }
    return s;
  },
  noFinalNewline: (t) => t.replace(/\r?\n$/, ''),
};

test(`fuzz: ${CASES} mutated Dockerfiles through every built-in (seed ${SEED})`, async () => {
  const base = corpus();
  assert.ok(base.length > 20, 'a corpus to mutate');
  const builtins = await loadBuiltins();
  const sets: Transform[][] = [builtins, ...builtins.map((t) => [t])];
  const rnd = prng(SEED);
  const names = Object.keys(MUTATIONS);
  const started = Date.now();
  let ran = 0;
  const statuses = new Map<string, number>();
  for (let n = 0; n < CASES && Date.now() - started < BUDGET_MS; n++) {
    let text = pick(base, rnd);
    const applied: string[] = [];
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
      const name = pick(names, rnd);
      applied.push(name);
      text = MUTATIONS[name]!(text, rnd);
    }
    const transforms = pick(sets, rnd);
    const what = `case ${n} (${applied.join('+')}, ${transforms.map((t) => t.meta.name).join(',')}): ${JSON.stringify(text.slice(0, 300))}`;

    // The parse layer alone: a model, or a named syntax error; spans reproduce the text.
    let parsed = true;
    try {
      const model = parseDockerfile(text);
      assert.is(new Editor(model).apply(), text, `round trip — ${what}`);
    } catch (e) {
      parsed = false;
      assert.is((e as Error).name, 'DockerfileSyntaxError', `only named parse errors — ${what}\n${(e as Error).stack}`);
    }

    const t0 = Date.now();
    const r = await processSource({ source: sourceFromText(text, 'Dockerfile'), transforms, options: {}, context: () => memoryContext({ 'package.json': '{}', 'go.mod': 'module x\n' }), verify: true, deadline: Date.now() + 5000 });
    assert.ok(Date.now() - t0 < 5000, `no hang — ${what}`);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (!parsed) assert.is(r.status, 'error', `an unparseable input is an error — ${what}`);
    if (r.status === 'error') {
      assert.is(r.text, text, `an error keeps the original — ${what}`);
      assert.ok(r.messages.some((m) => m.level === 'error' && m.message.length > 0), `an error is named — ${what}`);
      continue;
    }
    if (r.status === 'changed') {
      parseDockerfile(r.text); // throws (failing the test) when the output does not parse
      const again = await processSource({ source: sourceFromText(r.text, 'Dockerfile'), transforms, options: {}, context: () => memoryContext({ 'package.json': '{}', 'go.mod': 'module x\n' }), verify: true });
      assert.is(again.text, r.text, `idempotent — ${what}`);
    }
    ran++;
  }
  assert.ok(ran > 50, `enough cases ran to mean something (${ran}; statuses ${JSON.stringify([...statuses])})`);
});

test.run();
