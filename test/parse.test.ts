// The parse layer: exact spans over tricky Dockerfiles, BuildKit's directive and line rules, and the
// dockerfile-ast defects that must be detected (marked unsafe or refused) rather than trusted.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Editor, ProtectedRegionError } from '../src/dockerfile/edit.js';
import { DockerfileSyntaxError, parseDockerfile } from '../src/dockerfile/parse.js';
import type { DockerfileModel } from '../src/types.js';

const TRICKY: Record<string, string> = {
  heredocs: 'FROM alpine\nRUN <<EOF\nset -e\n# not a comment of the Dockerfile\necho hi\nEOF\nCOPY <<a.txt <<-"b.txt" /dest/\nA\na.txt\n\tB\n\tb.txt\nRUN cat <<EOF > /x && echo done\nbody\nEOF\n',
  crlf: 'FROM alpine\r\n# comment\r\nRUN apk add \\\r\n    curl \\\r\n    jq\r\nCMD ["sh", "-c", "echo hi"]\r\n',
  bom: '\ufeff# syntax=docker/dockerfile:1\nFROM alpine\n',
  escapeBacktick: '# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN powershell -Command `\n    $ErrorActionPreference = \'Stop\'; `\n    Write-Host C:\\path\\\nCOPY app C:\\app\\\n',
  commentsInContinuation: 'FROM alpine\nRUN apk add \\\n  # the HTTP client\n  curl \\\n\n  # and jq\n  jq\n',
  jsonForm: 'FROM alpine\nENTRYPOINT [ "/bin/sh",   "-c",  "echo  a  b" ]\nCMD ["--flag=\\"x\\""]\n',
  onbuild: 'FROM alpine\nONBUILD RUN --mount=type=cache,target=/root/.cache echo hi\nONBUILD COPY . /app\n',
  lowercase: 'from alpine as base\nrun echo hi\ncopy --from=base /a /b\n',
  tabs: 'FROM\talpine\n\tRUN\techo\thi\t\n',
  trailingSpaces: 'FROM alpine   \nRUN echo hi \\   \n  there   \n',
  noFinalNewline: 'FROM alpine\nRUN echo hi',
  multiStage: 'ARG BASE=alpine:3.20\nFROM --platform=$BUILDPLATFORM golang:1.22 AS build\nWORKDIR /src\nFROM ${BASE} AS final\nCOPY --from=build --chown=app:app /out /usr/bin/\n',
  mounts: 'FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk,sharing=locked \\\n    --mount=type=bind,source=.,target=/src,ro \\\n    --mount=type=secret,id=npmrc,dst=/root/.npmrc \\\n    apk add curl\n',
  emptyLinesAndIndent: '\n\n   FROM alpine\n\n\n   RUN true\n',
  heredocChompTabs: 'FROM alpine\nRUN <<-EOT bash\n\tset -e\n\techo hi\n\tEOT\n',
  heredocFd: 'FROM alpine\nRUN 3<<EOF cat /proc/self/fd/3\nhello\nEOF\nRUN echo after\n',
};

/** Invariants every model must satisfy over its own text. */
function checkModel(name: string, text: string): DockerfileModel {
  const model = parseDockerfile(text);
  assert.is(new Editor(model).apply(), text, `${name}: zero edits reproduce the text`);
  let last = -1;
  for (const ins of model.instructions) {
    assert.ok(ins.lineStart >= last, `${name}: instructions in order`);
    assert.ok(ins.lineStart <= ins.keywordSpan.start && ins.keywordSpan.end <= ins.span.end && ins.span.end <= ins.lineEnd, `${name}: nested spans for ${ins.keyword}`);
    assert.is(text.slice(ins.keywordSpan.start, ins.keywordSpan.end).toUpperCase(), ins.keyword, `${name}: keyword span`);
    assert.is(text.slice(ins.lineStart, ins.keywordSpan.start), ins.indent, `${name}: indent`);
    for (const f of ins.flags) {
      if (!f.crossesLines) assert.is(text.slice(f.span.start, f.span.end), `--${f.name}${f.value === undefined ? '' : '=' + f.value}`, `${name}: flag span`);
    }
    for (const a of ins.args) {
      if (!a.crossesLines && !ins.jsonForm) assert.is(text.slice(a.span.start, a.span.end), a.value, `${name}: arg span`);
      if (ins.jsonForm) assert.is(JSON.parse(text.slice(a.span.start, a.span.end)), a.value, `${name}: JSON arg span`);
    }
    for (const h of ins.heredocs) {
      const term = text.slice(h.terminatorSpan.start, h.terminatorSpan.end);
      assert.is(h.chomp ? term.replace(/^\t+/, '') : term, h.name, `${name}: heredoc terminator`);
      assert.ok(h.bodySpan.end === h.terminatorSpan.start, `${name}: body ends where the terminator starts`);
    }
    last = ins.lineEnd;
  }
  for (const c of model.comments) assert.ok(text.slice(c.span.start, c.span.end).startsWith('#'), `${name}: comment span`);
  return model;
}

