// Builds the DockerfileModel: exact spans from the BuildKit-faithful scanner (scan.ts), cross-checked against
// dockerfile-ast. Where the two disagree the region is marked unsafe instead of trusting either one.

import { createRequire } from 'node:module';
import type { Dockerfile } from 'dockerfile-ast';
import type {
  Comment,
  DockerfileModel,
  Flag,
  Heredoc,
  Instruction,
  Mount,
  MountOption,
  SourceFile,
  Span,
  Stage,
  Token,
  UnsafeRegion,
} from '../types.js';
import { dominantEol } from './read.js';
import { flagWordEnd, isJsonArray, lineStartsOf, scan, toSource, withinOneSegment } from './scan.js';
import type { ScannedInstruction, Segment } from './scan.js';

import { DockerfileSyntaxError } from './scan.js';
export { DockerfileSyntaxError };

const SPACE = /[\t\n\v\f\r \u0085\u00a0]/;
const WORD_SEP = /[\t\v\f\r ]+/g;

export function sourceFromText(text: string, path = 'Dockerfile'): SourceFile {
  return { path, text, eol: dominantEol(text), bom: text.charCodeAt(0) === 0xfeff };
}

/** Parses a Dockerfile text. Throws DockerfileSyntaxError for what BuildKit itself rejects (unterminated heredoc, …). */
export function parseDockerfile(input: SourceFile | string, path?: string): DockerfileModel {
  const source = typeof input === 'string' ? sourceFromText(input, path) : input;
  const text = source.text;
  const scanned = scan(text);
  const lineStarts = lineStartsOf(text);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  const commentsByLine = new Map<number, Comment>();
  for (const c of scanned.comments) if (!c.insideInstruction) commentsByLine.set(c.line, c);

  for (const si of scanned.instructions) {
    const ins = buildInstruction(si, 0, text, lineOf);
    ins.index = instructions.length;
    if (ins.keyword === 'FROM') {
      const stage = makeStage(ins, stages.length);
      stages.push(stage);
    }
    ins.stage = stages.length - 1;
    stages[ins.stage]?.instructions.push(ins);
    // Comment lines directly above, no blank line between.
    const leading: Comment[] = [];
    for (let line = ins.startLine - 1; commentsByLine.has(line); line--) leading.unshift(commentsByLine.get(line)!);
    ins.leadingComments = leading;
    instructions.push(ins);
  }

  checkInstructions(instructions, text);

  const suppressions = new Map<number, Set<string>>();
  for (const ins of instructions) {
    for (const c of ins.leadingComments) {
      const m = /^dockshift-ignore(?:\s+([\w,\s-]+))?$/.exec(c.text);
      if (!m) continue;
      const names = m[1] ? m[1].split(/[\s,]+/).filter(Boolean) : ['*'];
      const set = suppressions.get(ins.index) ?? new Set<string>();
      for (const n of names) set.add(n);
      suppressions.set(ins.index, set);
    }
  }
  const firstInstructionLine = instructions[0]?.startLine ?? Number.MAX_SAFE_INTEGER;
  const ignoreFile = scanned.comments.some((c) => !c.insideInstruction && c.line < firstInstructionLine && /^dockshift-ignore-file\b/.test(c.text));

  // dockerfile-ast is needed only to cross-check a file that is about to be edited (or for a transform's
  // read-only queries): parsing it costs more than everything else here, so it happens on first use.
  let astCache: Dockerfile | undefined;
  const parseAst = () => (astCache ??= loadDockerfileAst().DockerfileParser.parse(source.bom ? ' ' + text.slice(1) : text));
  let unsafeCache: UnsafeRegion[] | undefined;
  const unsafe = () => {
    if (unsafeCache) return unsafeCache;
    unsafeCache = [];
    crossCheck(parseAst, source, instructions, unsafeCache, lineStarts, lineOf);
    for (const ins of instructions) markUnsafeInstruction(ins, unsafeCache, lineOf);
    return unsafeCache;
  };

  return {
    source,
    escape: scanned.escape,
    directives: scanned.directives,
    bodyStart: scanned.bodyStart,
    directivesEnd: scanned.directivesEnd,
    instructions,
    comments: scanned.comments,
    stages,
    get unsafe() {
      return unsafe();
    },
    ignoreFile,
    suppressions,
    lineOf,
    get ast() {
      return parseAst();
    },
  };
}

