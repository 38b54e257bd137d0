// A lossless scanner that follows BuildKit's own line rules (frontend/dockerfile/parser/parser.go): how
// physical lines join into instructions, which lines are comments, where the parser-directive block ends,
// and which lines are heredoc bodies. It records exact offsets for everything, so that edits can be spliced
// into the original text. dockerfile-ast is cross-checked against it in parse.ts.

import type { Comment, Directive, Span } from '../types.js';

export class DockerfileSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = 'DockerfileSyntaxError';
  }
}

/** A piece of the logical line: logical[logicalStart, logicalStart+length) == text[sourceStart, sourceStart+length). */
export interface Segment {
  logicalStart: number;
  sourceStart: number;
  length: number;
}

export interface ScannedHeredoc {
  name: string;
  chomp: boolean;
  quoted: boolean;
  markerLogical: Span;
  bodySpan: Span;
  terminatorSpan: Span;
}

export interface ScannedInstruction {
  /** Joined text as BuildKit sees it (continuations removed, comment lines dropped). */
  logical: string;
  segments: Segment[];
  keywordStart: number;
  lineStart: number;
  /** End of the last physical line that belongs to the instruction (heredoc terminator included), before its line ending. */
  contentEnd: number;
  /** Just past that line's line ending. */
  lineEnd: number;
  startLine: number;
  endLine: number;
  heredocs: ScannedHeredoc[];
}

export interface ScanResult {
  escape: '\\' | '`';
  directives: Directive[];
  bodyStart: number;
  directivesEnd: number;
  instructions: ScannedInstruction[];
  comments: Comment[];
}

interface PhysicalLine {
  start: number;
  /** End of content: trailing \r and \n removed (BuildKit's trimNewline). */
  contentEnd: number;
  /** Start of the next line. */
  next: number;
}

// BuildKit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`, with the value's trailing blanks trimmed in code:
// a lazy `(.+?)\s*$` backtracks quadratically on long lines of blanks.
const DIRECTIVE_RE = /^#[ \t\v\f\r]*([a-zA-Z][a-zA-Z0-9]*)[ \t\v\f\r]*=[ \t\v\f\r]*(.*)$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_RE = /^(\d*)<<(-?)([^<]*)$/;
// Go's unicode.IsSpace, which BuildKit uses to trim leading whitespace.
const LEADING_SPACE_RE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);

/** `s` without trailing blanks; a loop, because `/\s+$/` is quadratic on long runs of blanks. */
function trimEndBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && ' \t\v\f\r'.includes(s[end - 1]!)) end--;
  return s.slice(0, end);
}

function splitLines(text: string): PhysicalLine[] {
  const lines: PhysicalLine[] = [];
  let start = 0;
  const n = text.length;
  while (start < n) {
    let nl = text.indexOf('\n', start);
    const next = nl < 0 ? n : nl + 1;
    let contentEnd = nl < 0 ? n : nl;
    while (contentEnd > start && (text.charCodeAt(contentEnd - 1) === 13 || text.charCodeAt(contentEnd - 1) === 10)) contentEnd--;
    lines.push({ start, contentEnd, next });
    start = next;
  }
  return lines;
}