for (const [name, text] of Object.entries(TRICKY)) {
  test(`round trip and span invariants: ${name}`, () => {
    checkModel(name, text);
  });
}

test('heredocs: bodies and terminators belong to their instruction', () => {
  const m = checkModel('heredocs', TRICKY.heredocs!);
  assert.equal(m.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'COPY', 'RUN']);
  assert.equal(m.instructions[2]!.heredocs.map((h) => [h.name, h.chomp, h.quoted]), [['a.txt', false, false], ['b.txt', true, true]]);
  const run = m.instructions[1]!;
  assert.is(TRICKY.heredocs!.slice(run.heredocs[0]!.bodySpan.start, run.heredocs[0]!.bodySpan.end), 'set -e\n# not a comment of the Dockerfile\necho hi\n');
  assert.is(m.comments.length, 0, 'lines inside a heredoc are not Dockerfile comments');
});

test('heredoc with a file descriptor (3<<EOF) is a heredoc for BuildKit; dockerfile-ast disagrees → unsafe', () => {
  const m = checkModel('heredocFd', TRICKY.heredocFd!);
  assert.equal(m.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'RUN']);
  assert.ok(m.unsafe.length > 0, 'the disagreement is recorded');
  assert.throws(() => new Editor(m).insert(m.instructions[2]!.lineStart + 1, 'x'), (e: unknown) => e instanceof ProtectedRegionError);
});

test('CRLF: continuation lines join, spans include no line endings', () => {
  const m = checkModel('crlf', TRICKY.crlf!);
  assert.is(m.source.eol, '\r\n');
  const run = m.instructions[1]!;
  assert.equal(run.args.map((a) => a.value), ['apk', 'add', 'curl', 'jq']);
  assert.is(run.endLine, 5);
  assert.is(TRICKY.crlf!.slice(run.span.end, run.lineEnd), '\r\n');
});

test('comments and blank lines inside a continuation are skipped, as BuildKit does', () => {
  const m = checkModel('commentsInContinuation', TRICKY.commentsInContinuation!);
  assert.is(m.instructions.length, 2);
  assert.equal(m.instructions[1]!.args.map((a) => a.value), ['apk', 'add', 'curl', 'jq']);
  assert.equal(m.comments.map((c) => [c.text, c.insideInstruction]), [['the HTTP client', true], ['and jq', true]]);
});

test('escape directive: backtick continues lines; a trailing backslash is plain text', () => {
  const m = checkModel('escapeBacktick', TRICKY.escapeBacktick!);
  assert.is(m.escape, '`');
  assert.equal(m.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'COPY']);
  assert.equal(m.instructions[2]!.args.map((a) => a.value), ['app', 'C:\\app\\']);
});

test('JSON form: elements are decoded with their spaces (dockerfile-ast splits them)', () => {
  const m = checkModel('jsonForm', TRICKY.jsonForm!);
  const ep = m.instructions[1]!;
  assert.ok(ep.jsonForm);
  assert.equal(ep.args.map((a) => a.value), ['/bin/sh', '-c', 'echo  a  b']);
  assert.equal(m.instructions[2]!.args.map((a) => a.value), ['--flag="x"']);
});

