// Unified diffs that `git apply` (and `patch -p1`) turn back into exactly the `after` text, byte for byte.
//
// The hunks come from `diff`'s structuredPatch, but its output is verified before use: the hunks are
// replayed against `before` and must reproduce `after` exactly, with every header count right. If that
// check ever fails, the file is emitted as one whole-file hunk instead, which is trivially correct.
//
// What "exactly" needs:
// - Line endings stay in the lines: a CRLF file's patch lines end in `\r\n`, so the `\r` is reproduced.
// - A last line without a newline is followed by `\ No newline at end of file` on the side(s) it applies to.
// - A BOM is just a character at the start of line 1.
// - An empty file created from nothing cannot be expressed with `---`/`+++` alone: it gets git's
//   `diff --git` + `new file mode` header and a blank line to end it (git apply reads it in any position;
//   GNU patch only when it is the last file of a patch).

import { createRequire } from 'node:module';
import type { Outcome } from '../types.js';
import type { ReportStream } from './stream.js';

export interface DiffOptions {
  /** Lines of context around each change (default 3). `git apply` needs `--unidiff-zero` for 0. */
  context?: number;
}

/** One hunk with 1-based starts in the jsdiff convention (the start is the first line the hunk touches,
 * even when it has no lines on that side). `lines` are prefixed with ' ', '-', '+' or '\' and carry no
 * line ending. */
export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

type PatchModule = typeof import('diff/lib/patch/create.js');
let patchModule: PatchModule | undefined;
/**
 * Loaded on the first change to show, and then only the patch module (the package's index loads every differ):
 * a run where nothing changes (`--check` in a pre-commit hook, most of the time) never pays the ~8 ms.
 */
function diffPackage(): PatchModule {
  return (patchModule ??= createRequire(import.meta.url)('diff/lib/patch/create.js') as PatchModule);
}

/** Beyond this many changed lines, Myers' diff gets slow (O(N·D)); the whole-file hunk is used instead. */
const MAX_EDIT_LENGTH = 2000;

const NO_NEWLINE = '\\ No newline at end of file';

/** Split text into lines, each keeping its `\n` (a `\r` before it stays part of the line's content).
 * The last element has no `\n` when the text does not end with one. Empty text → no lines. */
export function splitLinesKeepEol(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) break;
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Hunks turning `before` into `after`; verified, with a whole-file fallback. Empty when equal. */
export function computeHunks(before: string, after: string, context = 3): Hunk[] {
  if (before === after) return [];
  const ctx = Number.isFinite(context) && context >= 0 ? Math.floor(context) : 3;
  let hunks: Hunk[] | undefined;
  try {
    // Bounded effort: a pathological pair (huge and wholly different) gets the whole-file hunk instead.
    const patch = diffPackage().structuredPatch('a', 'b', before, after, undefined, undefined, { context: ctx, maxEditLength: MAX_EDIT_LENGTH });
    hunks = patch?.hunks.map((h) => ({
      oldStart: h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newStart,
      newLines: h.newLines,
      lines: h.lines.slice(),
    }));
  } catch {
    hunks = undefined;
  }
  if (hunks && hunks.length > 0 && verifyHunks(before, after, hunks, ctx)) return hunks;
  return [wholeFileHunk(before, after)];
}

/** One hunk replacing every line of `before` with every line of `after`. */
export function wholeFileHunk(before: string, after: string): Hunk {
  const oldL = splitLinesKeepEol(before);
  const newL = splitLinesKeepEol(after);
  const lines: string[] = [];
  const push = (prefix: string, l: string): void => {
    if (l.endsWith('\n')) lines.push(prefix + l.slice(0, -1));
    else lines.push(prefix + l, NO_NEWLINE);
  };
  for (const l of oldL) push('-', l);
  for (const l of newL) push('+', l);
  return { oldStart: 1, oldLines: oldL.length, newStart: 1, newLines: newL.length, lines };
}

