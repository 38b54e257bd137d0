import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readSource, decodeSource, dominantEol, DEFAULT_MAX_BYTES } from '../src/dockerfile/read.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array, mode?: number): string {
  const abs = path.join(dir, name);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  if (mode !== undefined) fs.chmodSync(abs, mode);
  return abs;
}

function ok(r: ReturnType<typeof readSource>) {
  if (!r.ok) throw new Error(`expected ok, got error: ${r.error}`);
  return r;
}

function err(r: { ok: true } | { ok: false; error: string }): string {
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

test('LF file: text unchanged, eol \\n, no BOM, mode kept, display path used', () => {
  const text = 'FROM alpine\nRUN echo hi\n';
  const abs = file('lf/Dockerfile', text, 0o640);
  const r = ok(readSource(abs, 'lf/Dockerfile'));
  assert.equal(r.source, { path: 'lf/Dockerfile', text, eol: '\n', bom: false });
  assert.is(r.mode, 0o640);
});

test('CRLF file: text keeps \\r\\n, eol is \\r\\n', () => {
  const text = 'FROM alpine\r\nRUN echo hi\r\n';
  const r = ok(readSource(file('crlf/Dockerfile', text), 'Dockerfile'));
  assert.is(r.source.text, text);
  assert.is(r.source.eol, '\r\n');
});

test('eol: the majority wins; ties and no line endings give \\n', () => {
  assert.is(dominantEol('a\r\nb\r\nc\n'), '\r\n');
  assert.is(dominantEol('a\r\nb\nc\n'), '\n');
  assert.is(dominantEol('a\r\nb\n'), '\n');
  assert.is(dominantEol('FROM a'), '\n');
  assert.is(dominantEol(''), '\n');
  assert.is(dominantEol('\r\n'), '\r\n');
  assert.is(dominantEol('a\rb\rc\r\n'), '\r\n'); // bare CR is not a line ending here
});

test('UTF-8 BOM: kept as U+FEFF at index 0, bom true, nothing else altered', () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('FROM alpine\r\n# café ☕\r\n')]);
  const r = ok(readSource(file('bom/Dockerfile', bytes), 'Dockerfile'));
  assert.is(r.source.text, '\uFEFFFROM alpine\r\n# café ☕\r\n');
  assert.is(r.source.text.charCodeAt(0), 0xfeff);
  assert.ok(r.source.bom);
  assert.is(r.source.eol, '\r\n');
  // round trip: re-encoding gives the exact bytes
  assert.equal(Buffer.from(r.source.text, 'utf8'), Buffer.from(bytes));
  // a U+FEFF later in the file is not a BOM
  const d = decodeSource(utf8('FROM a\n\uFEFF\n'), 'x');
  assert.ok(d.ok && !d.source.bom);
});

test('empty file is fine', () => {
  const r = ok(readSource(file('empty/Dockerfile', ''), 'Dockerfile'));
  assert.equal(r.source, { path: 'Dockerfile', text: '', eol: '\n', bom: false });
});

test('binary: NUL bytes', () => {
  const e = err(readSource(file('bin/Dockerfile', new Uint8Array([0x46, 0x52, 0x0a, 0x4f, 0x00, 0x4d])), 'Dockerfile'));
  assert.match(e, /^binary file/);
  assert.match(e, /NUL byte at byte offset 4, line 2/);
});

test('binary: invalid UTF-8 full of control bytes', () => {
  const bytes = new Uint8Array(200);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 1) % 256 || 1;
  const e = err(decodeSource(bytes, 'x'));
  assert.match(e, /^binary file/);
});