test('mount options: keys, aliases and values with exact spans', () => {
  const text = TRICKY.mounts!;
  const m = checkModel('mounts', text);
  const run = m.instructions[1]!;
  assert.is(run.mounts.length, 3);
  const [cache, bind, secret] = run.mounts;
  assert.is(cache!.type, 'cache');
  assert.is(cache!.get('target')!.value, '/var/cache/apk');
  assert.is(cache!.get('sharing')!.value, 'locked');
  assert.is(bind!.type, 'bind');
  assert.is(bind!.get('readonly')!.key, 'ro');
  assert.is(secret!.get('target')!.value, '/root/.npmrc', 'dst is an alias of target');
  for (const mount of run.mounts) {
    for (const o of mount.options) {
      assert.is(text.slice(o.span.start, o.span.end), o.value === undefined ? o.key : `${o.key}=${o.value}`);
    }
  }
  assert.equal(run.args.map((a) => a.value), ['apk', 'add', 'curl']);
});

test('quoted flag values stay one flag (dockerfile-ast splits them); editing them is refused', () => {
  const text = 'FROM alpine\nRUN --mount=type=secret,id="my id",target=/s cat /s\n';
  const m = checkModel('quoted', text);
  const run = m.instructions[1]!;
  assert.is(run.flags.length, 1);
  assert.ok(run.flags[0]!.quoted);
  assert.is(run.mounts[0]!.get('id')!.value, 'my id');
  assert.equal(run.args.map((a) => a.value), ['cat', '/s']);
  assert.throws(() => new Editor(m).setMountOption(run.mounts[0]!, 'sharing', 'locked'), (e: unknown) => e instanceof ProtectedRegionError);
});

test('escaped trailing backslash: BuildKit ends the instruction, dockerfile-ast continues it → unsafe region', () => {
  const text = 'FROM alpine\nRUN echo foo \\\\\nRUN echo bar\n';
  const m = checkModel('escapedTrailing', text);
  assert.equal(m.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'RUN']);
  assert.ok(m.unsafe.some((u) => /split the instructions differently/.test(u.reason)));
  assert.throws(() => new Editor(m).insert(m.instructions[2]!.keywordSpan.end, ' x'), (e: unknown) => e instanceof ProtectedRegionError);
  // Before the disputed region, edits still work.
  assert.is(new Editor(m).insert(0, '# syntax=docker/dockerfile:1\n').apply().split('\n')[0], '# syntax=docker/dockerfile:1');
});

test('"<< \'EOF\'" with a space is not a heredoc for BuildKit: the body lines are unknown instructions → named error', () => {
  const text = "FROM alpine\nRUN cat << 'EOF' > /x\nhello\nEOF\n";
  try {
    parseDockerfile(text);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, DockerfileSyntaxError);
    assert.match((e as Error).message, /unknown instruction: hello at line 3/);
    assert.match((e as Error).message, /not treat as a heredoc/);
  }
});

test('a quoted heredoc delimiter inside a word (E"O"F) is EOF for BuildKit', () => {
  const m = checkModel('quotedWord', 'FROM a\nRUN <<E"O"F\nx\nEOF\nRUN echo after\n');
  assert.equal(m.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'RUN']);
  assert.is(m.instructions[1]!.heredocs[0]!.name, 'EOF');
  assert.ok(m.instructions[1]!.heredocs[0]!.quoted);
});

test('errors BuildKit raises are raised: unterminated heredoc, duplicate directive, bad escape, no instructions', () => {
  const cases: [string, RegExp][] = [
    ['FROM alpine\nRUN <<EOF\necho hi\n', /unterminated heredoc <<EOF starting at line 2/],
    ['# syntax=a\n# syntax=b\nFROM alpine\n', /only one syntax parser directive/],
    ['# escape=x\nFROM alpine\n', /invalid escape token/],
    ['# just a comment\n\n', /no instructions/],
    ["FROM a\nRUN <<'EOF\nx\nEOF\n", /unbalanced quotes/],
  ];
  for (const [text, re] of cases) {
    try {
      parseDockerfile(text);
      assert.unreachable(`should throw for ${JSON.stringify(text)}`);
    } catch (e) {
      assert.instance(e, DockerfileSyntaxError);
      assert.match((e as Error).message, re);
    }
  }
});