function continuationRegex(escape: string): RegExp {
  const e = escape === '`' ? '`' : '\\\\';
  // BuildKit: `([^\` + s + `])\` + s + `[ \t]*$|^\` + s + `[ \t]*$`. An escaped escape ("\\") at the end is
  // therefore *not* a continuation; BuildKit documents that "foo \\\" is not handled either — we mirror it.
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/** Returns the kept length of `line` when it ends with a continuation, or -1 when it does not. */
function continuationCut(line: string, re: RegExp): number {
  const m = re.exec(line);
  if (!m) return -1;
  // Keep the character before the escape (group 1), drop the escape and trailing blanks.
  return m.index + (m[1] !== undefined ? m[1].length : 0);
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  let i = text.indexOf('\n');
  while (i >= 0) {
    starts.push(i + 1);
    i = text.indexOf('\n', i + 1);
  }
  return starts;
}

export function scan(text: string): ScanResult {
  const bom = text.charCodeAt(0) === 0xfeff;
  const bodyStart = bom ? 1 : 0;
  const lines = splitLines(text);
  const comments: Comment[] = [];
  const directives: Directive[] = [];
  const instructions: ScannedInstruction[] = [];
  let escape: '\\' | '`' = '\\';
  let contRe = continuationRegex(escape);
  let directivesDone = false;
  let directivesEnd = bodyStart;
  const seen = new Set<string>();

  const lineText = (i: number, from?: number) => {
    const l = lines[i]!;
    return text.slice(from ?? l.start, l.contentEnd);
  };

  /** Returns true when the line is an effective parser directive. */
  const checkDirective = (token: string, lineIndex: number, contentStart: number): boolean => {
    if (directivesDone) return false;
    const m = DIRECTIVE_RE.exec(token);
    const name = m?.[1]?.toLowerCase();
    const value = trimEndBlanks(m?.[2] ?? '');
    if (!m || !name || !value || !KNOWN_DIRECTIVES.has(name)) {
      directivesDone = true;
      return false;
    }
    if (seen.has(name)) throw new DockerfileSyntaxError(`only one ${name} parser directive can be used`, lineIndex + 1);
    seen.add(name);
    const tokenStart = lines[lineIndex]!.contentEnd - token.length;
    const valueStart = tokenStart + trimEndBlanks(token).length - value.length;
    if (name === 'escape') {
      if (value !== '`' && value !== '\\') throw new DockerfileSyntaxError(`invalid escape token '${value}' does not match \` or \\`, lineIndex + 1);
      escape = value;
      contRe = continuationRegex(escape);
    }
    const l = lines[lineIndex]!;
    directives.push({
      name,
      value,
      span: { start: contentStart, end: l.contentEnd },
      valueSpan: { start: valueStart, end: valueStart + value.length },
      line: lineIndex + 1,
    });
    directivesEnd = l.next;
    return true;
  };

  const isCommentLine = (raw: string) => {
    const trimmed = raw.replace(LEADING_SPACE_RE, '');
    return trimmed.charCodeAt(0) === 35; // '#'
  };

  const pushComment = (lineIndex: number, raw: string, rawStart: number, inside: boolean) => {
    const hash = raw.indexOf('#');
    const l = lines[lineIndex]!;
    comments.push({
      span: { start: rawStart + hash, end: l.contentEnd },
      text: raw.slice(hash + 1).trim(),
      line: lineIndex + 1,
      insideInstruction: inside,
    });
  };

  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    const contentStart = i === 0 ? bodyStart : first.start;
    const raw = text.slice(contentStart, first.contentEnd);
    const lead = LEADING_SPACE_RE.exec(raw)?.[0].length ?? 0;
    const token = raw.slice(lead);
    const startIndex = i;
    const isComment = token.charCodeAt(0) === 35;
    const isDirective = checkDirective(token, i, contentStart + lead);
    if (isComment && !isDirective) pushComment(i, raw, contentStart, false);
    i++;
    const processed = isComment ? '' : token;
    let cut = continuationCut(processed, contRe);
    let isEnd = cut < 0;
    const kept = isEnd ? processed : processed.slice(0, cut);
    if (isEnd && kept === '') continue;

    const keywordStart = contentStart + lead;
    const segments: Segment[] = [];
    let logical = '';
    const addSegment = (sourceStart: number, s: string) => {
      if (s.length) segments.push({ logicalStart: logical.length, sourceStart, length: s.length });
      logical += s;
    };
    addSegment(keywordStart, kept);
    let lastLine = startIndex;
    while (!isEnd && i < lines.length) {
      const l = lines[i]!;
      const rawLine = lineText(i);
      checkDirective(rawLine.replace(LEADING_SPACE_RE, ''), i, l.start);
      lastLine = i;
      i++;
      if (isCommentLine(rawLine)) {
        pushComment(i - 1, rawLine, l.start, true);
        continue;
      }
      if (rawLine.replace(LEADING_SPACE_RE, '') === '') continue; // empty continuation line (a BuildKit warning)
      cut = continuationCut(rawLine, contRe);
      isEnd = cut < 0;
      addSegment(l.start, isEnd ? rawLine : rawLine.slice(0, cut));
    }

    const heredocs: ScannedHeredoc[] = [];
    if (canContainHeredoc(logical)) {
      let markers;
      try {
        markers = heredocMarkers(logical);
      } catch (e) {
        throw new DockerfileSyntaxError(`${(e as Error).message} at line ${startIndex + 1}`, startIndex + 1);
      }
      for (const marker of markers) {
        const bodyStartOffset = i < lines.length ? lines[i]!.start : text.length;
        let terminated = false;
        while (i < lines.length) {
          const l = lines[i]!;
          let candidate = text.slice(l.start, l.contentEnd);
          if (marker.chomp) candidate = candidate.replace(/^\t+/, '');
          lastLine = i;
          i++;
          if (candidate === marker.name) {
            heredocs.push({
              name: marker.name,
              chomp: marker.chomp,
              quoted: marker.quoted,
              markerLogical: marker.span,
              bodySpan: { start: bodyStartOffset, end: l.start },
              terminatorSpan: { start: l.start, end: l.contentEnd },
            });
            terminated = true;
            break;
          }
        }
        if (!terminated) throw new DockerfileSyntaxError(`unterminated heredoc <<${marker.chomp ? '-' : ''}${marker.name} starting at line ${startIndex + 1}`, startIndex + 1);
      }
    }
    const last = lines[lastLine]!;
    instructions.push({
      logical,
      segments,
      keywordStart,
      lineStart: contentStart, // after a BOM: a line inserted "before" the first instruction goes after it
      contentEnd: last.contentEnd,
      lineEnd: last.next,
      startLine: startIndex + 1,
      endLine: lastLine + 1,
      heredocs,
    });
  }
  // BuildKit's DetectSyntax (which picks the frontend) skips a leading `#!` line before reading directives,
  // although the parser proper does not (so `# escape=` after a shebang is not effective, but `# syntax=` is).
  const first = lines[0];
  if (first && text.startsWith('#!', bodyStart) && !directives.some((d) => d.name === 'syntax')) {
    for (let k = 1; k < lines.length; k++) {
      const l = lines[k]!;
      const raw = text.slice(l.start, l.contentEnd);
      const token = raw.replace(LEADING_SPACE_RE, '');
      const m = DIRECTIVE_RE.exec(token);
      const name = m?.[1]?.toLowerCase();
      const value = trimEndBlanks(m?.[2] ?? '');
      if (!m || !name || !value || !KNOWN_DIRECTIVES.has(name)) break;
      if (name !== 'syntax') continue;
      const valueStart = l.contentEnd - token.length + trimEndBlanks(token).length - value.length;
      directives.push({ name, value, span: { start: l.contentEnd - token.length, end: l.contentEnd }, valueSpan: { start: valueStart, end: valueStart + value.length }, line: k + 1, afterShebang: true });
      break;
    }
  }
  return { escape, directives, bodyStart, directivesEnd, instructions, comments };
}