/** Replay `hunks` the way `git apply` reads them and demand that they turn `before` into `after`. */
export function verifyHunks(before: string, after: string, hunks: Hunk[], context = 3): boolean {
  const oldL = splitLinesKeepEol(before);
  const newL = splitLinesKeepEol(after);
  let oldPos = 0; // 0-based index of the next old line not yet consumed
  let newPos = 0;
  const rebuilt: string[] = [];
  for (const h of hunks) {
    const oldIdx = h.oldStart - 1;
    const newIdx = h.newStart - 1;
    if (oldIdx < oldPos || newIdx < newPos) return false; // overlapping or out of order
    if (oldIdx > oldL.length) return false;
    // Lines between hunks are unchanged: both sides must advance by the same amount.
    if (oldIdx - oldPos !== newIdx - newPos) return false;
    for (let i = oldPos; i < oldIdx; i++) rebuilt.push(oldL[i]!);
    // Walk the hunk, building the old-side and new-side line tokens.
    const oldSide: string[] = [];
    const newSide: string[] = [];
    let last: ' ' | '-' | '+' | undefined;
    let leading = 0;
    let seenChange = false;
    let trailing = 0;
    for (const line of h.lines) {
      const c = line[0];
      if (c === '\\') {
        if (line !== NO_NEWLINE || last === undefined) return false;
        // Strip the `\n` just added on the side(s) the previous line belongs to.
        if (last !== '+') {
          const t = oldSide[oldSide.length - 1]!;
          if (!t.endsWith('\n')) return false;
          oldSide[oldSide.length - 1] = t.slice(0, -1);
        }
        if (last !== '-') {
          const t = newSide[newSide.length - 1]!;
          if (!t.endsWith('\n')) return false;
          newSide[newSide.length - 1] = t.slice(0, -1);
        }
        last = undefined; // a second marker in a row is malformed
        continue;
      }
      const body = line.slice(1) + '\n';
      if (body.slice(0, -1).includes('\n')) return false;
      if (c === ' ') {
        oldSide.push(body);
        newSide.push(body);
        if (seenChange) trailing++;
        else leading++;
      } else if (c === '-') {
        oldSide.push(body);
        seenChange = true;
        trailing = 0;
      } else if (c === '+') {
        newSide.push(body);
        seenChange = true;
        trailing = 0;
      } else {
        return false;
      }
      last = c;
    }
    if (!seenChange) return false;
    if (oldSide.length !== h.oldLines || newSide.length !== h.newLines) return false;
    // The old side must be exactly the old lines at that position (content and line endings).
    for (let i = 0; i < oldSide.length; i++) if (oldL[oldIdx + i] !== oldSide[i]) return false;
    // git apply anchors a hunk with short leading context at the top, short trailing context at the end.
    if (leading < context && oldIdx !== 0) return false;
    if (trailing < context && oldIdx + oldSide.length !== oldL.length) return false;
    rebuilt.push(...newSide);
    oldPos = oldIdx + oldSide.length;
    newPos = newIdx + newSide.length;
  }
  for (let i = oldPos; i < oldL.length; i++) rebuilt.push(oldL[i]!);
  if (oldL.length - oldPos !== newL.length - newPos) return false;
  return rebuilt.join('') === after;
}

/** `@@ -l,s +l,s @@` as git writes it: `,1` omitted, a zero-length side starts at the line before. */
export function hunkHeader(h: Hunk): string {
  const range = (start: number, count: number): string =>
    count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
  return `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`;
}

