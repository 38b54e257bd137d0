// The shell layer: RUN commands read by tree-sitter-bash, mapped back to exact source offsets, and the spans
// that remove a command or a word without disturbing continuations, comments or other commands.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import { programName } from '../src/shell/bash.js';
import { commandRemoval, readRunScript, wordRemoval } from '../src/shell/run.js';
import { variableSites } from '../src/shell/vars.js';
import { liveTreeCount, releaseScripts } from '../src/shell/trees.js';
import { transformSource } from '../src/index.js';
import type { DockerfileModel } from '../src/types.js';

function model(text: string): DockerfileModel {
  return parseDockerfile({ path: 'Dockerfile', text, eol: text.includes('\r\n') ? '\r\n' : '\n', bom: text.startsWith('\ufeff') });
}

async function script(text: string, nth = 0) {
  const m = model(text);
  const ins = m.instructions.filter((i) => i.keyword === 'RUN')[nth]!;
  const r = await readRunScript(m, ins);
  if (!r.ok || r.form === 'exec') throw new Error(`not a shell script: ${JSON.stringify(r)}`);
  return { m, s: r.script };
}

const splice = (text: string, span: { start: number; end: number }) => text.slice(0, span.start) + text.slice(span.end);

test('commands inside && chains across continuations and comment lines map to their source text', async () => {
  const text = 'FROM debian\nRUN apt-get update \\\n  # the tools\n  && apt-get install -y \\\n     curl git \\\n  && rm -rf /var/lib/apt/lists/*\n';
  const { s } = await script(text);
  assert.equal(s.commands.map((c) => c.name), ['apt-get', 'apt-get', 'rm']);
  const install = s.commands[1]!;
  assert.equal(install.words.map((w) => w.value), ['apt-get', 'install', '-y', 'curl', 'git']);
  const git = install.words[4]!;
  assert.is(text.slice(s.toSource(git.start), s.toSource(git.end, true)), 'git');
  const rm = s.commands[2]!;
  assert.is(text.slice(s.toSource(rm.start), s.toSource(rm.end, true)), 'rm -rf /var/lib/apt/lists/*');
});

test('removing the last command of an && chain keeps everything before it byte for byte', async () => {
  const text = 'FROM debian\r\nRUN apt-get update \\\r\n  && apt-get install -y curl \\\r\n  && rm -rf /var/lib/apt/lists/*\r\nCMD ["x"]\r\n';
  const { s } = await script(text);
  const r = commandRemoval(s, s.commands[2]!);
  assert.ok(r.ok);
  if (r.ok) assert.is(splice(text, r.span), 'FROM debian\r\nRUN apt-get update \\\r\n  && apt-get install -y curl\r\nCMD ["x"]\r\n');
});

test('removing a middle or first command keeps the chain well formed', async () => {
  const text = 'FROM debian\nRUN rm -rf /tmp/x && apt-get update \\\n && rm -f /a \\\n && echo done\n';
  const { s } = await script(text);
  const mid = commandRemoval(s, s.commands[2]!);
  assert.ok(mid.ok);
  if (mid.ok) assert.is(splice(text, mid.span), 'FROM debian\nRUN rm -rf /tmp/x && apt-get update \\\n && echo done\n');
  const first = commandRemoval(s, s.commands[0]!);
  assert.ok(first.ok);
  if (first.ok) assert.is(splice(text, first.span), 'FROM debian\nRUN apt-get update \\\n && rm -f /a \\\n && echo done\n');
});

test('commands after ||, in pipelines, conditionals, subshells or alone are not removable', async () => {
  for (const [run, nth] of [
    ['a || rm -rf /x', 1],
    ['rm -rf /x && b || c', 0],
    ['if true; then rm -rf /x; fi', 1],
    ['(rm -rf /x) && b', 0],
    ['rm -rf /x | cat', 0],
    ['rm -rf /x', 0],
    ['rm -rf /x & b', 0],
  ] as const) {
    const { s } = await script(`FROM a\nRUN ${run}\n`);
    const cmd = s.commands.filter((c) => c.name === 'rm')[0] ?? s.commands[nth]!;
    assert.not.ok(commandRemoval(s, cmd).ok, run);
  }
});

test('; and newline lists in a heredoc: removal keeps the other lines', async () => {
  const text = 'FROM a\nRUN <<EOF\nset -e\npip install --no-cache-dir -r req.txt\nrm -rf /root/.cache\nEOF\n';
  const { s } = await script(text);
  assert.equal(s.commands.map((c) => c.name), ['set', 'pip', 'rm']);
  const r = commandRemoval(s, s.commands[2]!);
  assert.ok(r.ok);
  if (r.ok) assert.is(splice(text, r.span), 'FROM a\nRUN <<EOF\nset -e\npip install --no-cache-dir -r req.txt\nEOF\n');
  const pip = s.commands[1]!;
  const w = wordRemoval(s, pip, pip.words.find((x) => x.value === '--no-cache-dir')!);
  assert.ok(w.ok);
  if (w.ok) assert.is(splice(text, w.span), 'FROM a\nRUN <<EOF\nset -e\npip install -r req.txt\nrm -rf /root/.cache\nEOF\n');
});