// --- heredocs ---------------------------------------------------------------------------------------

function canContainHeredoc(logical: string): boolean {
  if (!logical.includes('<<')) return false; // the common case, decided without tokenising
  const words = logical.trim().split(/[\t\v\f\r ]+/);
  let kw = words[0]?.toLowerCase() ?? '';
  let rest = logical.trim().slice(words[0]?.length ?? 0).trim();
  if (kw === 'onbuild') {
    kw = words[1]?.toLowerCase() ?? '';
    rest = rest.slice(words[1]?.length ?? 0).trim();
  }
  if (!HEREDOC_KEYWORDS.has(kw)) return false;
  return !isJsonArray(stripFlags(rest));
}

// Go's unicode.IsSpace over Latin-1, which BuildKit uses to split flag words.
const FLAG_SPACE = /[\t\n\v\f\r \u0085\u00a0]/;

/**
 * The end of a flag word that starts at `p`, read as BuildKit's extractBuilderFlags reads it: blanks inside
 * quotes do not end it, a backslash takes the next character. `quoted` tells whether quotes or escapes occurred.
 */
export function flagWordEnd(s: string, p: number): { end: number; quoted: boolean } {
  let quote = '';
  let quoted = false;
  while (p < s.length) {
    const ch = s[p]!;
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === '\\') p++;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      quoted = true;
    } else if (ch === '\\') {
      quoted = true;
      p++;
    } else if (FLAG_SPACE.test(ch)) break;
    p++;
  }
  return { end: Math.min(p, s.length), quoted };
}