/** A file name for a `---`/`+++` line, C-quoted like git when it contains control characters, `"` or `\`. */
export function quotePathForDiff(name: string): string {
  if (!/[\x00-\x1f\x7f"\\]/.test(name)) return name;
  let out = '"';
  for (const byte of Buffer.from(name, 'utf8')) {
    switch (byte) {
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      case 0x09: out += '\\t'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0b: out += '\\v'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0d: out += '\\r'; break;
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      default:
        out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '\\' + byte.toString(8).padStart(3, '0');
    }
  }
  return out + '"';
}

function fileHeaderLine(marker: '---' | '+++', name: string): string {
  if (name === '/dev/null') return `${marker} /dev/null`;
  const quoted = quotePathForDiff(name);
  // Like git: a name with a space gets a trailing tab, so that readers do not take part of it for a date.
  return `${marker} ${quoted}${quoted === name && name.includes(' ') ? '\t' : ''}`;
}

/**
 * The unified diff of one outcome, or '' when there is nothing to show (unchanged, error, skipped).
 * A created file (`before` undefined) diffs against `/dev/null`.
 */
export function unifiedDiff(outcome: Outcome, opts: DiffOptions = {}): string {
  const after = outcome.after;
  if (after === undefined) return '';
  const created = outcome.before === undefined;
  const before = outcome.before ?? '';
  if (!created && before === after) return '';
  const path = outcome.path;
  const out: string[] = [];
  if (created && after === '') {
    // Nothing for a hunk to say: only git's extended header can create an empty file. The blank line
    // ends that header, so that a `---` line of the next file's diff is not read as part of it.
    const q = (n: string): string => quotePathForDiff(n);
    return `diff --git ${q(`a/${path}`)} ${q(`b/${path}`)}\nnew file mode 100644\n\n`;
  }
  out.push(fileHeaderLine('---', created ? '/dev/null' : `a/${path}`));
  out.push(fileHeaderLine('+++', `b/${path}`));
  for (const h of computeHunks(before, after, opts.context ?? 3)) {
    out.push(hunkHeader(h));
    out.push(...h.lines);
  }
  return out.join('\n') + '\n';
}

const ESC = '\u001b[';
const RESET = `${ESC}0m`;
const BOLD = `${ESC}1m`;
const RED = `${ESC}31m`;
const GREEN = `${ESC}32m`;
const CYAN = `${ESC}36m`;
const DIM = `${ESC}2m`;

/**
 * ANSI colors for a terminal: file headers bold, hunk headers cyan, removals red, additions green.
 * Hunk bodies are tracked by their header counts, so a removed line that starts with `--` is still red.
 */
export function colorizeDiff(text: string): string {
  if (text === '') return text;
  const lines = text.split('\n');
  const trailingNewline = lines[lines.length - 1] === '';
  if (trailingNewline) lines.pop();
  let oldLeft = 0;
  let newLeft = 0;
  const paint = (color: string, line: string): string => {
    // Keep a CR outside the color codes so the reset is not lost on CRLF lines.
    const cr = line.endsWith('\r') ? '\r' : '';
    return `${color}${cr ? line.slice(0, -1) : line}${RESET}${cr}`;
  };
  const out = lines.map((line) => {
    if (oldLeft > 0 || newLeft > 0) {
      const c = line[0];
      if (c === '-') { oldLeft--; return paint(RED, line); }
      if (c === '+') { newLeft--; return paint(GREEN, line); }
      if (c === ' ') { oldLeft--; newLeft--; return line; }
      if (c === '\\') return paint(DIM, line);
      // Malformed count: fall through and treat the line as a header.
      oldLeft = newLeft = 0;
    }
    if (line.startsWith('\\')) return paint(DIM, line);
    const m = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (m) {
      oldLeft = m[1] === undefined ? 1 : Number(m[1]);
      newLeft = m[2] === undefined ? 1 : Number(m[2]);
      return paint(CYAN, line);
    }
    return paint(BOLD, line);
  });
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

/** Every changed/created file's unified diff, in outcome order; each file's part is final when the file is. */
export function diffStream(color = false): ReportStream {
  return {
    add(o) {
      if (o.status !== 'changed' && o.status !== 'created') return '';
      const text = unifiedDiff(o);
      // Coloring follows hunk counts that each file's diff closes, so coloring it alone equals coloring the whole.
      return color ? colorizeDiff(text) : text;
    },
    end: () => '',
  };
}