// --- instructions -----------------------------------------------------------------------------------

function buildInstruction(si: ScannedInstruction, from: number, text: string, lineOf: (o: number) => number): Instruction {
  const { logical, segments } = si;
  const src = (o: number) => toSource(segments, o);
  const srcEnd = (o: number) => toSource(segments, o, true);
  const span = (a: number, b: number): Span => ({ start: src(a), end: b > a ? srcEnd(b) : src(a) });

  let p = from;
  while (p < logical.length && SPACE.test(logical[p]!)) p++;
  const kwStart = p;
  while (p < logical.length && !/[\t\v\f\r ]/.test(logical[p]!)) p++;
  const keyword = logical.slice(kwStart, p).toUpperCase();
  const keywordSpan = span(kwStart, p);

  // Flags: leading `--name[=value]` words, with BuildKit's quote and backslash handling.
  const flags: Flag[] = [];
  const flagValueStart = new Map<Flag, number>();
  for (;;) {
    while (p < logical.length && SPACE.test(logical[p]!)) p++;
    if (!(logical[p] === '-' && logical[p + 1] === '-')) break;
    const wStart = p;
    const read = flagWordEnd(logical, p);
    p = read.end;
    const quoted = read.quoted;
    const word = logical.slice(wStart, p);
    if (word === '--') break;
    const eq = word.indexOf('=');
    const nameEnd = eq < 0 ? p : wStart + eq;
    const flag: Flag = {
      name: logical.slice(wStart + 2, nameEnd),
      span: span(wStart, p),
      nameSpan: span(wStart + 2, nameEnd),
      crossesLines: !withinOneSegment(segments, wStart, p),
      quoted,
    };
    if (eq >= 0) {
      flag.value = word.slice(eq + 1);
      flag.valueSpan = span(nameEnd + 1, p);
      flagValueStart.set(flag, nameEnd + 1);
    }
    flags.push(flag);
  }

  while (p < logical.length && SPACE.test(logical[p]!)) p++;
  let argsEnd = logical.length;
  while (argsEnd > p && SPACE.test(logical[argsEnd - 1]!)) argsEnd--;
  const argsText = logical.slice(p, argsEnd);
  const jsonForm = keyword !== 'ONBUILD' && isJsonArray(argsText);
  const args: Token[] = [];
  if (keyword === 'ONBUILD') {
    // Handled through `trigger` below.
  } else if (jsonForm) {
    for (const lit of jsonStringLiterals(argsText)) {
      args.push({ value: lit.value, span: span(p + lit.start, p + lit.end), crossesLines: !withinOneSegment(segments, p + lit.start, p + lit.end) });
    }
  } else {
    WORD_SEP.lastIndex = 0;
    let start = 0;
    const pushWord = (a: number, b: number) => {
      if (b > a) args.push({ value: argsText.slice(a, b), span: span(p + a, p + b), crossesLines: !withinOneSegment(segments, p + a, p + b) });
    };
    for (let m = WORD_SEP.exec(argsText); m; m = WORD_SEP.exec(argsText)) {
      pushWord(start, m.index);
      start = m.index + m[0].length;
    }
    pushWord(start, argsText.length);
  }

  const heredocs: Heredoc[] = si.heredocs
    .filter((h) => h.markerLogical.start >= from)
    .map((h) => ({
      name: h.name,
      chomp: h.chomp,
      quoted: h.quoted,
      markerSpan: span(h.markerLogical.start, h.markerLogical.end),
      bodySpan: h.bodySpan,
      terminatorSpan: h.terminatorSpan,
    }));

  const startSrc = src(kwStart);
  const ins: Instruction = {
    keyword,
    span: { start: startSrc, end: si.contentEnd },
    keywordSpan,
    lineStart: si.lineStart,
    lineEnd: si.lineEnd,
    indent: text.slice(si.lineStart, si.keywordStart),
    startLine: lineOf(startSrc),
    endLine: si.endLine,
    flags,
    args,
    jsonForm,
    heredocs,
    stage: -1,
    index: -1,
    leadingComments: [],
    mounts: [],
  };
  if (argsText) {
    ins.argsSpan = span(p, argsEnd);
    const at = p;
    ins.argsText = { text: argsText, toSource: (o, isEnd) => (isEnd && o > 0 ? srcEnd(at + o) : src(at + o)) };
  }
  if (keyword === 'RUN') {
    ins.mounts = flags.filter((f) => f.name === 'mount').map((f) => {
      const v = flagValueStart.get(f)!;
      // A quoted value means something else to BuildKit than its text: parse what BuildKit sees; no field spans.
      if (f.quoted) return parseMount(f, unquoteFlagValue(f.value ?? ''), () => ({ span: { ...f.span }, crossesLines: true }));
      return parseMount(f, f.value ?? '', (a, b) => ({ span: span(v + a, v + b), crossesLines: !withinOneSegment(segments, v + a, v + b) }));
    });
  }
  if (keyword === 'ONBUILD' && argsText) {
    ins.trigger = buildInstruction(si, p, text, lineOf);
    ins.trigger.stage = -1;
  }
  return ins;
}