test('invalid UTF-8: names the byte offset and line', () => {
  const bytes = new Uint8Array([...utf8('FROM a\nRUN é\n# '), 0xc3, 0x28, ...utf8('\n')]);
  const e = err(readSource(file('bad/Dockerfile', bytes), 'Dockerfile'));
  assert.is(e, 'not valid UTF-8 (invalid byte sequence at byte offset 16, line 3)');
  // Latin-1 text
  assert.match(err(decodeSource(new Uint8Array([...utf8('# caf'), 0xe9, 0x0a]), 'x')), /not valid UTF-8 .*byte offset 5, line 1/);
  // truncated sequence at the end, overlong encoding, surrogate
  assert.match(err(decodeSource(new Uint8Array([0x41, 0xe2, 0x82]), 'x')), /byte offset 1/);
  assert.match(err(decodeSource(new Uint8Array([0x41, 0xc0, 0xaf]), 'x')), /byte offset 1/);
  assert.match(err(decodeSource(new Uint8Array([0x41, 0x42, 0xed, 0xa0, 0x80]), 'x')), /byte offset 2/);
});

test('UTF-16 (and UTF-32) byte order marks: not supported', () => {
  const le = new Uint8Array([0xff, 0xfe, 0x46, 0x00, 0x52, 0x00]);
  const be = new Uint8Array([0xfe, 0xff, 0x00, 0x46, 0x00, 0x52]);
  const e = err(readSource(file('u16/Dockerfile', le), 'Dockerfile'));
  assert.match(e, /UTF-16 is not supported/);
  assert.match(e, /LE/);
  assert.match(err(decodeSource(be, 'x')), /UTF-16 is not supported.*BE/);
  assert.match(err(decodeSource(new Uint8Array([0xff, 0xfe, 0, 0, 0x46, 0, 0, 0]), 'x')), /UTF-32 is not supported/);
});

test('too large: says the size and the limit; maxBytes is configurable', () => {
  const abs = file('big/Dockerfile', 'x'.repeat(2048));
  const e = err(readSource(abs, 'Dockerfile', { maxBytes: 1024 }));
  assert.is(e, 'too large: 2 KiB (2048 bytes) exceeds the limit of 1 KiB (1024 bytes)');
  assert.ok(readSource(abs, 'Dockerfile', { maxBytes: 2048 }).ok);
  assert.is(DEFAULT_MAX_BYTES, 1024 * 1024);
  const huge = file('big/huge.Dockerfile', new Uint8Array(DEFAULT_MAX_BYTES + 1));
  assert.is(err(readSource(huge, 'x')), 'too large: 1.0 MiB (1048577 bytes) exceeds the limit of 1 MiB (1048576 bytes)');
  assert.match(err(decodeSource(new Uint8Array(11), 'x', { maxBytes: 10 })), /^too large: 11 bytes exceeds the limit of 10 bytes$/);
});

test('unreadable: missing, directory, FIFO', () => {
  assert.is(err(readSource(path.join(dir, 'nope'), 'nope')), 'unreadable: no such file or directory');
  fs.mkdirSync(path.join(dir, 'adir.Dockerfile'));
  assert.is(err(readSource(path.join(dir, 'adir.Dockerfile'), 'adir.Dockerfile')), 'unreadable: is a directory');
  const notdir = file('plain', 'x');
  assert.match(err(readSource(path.join(notdir, 'Dockerfile'), 'x')), /^unreadable: not a directory/);
  if (process.platform !== 'win32') {
    const fifo = path.join(dir, 'fifo.Dockerfile');
    const r = mkfifo(fifo);
    if (r) assert.is(err(readSource(fifo, 'fifo.Dockerfile')), 'unreadable: not a regular file (a named pipe)');
  }
});

test('unreadable: permission denied (skipped as root)', () => {
  const abs = file('perm/Dockerfile', 'FROM a\n', 0o000);
  if (process.getuid?.() === 0) {
    // root reads anything: the file is read normally
    assert.ok(readSource(abs, 'Dockerfile').ok);
    return;
  }
  assert.is(err(readSource(abs, 'Dockerfile')), 'unreadable: permission denied');
});

function mkfifo(p: string): boolean {
  // node has no mkfifo; use the system one when present
  return spawnSync('mkfifo', [p]).status === 0;
}

test.run();