/** Drops leading `--flag` words (BuildKit parses JSON form after the flags). */
export function stripFlags(rest: string): string {
  let p = 0;
  for (;;) {
    while (p < rest.length && FLAG_SPACE.test(rest[p]!)) p++;
    if (!rest.startsWith('--', p)) return rest.slice(p);
    const { end } = flagWordEnd(rest, p);
    if (end - p === 2) return rest.slice(p); // a bare `--`
    p = end;
  }
}

export function isJsonArray(s: string): boolean {
  const t = s.trim();
  if (!t.startsWith('[')) return false;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}

interface ShellWord {
  raw: string;
  start: number;
  end: number;
}

/** Splits like BuildKit's shell lexer with raw quotes and escapes: whitespace outside quotes separates words. */
export function shellWords(s: string): ShellWord[] {
  const words: ShellWord[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && /\s/.test(s[i]!)) i++;
    if (i >= n) break;
    const start = i;
    let quote = '';
    while (i < n) {
      const ch = s[i]!;
      if (quote) {
        if (ch === quote) quote = '';
        else if (ch === '\\' && quote === '"' && i + 1 < n) i++;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '\\' && i + 1 < n) i++;
      else if (/\s/.test(ch)) break;
      i++;
    }
    words.push({ raw: s.slice(start, i), start, end: i });
  }
  return words;
}

function unquoteWord(raw: string): { value: string; quoted: boolean } {
  let out = '';
  let quote = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === '\\' && quote === '"' && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1]!)) out += raw[++i];
      else out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      quoted = true;
    } else if (ch === '\\' && i + 1 < raw.length) {
      out += raw[++i];
      quoted = true;
    } else out += ch;
  }
  return { value: out, quoted };
}

function quotesBalanced(s: string): boolean {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === '\\' && quote === '"') i++;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\') i++;
  }
  return quote === '';
}

function heredocMarkers(logical: string): { name: string; chomp: boolean; quoted: boolean; span: Span }[] {
  const out: { name: string; chomp: boolean; quoted: boolean; span: Span }[] = [];
  for (const w of shellWords(logical)) {
    const m = HEREDOC_RE.exec(w.raw);
    if (!m) continue;
    const rest = m[3]!;
    if (!rest) continue;
    const inner = shellWords(rest);
    if (inner.length !== 1) continue;
    if (!quotesBalanced(rest)) throw new DockerfileSyntaxError(`unbalanced quotes in heredoc delimiter ${w.raw}`, 0);
    const { value, quoted } = unquoteWord(rest);
    out.push({ name: value, chomp: m[2] === '-', quoted, span: { start: w.start, end: w.end } });
  }
  return out;
}

/** Maps a logical offset to a source offset (an end offset maps to just past the previous character). */
export function toSource(segments: Segment[], logicalOffset: number, isEnd = false): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    const segEnd = s.logicalStart + s.length;
    if (logicalOffset < s.logicalStart || (isEnd && logicalOffset === s.logicalStart && mid > 0)) hi = mid - 1;
    else if (logicalOffset > segEnd || (!isEnd && logicalOffset === segEnd && mid < segments.length - 1)) lo = mid + 1;
    else return s.sourceStart + (logicalOffset - s.logicalStart);
  }
  const lastSeg = segments[segments.length - 1];
  return lastSeg ? lastSeg.sourceStart + lastSeg.length : 0;
}

/** Whether a logical range stays inside one segment (no continuation crossed). */
export function withinOneSegment(segments: Segment[], start: number, end: number): boolean {
  if (end <= start) return true;
  return toSource(segments, end, true) - toSource(segments, start) === end - start;
}