test('directive block: BuildKit rules', () => {
  const cases: [string, string[]][] = [
    ['# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM a\n', ['syntax', 'escape', 'check']],
    ['#SYNTAX = docker/dockerfile:1.4\nFROM a\n', ['syntax']],
    ['   #  syntax=docker/dockerfile:1  \nFROM a\n', ['syntax']],
    ['\n# syntax=docker/dockerfile:1\nFROM a\n', []],
    ['# hello\n# syntax=docker/dockerfile:1\nFROM a\n', []],
    ['# foo=bar\n# syntax=docker/dockerfile:1\nFROM a\n', []],
    ['FROM a\n# syntax=docker/dockerfile:1\n', []],
    ['\ufeff# syntax=docker/dockerfile:1\nFROM a\n', ['syntax']],
  ];
  for (const [text, names] of cases) {
    const m = parseDockerfile(text);
    assert.equal(m.directives.map((d) => d.name), names, JSON.stringify(text));
    for (const d of m.directives) assert.is(text.slice(d.valueSpan.start, d.valueSpan.end), d.value);
  }
  const m = parseDockerfile('\ufeff# escape=`\n# syntax=x\n\nFROM a\n');
  assert.is(m.bodyStart, 1);
  assert.is(m.directivesEnd, '\ufeff# escape=`\n# syntax=x\n'.length);
  assert.is(m.directives[1]!.value, 'x');
});

test('stages: names, bases, platforms, indices; global ARGs belong to no stage', () => {
  const m = checkModel('multiStage', TRICKY.multiStage!);
  assert.is(m.instructions[0]!.stage, -1);
  assert.equal(m.stages.map((s) => [s.index, s.name, s.base, s.platform]), [
    [0, 'build', 'golang:1.22', '$BUILDPLATFORM'],
    [1, 'final', '${BASE}', undefined],
  ]);
  assert.equal(m.stages[1]!.instructions.map((i) => i.keyword), ['FROM', 'COPY']);
  const copy = m.stages[1]!.instructions[1]!;
  assert.equal(copy.flags.map((f) => [f.name, f.value]), [['from', 'build'], ['chown', 'app:app']]);
  const low = checkModel('lowercase', TRICKY.lowercase!);
  assert.is(low.stages[0]!.name, 'base');
});

test('ONBUILD: the trigger is parsed in place', () => {
  const text = TRICKY.onbuild!;
  const m = checkModel('onbuild', text);
  const t = m.instructions[1]!.trigger!;
  assert.is(t.keyword, 'RUN');
  assert.is(text.slice(t.keywordSpan.start, t.keywordSpan.end), 'RUN');
  assert.is(t.mounts[0]!.get('target')!.value, '/root/.cache');
  assert.equal(m.instructions[2]!.trigger!.args.map((a) => a.value), ['.', '/app']);
});

test('suppressions and dockshift-ignore-file', () => {
  const m = parseDockerfile('FROM a\n# dockshift-ignore\nRUN a\n# dockshift-ignore cache-id-platform, manifest-first\nRUN b\nRUN c\n');
  assert.equal([...m.suppressions.entries()].map(([k, v]) => [k, [...v]]), [[1, ['*']], [2, ['cache-id-platform', 'manifest-first']]]);
  assert.not.ok(m.ignoreFile);
  assert.ok(parseDockerfile('# top\n# dockshift-ignore-file\nFROM a\n').ignoreFile);
  assert.not.ok(parseDockerfile('FROM a\n# dockshift-ignore-file\nRUN b\n').ignoreFile, 'only in the leading comment block');
});

test('lineOf and the dockerfile-ast tree are available', () => {
  const m = parseDockerfile('FROM a\nARG X=1\nRUN echo $X\n');
  assert.is(m.lineOf(0), 1);
  assert.is(m.lineOf(7), 2);
  assert.is(m.ast.getInstructions().length, 3);
});

test('a quoted flag value with a blank before a JSON-form RUN: no heredoc is read from the JSON', () => {
  // BuildKit splits flags with quotes respected, so what follows is JSON form, and `<<EOF` inside it is text.
  const m = parseDockerfile('FROM a\nRUN --mount="type=bind,source=a b,target=/x" ["sh", "-c", "cat <<EOF"]\nRUN echo next\n');
  const run = m.instructions[1]!;
  assert.ok(run.jsonForm);
  assert.is(run.heredocs.length, 0);
  assert.is(m.instructions.length, 3);
  assert.is(run.flags[0]!.value, '"type=bind,source=a b,target=/x"');
});

test.run();
