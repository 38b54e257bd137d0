// read: bytes → SourceFile, or a named error that the runner shows next to the path.
//
// Nothing is altered: a UTF-8 BOM stays in the text as U+FEFF at index 0 (`bom: true`), line endings are
// kept as they are, and `eol` only records the dominant one (CRLF when CRLF endings are the majority).

import * as fs from 'node:fs';
import type { LineEnding, SourceFile } from '../types.js';

/** Files above this size are refused unless `maxBytes` says otherwise. */
// Real Dockerfiles are kilobytes; past 1 MiB parsing alone takes seconds (dockerfile-ast is superlinear on
// huge lines), so larger files are refused up front with a clear error rather than stalling a run.
export const DEFAULT_MAX_BYTES = 1024 * 1024;

export type DecodeResult = { ok: true; source: SourceFile } | { ok: false; error: string };
export type ReadResult = { ok: true; source: SourceFile; mode: number } | { ok: false; error: string };

export interface ReadOptions {
  /** Refuse files larger than this many bytes (default 1 MiB). */
  maxBytes?: number;
}

// One decoder for every file. `ignoreBOM: true` keeps a leading BOM in the output instead of eating it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Read a file and decode it. `mode` is the permission part of the file mode (`st.mode & 0o7777`), to keep
 * on write. Never throws for file-system problems: those come back as `{ ok: false, error }`.
 */
export function readSource(absPath: string, displayPath: string, opts: ReadOptions = {}): ReadResult {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK so that opening a FIFO named by mistake does not hang; no effect on regular files.
    fd = fs.openSync(absPath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return { ok: false, error: unreadable(err) };
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return { ok: false, error: 'unreadable: is a directory' };
    if (!st.isFile()) return { ok: false, error: `unreadable: not a regular file (${fileKind(st)})` };
    if (st.size > maxBytes) return { ok: false, error: tooLarge(st.size, maxBytes) };
    const bytes = fs.readFileSync(fd);
    const decoded = decodeSource(bytes, displayPath, { maxBytes });
    if (!decoded.ok) return decoded;
    return { ok: true, source: decoded.source, mode: st.mode & 0o7777 };
  } catch (err) {
    return { ok: false, error: unreadable(err) };
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      /* nothing useful to do */
    }
  }
}

/** Decode bytes already in memory (tests, stdin, in-memory use). Same checks and errors as `readSource`. */
export function decodeSource(bytes: Uint8Array, displayPath: string, opts: ReadOptions = {}): DecodeResult {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) return { ok: false, error: tooLarge(bytes.length, maxBytes) };

  // Byte order marks of encodings we do not read. UTF-32 LE starts like UTF-16 LE, so test it first.
  const b0 = bytes[0], b1 = bytes[1];
  if (bytes.length >= 4 && b0 === 0xff && b1 === 0xfe && bytes[2] === 0 && bytes[3] === 0) {
    return { ok: false, error: 'UTF-32 is not supported (UTF-32 LE byte order mark); convert the file to UTF-8' };
  }
  if (bytes.length >= 4 && b0 === 0 && b1 === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) {
    return { ok: false, error: 'UTF-32 is not supported (UTF-32 BE byte order mark); convert the file to UTF-8' };
  }
  if (b0 === 0xff && b1 === 0xfe) {
    return { ok: false, error: 'UTF-16 is not supported (UTF-16 LE byte order mark); convert the file to UTF-8' };
  }
  if (b0 === 0xfe && b1 === 0xff) {
    return { ok: false, error: 'UTF-16 is not supported (UTF-16 BE byte order mark); convert the file to UTF-8' };
  }

  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return { ok: false, error: `binary file (contains a NUL byte at byte offset ${nul}, line ${lineAt(bytes, nul)})` };
  }

  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    if (looksBinary(bytes)) return { ok: false, error: `binary file (not text: invalid UTF-8 at byte offset ${at} and many control bytes)` };
    return { ok: false, error: `not valid UTF-8 (invalid byte sequence at byte offset ${at}, line ${lineAt(bytes, at)})` };
  }

  return {
    ok: true,
    source: { path: displayPath, text, eol: dominantEol(text), bom: text.charCodeAt(0) === 0xfeff },
  };
}

/** `\r\n` when CRLF endings outnumber bare LF endings; `\n` otherwise (ties and files without any). */
export function dominantEol(text: string): LineEnding {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'unreadable: no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'unreadable: permission denied';
    case 'EISDIR':
      return 'unreadable: is a directory';
    case 'ENOTDIR':
      return 'unreadable: not a directory (a parent in the path is a file)';
    case 'ELOOP':
      return 'unreadable: too many levels of symbolic links';
    case 'EMFILE':
    case 'ENFILE':
      return 'unreadable: too many open files';
    default: {
      const msg = err instanceof Error ? err.message : String(err);
      return `unreadable: ${msg}`;
    }
  }
}

function fileKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'special file';
}

function tooLarge(size: number, limit: number): string {
  return `too large: ${formatBytes(size)} exceeds the limit of ${formatBytes(limit)}`;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${trim(n / (1024 * 1024))} MiB (${n} bytes)`;
  if (n >= 1024) return `${trim(n / 1024)} KiB (${n} bytes)`;
  return `${n} bytes`;
}

function trim(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** 1-based line of a byte offset. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i !== -1 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + len > n) return i; // truncated sequence at the end
    const c1 = b[i + 1]!;
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k < len; k++) {
      const ck = b[i + k]!;
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += len;
  }
  return n;
}

/** More than 10% control bytes (other than tab, LF, VT, FF, CR, ESC) in the first 8000 bytes. */
function looksBinary(b: Uint8Array): boolean {
  const n = Math.min(b.length, 8000);
  let ctl = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13 && c !== 27) || c === 0x7f) ctl++;
  }
  return n > 0 && ctl * 10 > n;
}