function makeStage(from: Instruction, index: number): Stage {
  const args = from.args;
  const baseToken = args[0];
  const stage: Stage = { index, base: baseToken?.value ?? '', from, instructions: [] };
  if (baseToken) stage.baseToken = baseToken;
  if (args.length >= 3 && args[1]!.value.toLowerCase() === 'as') stage.name = args[2]!.value;
  const platform = from.flags.find((f) => f.name === 'platform');
  if (platform?.value !== undefined) stage.platform = platform.value;
  return stage;
}

const MOUNT_ALIASES: Record<string, string> = { dst: 'target', destination: 'target', src: 'source', ro: 'readonly' };

/** BuildKit's extractBuilderFlags: quotes are removed and a backslash takes the next character literally. */
export function unquoteFlagValue(raw: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (!quote && (ch === '"' || ch === "'")) quote = ch;
    else if (quote && ch === quote) quote = '';
    else if (ch === '\\') {
      if (i + 1 < raw.length) out += raw[++i];
    } else out += ch;
  }
  return out;
}

type SpanOf = (a: number, b: number) => { span: Span; crossesLines: boolean };

/** Splits a `--mount` value into CSV fields (as BuildKit does); `spanOf` maps value offsets to source spans. */
function parseMount(flag: Flag, value: string, spanOf: SpanOf): Mount {
  const options: MountOption[] = [];
  let fieldStart = 0;
  let quote = false;
  for (let i = 0; i <= value.length; i++) {
    const ch = value[i];
    if (ch === '"') quote = !quote;
    if (i < value.length && (ch !== ',' || quote)) continue;
    const field = value.slice(fieldStart, i);
    if (field.length) {
      const eq = field.indexOf('=');
      const whole = spanOf(fieldStart, i);
      const opt: MountOption = {
        key: (eq < 0 ? field : field.slice(0, eq)).trim().replace(/^"|"$/g, '').toLowerCase(),
        span: whole.span,
        crossesLines: whole.crossesLines,
      };
      if (eq >= 0) {
        opt.value = field.slice(eq + 1).replace(/^"(.*)"$/, '$1');
        opt.valueSpan = spanOf(fieldStart + eq + 1, i).span;
      }
      options.push(opt);
    }
    fieldStart = i + 1;
  }
  const canonical = (k: string) => MOUNT_ALIASES[k] ?? k;
  const get = (key: string) => {
    const want = canonical(key.toLowerCase());
    let found: MountOption | undefined;
    for (const o of options) if (canonical(o.key) === want) found = o; // the last one wins, as in BuildKit's CSV loop
    return found;
  };
  return { flag, type: (get('type')?.value ?? 'bind').toLowerCase(), options, get };
}