test('a word on its own continuation line is removed with its line break, not the next line', async () => {
  const text = 'FROM a\nRUN pip install \\\n    --no-cache-dir \\\n    -r requirements.txt\n';
  const { s } = await script(text);
  const pip = s.commands[0]!;
  const r = wordRemoval(s, pip, pip.words[2]!);
  assert.ok(r.ok);
  if (r.ok) assert.is(splice(text, r.span), 'FROM a\nRUN pip install \\\n    -r requirements.txt\n');
});

test('a continuation right after the token before a removed command or word goes with it', async () => {
  const text = 'FROM a\nRUN apt-get install -y libstdc++6=8*\\\n    && rm -rf /var/lib/apt/lists/*\n\nENV X=1\n';
  const { s } = await script(text);
  const r = commandRemoval(s, s.commands[1]!);
  assert.ok(r.ok);
  if (r.ok) assert.is(splice(text, r.span), 'FROM a\nRUN apt-get install -y libstdc++6=8*\n\nENV X=1\n');
  const t2 = 'FROM a\nRUN pip install flask\\\n    --no-cache-dir\nENV X=1\n';
  const { s: s2 } = await script(t2);
  const pip = s2.commands[0]!;
  const w = wordRemoval(s2, pip, pip.words[3]!);
  assert.ok(w.ok);
  if (w.ok) assert.is(splice(t2, w.span), 'FROM a\nRUN pip install flask\nENV X=1\n');
});

test('literal values: quotes removed, expansions unknown, escape directive continuations', async () => {
  const { s } = await script('# escape=`\nFROM a\nRUN pip install "--target=/opt/x" \'y\' `\n  $HOME/z "a$B" c\\ d\n');
  const w = s.commands[0]!.words;
  assert.equal(w.map((x) => x.value), ['pip', 'install', '--target=/opt/x', 'y', undefined, undefined, 'c d']);
});

test('wrappers: sudo and env are looked through', async () => {
  const { s } = await script('FROM a\nRUN sudo -E apt-get update && env DEBIAN_FRONTEND=noninteractive apt-get install -y x && /usr/bin/pip3 install y\n');
  assert.equal(s.commands.map(programName), ['apt-get', 'apt-get', 'pip3']);
});

test('non-POSIX SHELL, foreign heredoc interpreters and exec form are told apart', async () => {
  const m = model('FROM a AS base\nSHELL ["powershell", "-Command"]\nFROM base\nRUN choco install x\nRUN ["pip", "install", "y"]\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n');
  const runs = m.instructions.filter((i) => i.keyword === 'RUN');
  const first = await readRunScript(m, runs[0]!);
  assert.ok(!first.ok && /powershell/.test(first.reason));
  const exec = await readRunScript(m, runs[1]!);
  assert.ok(exec.ok && exec.form === 'exec' && exec.argv.join(' ') === 'pip install y');
  const m2 = model('FROM a\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n');
  const py = await readRunScript(m2, m2.instructions[1]!);
  assert.ok(!py.ok && /interpreter/.test(py.reason));
});

test('a command that does not parse is refused, not guessed', async () => {
  const m = model('FROM a\nRUN if then fi ((\n');
  const r = await readRunScript(m, m.instructions[1]!);
  assert.not.ok(r.ok);
});

test('variable sites: assignments with their scope and declaration, declared names, for lists; prefix assignments are not sites', async () => {
  const { s } = await script('FROM a\nRUN D=$(mktemp -d) && export P=/opt/p Q && local L=1; PIP_NO_CACHE_DIR=1 pip install x; if true; then I=1; fi; for f in a "b c"; do :; done; for g; do :; done\n');
  const sites = variableSites(s.root).map((x) => {
    const { start, ...rest } = x;
    assert.ok(s.text.slice(start).startsWith(x.kind === 'for' ? 'for ' : x.name), `${x.name} starts at its site`);
    return rest;
  });
  assert.equal(sites, [
    { kind: 'assign', name: 'D', raw: '$(mktemp -d)', top: true },
    { kind: 'assign', name: 'P', raw: '/opt/p', top: true, declaredBy: 'export' },
    { kind: 'declare', name: 'Q', top: true, declaredBy: 'export' },
    { kind: 'assign', name: 'L', raw: '1', top: true, declaredBy: 'local' },
    { kind: 'assign', name: 'I', raw: '1', top: false },
    { kind: 'for', name: 'f', values: ['a', '"b c"'] },
    { kind: 'for', name: 'g', values: [] },
  ]);
});

test('a RUN is read once per model and shared; its tree is freed on release, and the runner releases every model of a file', async () => {
  const m = model('FROM a\nRUN pip install x\n');
  const ins = m.instructions[1]!;
  const before = liveTreeCount();
  const one = await readRunScript(m, ins);
  assert.is(await readRunScript(m, ins), one, 'the same script for every caller');
  assert.is(liveTreeCount(), before + 1);
  releaseScripts(m);
  assert.is(liveTreeCount(), before);
  assert.is.not(await readRunScript(m, ins), one, 'read again after a release');
  releaseScripts(m);

  // Both cache transforms read the RUNs, one changes the text (new models), and the guard re-reads the result.
  const text = 'FROM python:3.12\nRUN pip install --no-cache-dir flask\nRUN --mount=type=cache,target=/deps pip install --target /deps x\n';
  const r = await transformSource(text, ['cache-mounts', 'cache-mount-pitfalls']);
  assert.is(r.status, 'changed', JSON.stringify(r.messages));
  assert.is(liveTreeCount(), before, 'no tree of the run is left allocated');
});

test.run();
