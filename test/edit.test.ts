// The edit layer: splices on the original text, line helpers that respect line endings and indentation,
// mount option edits, and refusals (overlaps, protected regions).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EditConflictError, Editor, ProtectedRegionError } from '../src/dockerfile/edit.js';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import { protectedRegions } from '../src/transform/api.js';

const edit = (text: string) => {
  const model = parseDockerfile(text);
  return { model, editor: new Editor(model) };
};

test('replace / insert / delete splice exactly and leave every other byte alone', () => {
  const text = 'FROM alpine\r\n# keep me\r\nRUN echo a \\\r\n    b\r\n';
  const { model, editor } = edit(text);
  const run = model.instructions[1]!;
  editor.replace(model.instructions[0]!.args[0]!.span, 'alpine:3.20').insert(run.keywordSpan.end, ' --network=none');
  assert.is(editor.apply(), 'FROM alpine:3.20\r\n# keep me\r\nRUN --network=none echo a \\\r\n    b\r\n');
  const { model: m2, editor: e2 } = edit(text);
  assert.is(e2.delete({ start: m2.comments[0]!.span.start, end: m2.comments[0]!.span.end + 2 }).apply(), 'FROM alpine\r\nRUN echo a \\\r\n    b\r\n');
});

test('a no-op replacement is not an edit', () => {
  const { model, editor } = edit('FROM alpine\n');
  editor.replace(model.instructions[0]!.args[0]!.span, 'alpine');
  assert.is(editor.size, 0);
});

test('overlapping edits are an error, never merged', () => {
  const { model, editor } = edit('FROM alpine AS base\n');
  const [image, , name] = model.instructions[0]!.args;
  editor.replace(image!.span, 'debian');
  assert.throws(() => editor.replace({ start: image!.span.start + 2, end: name!.span.end }, 'x'), (e: unknown) => e instanceof EditConflictError);
  editor.insert(name!.span.start, 'my');
  assert.throws(() => editor.insert(name!.span.start, 'other'), (e: unknown) => e instanceof EditConflictError, 'two inserts at one point');
  assert.throws(() => editor.insert(image!.span.start + 1, 'x'), (e: unknown) => e instanceof EditConflictError, 'insert inside a replaced span');
  assert.is(editor.apply(), 'FROM debian AS mybase\n');
});

test('insertLinesBefore / After use the line ending and indentation of the instruction', () => {
  const text = 'FROM alpine\r\n    RUN echo hi\r\n';
  const { model, editor } = edit(text);
  const run = model.instructions[1]!;
  editor.insertLinesBefore(run, ['ARG A']).insertLinesAfter(run, ['ARG B', 'ARG C']);
  assert.is(editor.apply(), 'FROM alpine\r\n    ARG A\r\n    RUN echo hi\r\n    ARG B\r\n    ARG C\r\n');
});

test('insertLinesAfter a heredoc goes after the terminator; a missing final newline stays missing', () => {
  const text = 'FROM alpine\nRUN <<EOF\necho hi\nEOF\nCMD ["sh"]';
  const { model, editor } = edit(text);
  editor.insertLinesAfter(model.instructions[1]!, ['ENV A=1']).insertLinesAfter(model.instructions[2]!, ['USER app']);
  const out = editor.apply();
  assert.is(out, 'FROM alpine\nRUN <<EOF\necho hi\nEOF\nENV A=1\nCMD ["sh"]\nUSER app');
  assert.is(parseDockerfile(out).instructions.length, 5);
});

test('insertAtStageStart and insertAfterDirectives', () => {
  const text = '\ufeff# escape=`\nFROM alpine AS a\nRUN true\nFROM a\n';
  const { model, editor } = edit(text);
  editor.insertAtStageStart(model.stages[1]!, ['ARG TARGETARCH']).insertAfterDirectives(['# built by dockshift']);
  assert.is(editor.apply(), '\ufeff# escape=`\n# built by dockshift\nFROM alpine AS a\nRUN true\nFROM a\nARG TARGETARCH\n');
});