/** Finds the string literals of a JSON array with their offsets (value decoded). */
function jsonStringLiterals(s: string): { value: string; start: number; end: number }[] {
  const out: { value: string; start: number; end: number }[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '"') continue;
    const start = i;
    for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    const end = i + 1;
    out.push({ value: JSON.parse(s.slice(start, end)) as string, start, end });
  }
  return out;
}

const KNOWN_INSTRUCTIONS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/** What BuildKit rejects before building: no instructions, unknown instructions. */
function checkInstructions(instructions: Instruction[], text: string): void {
  if (instructions.length === 0) throw new DockerfileSyntaxError('file with no instructions', 1);
  for (const ins of instructions) {
    if (KNOWN_INSTRUCTIONS.has(ins.keyword)) continue;
    const prev = instructions[ins.index - 1];
    const word = text.slice(ins.keywordSpan.start, ins.keywordSpan.end);
    const hint = /^(\{\{|\{%|<%|\$\{)/.test(word)
      ? ' (this looks like a template, not a Dockerfile: leave it out with the config file\'s "ignore")'
      : prev && /<<-?\s+\S/.test(text.slice(prev.span.start, prev.span.end))
        ? ` (line ${prev.startLine} has "<<" followed by a space, which BuildKit does not treat as a heredoc)`
        : '';
    throw new DockerfileSyntaxError(`unknown instruction: ${text.slice(ins.keywordSpan.start, ins.keywordSpan.end)} at line ${ins.startLine}${hint}`, ins.startLine);
  }
}

let dockerfileAst: typeof import('dockerfile-ast') | undefined;
function loadDockerfileAst(): typeof import('dockerfile-ast') {
  return (dockerfileAst ??= createRequire(import.meta.url)('dockerfile-ast') as typeof import('dockerfile-ast'));
}

// --- safety -----------------------------------------------------------------------------------------

/** dockerfile-ast drives editors and linters; where it reads the file differently from BuildKit, don't edit. */
function crossCheck(ast: () => Dockerfile, source: SourceFile, instructions: Instruction[], unsafe: UnsafeRegion[], lineStarts: number[], lineOf: (o: number) => number): void {
  let theirs: number[];
  try {
    // dockerfile-ast positions are (line, UTF-16 character). Its lines also break at a lone \r, which BuildKit's
    // do not: such a file maps to different offsets here and is marked unsafe, which is the right outcome.
    theirs = ast().getInstructions().map((i) => {
      const { line, character } = i.getInstructionRange().start;
      return (lineStarts[line] ?? Number.NaN) + character;
    });
  } catch (e) {
    // Regions never start before the first instruction: the directive block and leading comments are read
    // by the scanner alone, so edits there (a syntax directive) need no cross-check at all.
    unsafe.push({ span: { start: instructions[0]?.lineStart ?? 0, end: source.text.length }, reason: `dockerfile-ast failed on this file: ${(e as Error).message}` });
    return;
  }
  const ours = instructions.map((i) => i.keywordSpan.start);
  const n = Math.max(ours.length, theirs.length);
  for (let k = 0; k < n; k++) {
    if (ours[k] === theirs[k]) continue;
    const at = Math.min(ours[k] ?? Infinity, theirs[k] ?? Infinity);
    const start = instructions.find((i) => i.span.end >= at)?.lineStart ?? at;
    unsafe.push({
      span: { start, end: source.text.length },
      reason: `dockerfile-ast and BuildKit's rules split the instructions differently from line ${lineOf(at)}`,
    });
    return;
  }
}

function markUnsafeInstruction(ins: Instruction, unsafe: UnsafeRegion[], lineOf: (o: number) => number): void {
  const whole = { start: ins.lineStart, end: ins.span.end };
  for (const h of ins.heredocs) {
    // A quoted delimiter with blanks (`<<"E O F"`) is legal but rare enough that neither parser is trusted on it.
    if (h.name === '' || /\s/.test(h.name)) unsafe.push({ span: whole, reason: `heredoc delimiter at line ${lineOf(h.markerSpan.start)} is unusual` });
  }
  if (ins.trigger) markUnsafeInstruction(ins.trigger, unsafe, lineOf);
}