test('setMountOption: replace a value (aliases count), or append a field', () => {
  const text = 'FROM alpine\nRUN --mount=type=cache,dst=/var/cache/apk,sharing=locked \\\n    --mount=type=cache,target=/root/.cache \\\n    apk add curl\n';
  const { model, editor } = edit(text);
  const [apk, pip] = model.instructions[1]!.mounts;
  editor.setMountOption(apk!, 'target', '/etc/apk/cache').setMountOption(pip!, 'id', 'pip-${TARGETPLATFORM}').setMountOption(apk!, 'sharing', 'locked');
  assert.is(editor.apply(), 'FROM alpine\nRUN --mount=type=cache,dst=/etc/apk/cache,sharing=locked \\\n    --mount=type=cache,target=/root/.cache,id=pip-${TARGETPLATFORM} \\\n    apk add curl\n');
});

test('setMountOption: a value continued over lines is appended to on its last line; a field that crosses lines is refused', () => {
  // BuildKit keeps a continued line's leading blanks, so a value can only continue on an unindented line.
  const text = 'FROM alpine\nRUN --mount=type=cache,\\\ntarget=/var/cache/apk apk add curl\n';
  const { model, editor } = edit(text);
  const mount = model.instructions[1]!.mounts[0]!;
  assert.ok(mount.flag.crossesLines);
  assert.is(mount.get('target')!.value, '/var/cache/apk');
  assert.is(text.slice(mount.get('target')!.span.start, mount.get('target')!.span.end), 'target=/var/cache/apk');
  editor.setMountOption(mount, 'id', 'apk');
  assert.is(editor.apply(), 'FROM alpine\nRUN --mount=type=cache,\\\ntarget=/var/cache/apk,id=apk apk add curl\n');
  const indented = parseDockerfile('FROM alpine\nRUN --mount=type=cache,\\\n  target=/x apk add curl\n').instructions[1]!;
  assert.is(indented.mounts[0]!.flag.value, 'type=cache,', 'an indented continuation ends the flag, as in BuildKit');
  const { model: m2, editor: e2 } = edit('FROM alpine\nRUN --mount=type=cache,target=/var/\\\ncache/apk apk add curl\n');
  assert.is(m2.instructions[1]!.mounts[0]!.get('target')!.value, '/var/cache/apk');
  assert.throws(() => e2.setMountOption(m2.instructions[1]!.mounts[0]!, 'target', '/x'), (e: unknown) => e instanceof ProtectedRegionError);
});

test('suppressed instructions are protected regions for the named transform only', () => {
  const text = 'FROM alpine\n# dockshift-ignore cache-id-platform\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n';
  const model = parseDockerfile(text);
  const mount = model.instructions[1]!.mounts[0]!;
  const forCache = new Editor(model, protectedRegions(model, 'cache-id-platform'));
  assert.throws(() => forCache.setMountOption(mount, 'id', 'x'), (e: unknown) => e instanceof ProtectedRegionError && /dockshift-ignore/.test(e.reason));
  const forOther = new Editor(model, protectedRegions(model, 'other'));
  forOther.setMountOption(mount, 'id', 'x');
  assert.ok(forOther.apply().includes(',id=x '));
  // Inserting above the suppressed instruction (outside its span) is allowed.
  forCache.insertLinesBefore(model.instructions[0]!, ['# syntax=docker/dockerfile:1']);
});

test('addFlag keeps the rest of the line', () => {
  const { model, editor } = edit('FROM alpine\nCOPY --chown=app:app . /app\n');
  editor.addFlag(model.instructions[1]!, '--link');
  assert.is(editor.apply(), 'FROM alpine\nCOPY --link --chown=app:app . /app\n');
});

test('spans outside the file are rejected', () => {
  const { editor } = edit('FROM alpine\n');
  assert.throws(() => editor.replace({ start: 5, end: 100 }, 'x'), (e: unknown) => e instanceof EditConflictError);
});

test.run();
