// One Dockerfile through the pipeline: parse once → transforms in order (re-parse only after a change) →
// guard (the result parses, and a second pass changes nothing) → a result. No file system access here: the
// build context comes in as a lazy function, so the fixture harness and the runner share this code.

import { ProtectedRegionError } from '../dockerfile/edit.js';
import { DockerfileSyntaxError, parseDockerfile } from '../dockerfile/parse.js';
import { releaseScripts } from '../shell/trees.js';
import { createApi, isSuppressedFor } from '../transform/api.js';
import type { ApiState, EmittedFile } from '../transform/api.js';
import type { BuildContext, DockerfileModel, Message, SourceFile, Transform } from '../types.js';

export interface ProcessInput {
  source: SourceFile;
  transforms: Transform[];
  options: Record<string, unknown>;
  /** Called only when a transform reads `api.context`. */
  context: () => BuildContext;
  /** Run the guard (re-parse + second pass). `--no-verify` turns it off for benchmarks. */
  verify: boolean;
  /** Absolute time (ms since epoch) after which the file is refused. */
  deadline?: number;
  /** A model of `source` already parsed by the caller. */
  model?: DockerfileModel;
}

export interface ProcessResult {
  status: 'changed' | 'unchanged' | 'skipped' | 'error';
  text: string;
  /** Transforms that changed the text or emitted files. */
  transforms: string[];
  messages: Message[];
  emitted: EmittedFile[];
}

/** Why a file was refused; the name is part of the message users see. */
export type RefusalKind = 'ParseError' | 'TransformError' | 'UnparseableOutput' | 'NotIdempotent' | 'TimeLimit';

class Refusal extends Error {
  constructor(readonly kind: RefusalKind, message: string, readonly line?: number, readonly transform?: string) {
    super(message);
  }
}

interface PassResult {
  text: string;
  model: DockerfileModel;
  changedBy: string[];
  /** Per transform, whether it changed the text (for naming the culprit in the second pass). */
  firstChange?: { transform: string; line: number };
  state: ApiState;
}

function firstDifferentLine(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  let line = 1;
  for (let k = 0; k < i; k++) if (a.charCodeAt(k) === 10) line++;
  return line;
}

async function withDeadline<T>(value: T | Promise<T>, deadline: number | undefined, what: string): Promise<T> {
  if (!(value instanceof Promise) || deadline === undefined) return value;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Refusal('TimeLimit', `time limit exceeded while ${what}`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([value, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Maps a line of `after` to the line of `before` it came from: lines in the unchanged head and tail map
 * exactly; lines inside the changed region map to its first line. Cheap, and exact for the single-region
 * changes transforms make; used so that every message's line refers to the file as it is on disk.
 */
export function lineMapper(before: string, after: string): (line: number) => number {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return (line) => {
    if (line <= head) return line;
    if (line > b.length - tail) return line - (b.length - a.length);
    return Math.min(head + 1, a.length);
  };
}

/** `pass` names the guard's re-run in time-limit messages, so a limit hit while checking is not blamed on the edit. */
async function runPass(model: DockerfileModel, input: ProcessInput, context: () => BuildContext, models: DockerfileModel[], pass = ''): Promise<PassResult> {
  const state: ApiState = { messages: [], emitted: [], skipped: false };
  const changedBy: string[] = [];
  let firstChange: PassResult['firstChange'];
  let current = model;
  let toOriginal = (line: number) => line;
  for (const t of input.transforms) {
    const name = t.meta.name;
    const messagesBefore = state.messages.length;
    const mapLines = () => {
      for (const m of state.messages.slice(messagesBefore)) if (m.line !== undefined) m.line = toOriginal(m.line);
    };
    if (input.deadline !== undefined && Date.now() > input.deadline) throw new Refusal('TimeLimit', `time limit exceeded before ${name} ran${pass}`);
    const api = createApi(current, name, context, state);
    const emittedBefore = state.emitted.length;
    let out: unknown;
    try {
      out = await withDeadline(t.fn({ path: current.source.path, source: current.source.text }, api, input.options), input.deadline, `${name} ran${pass}`);
    } catch (e) {
      if (e instanceof Refusal) throw e;
      if (e instanceof ProtectedRegionError || isContextRefusal(e)) {
        state.skipped = true;
        const m: Message = { transform: name, level: 'warning', message: `left alone: ${(e as { reason: string }).reason}` };
        if (e instanceof ProtectedRegionError) m.line = current.lineOf(e.span.start);
        state.messages.push(m);
        state.emitted.length = emittedBefore;
        mapLines();
        continue;
      }
      throw new Refusal('TransformError', `transform ${name} threw: ${(e as Error)?.message ?? String(e)}`, undefined, name);
    }
    // The timer above cannot fire while a transform keeps the thread busy (awaits that resolve at once); a result
    // that came too late is refused all the same, so the limit holds in the main thread too.
    if (input.deadline !== undefined && Date.now() > input.deadline) throw new Refusal('TimeLimit', `time limit exceeded while ${name} ran${pass}`);
    if (out !== undefined && out !== null && typeof out !== 'string') {
      throw new Refusal('TransformError', `transform ${name} returned ${typeof out}; expected a string, null or undefined`, undefined, name);
    }
    mapLines();
    if (state.emitted.length > emittedBefore && !changedBy.includes(name)) changedBy.push(name);
    if (typeof out !== 'string' || out === current.source.text) continue;
    const line = firstDifferentLine(current.source.text, out);
    const previous = toOriginal;
    const step = lineMapper(current.source.text, out);
    toOriginal = (l) => previous(step(l));
    let next: DockerfileModel;
    try {
      next = parseDockerfile({ ...current.source, text: out });
    } catch (e) {
      const why = e instanceof DockerfileSyntaxError ? e.message : String(e);
      // The line is one of the rejected output, not of the file on disk: it goes in the text, not in `line`.
      throw new Refusal('UnparseableOutput', `transform ${name} produced a Dockerfile that does not parse (${why}, near line ${line} of its output); original kept`, undefined, name);
    }
    firstChange ??= { transform: name, line };
    if (!changedBy.includes(name)) changedBy.push(name);
    models.push(next);
    current = next;
  }
  const result: PassResult = { text: current.source.text, model: current, changedBy, state };
  if (firstChange) result.firstChange = firstChange;
  return result;
}

/** The runner's ContextUnavailableError (kept structural so this module needs no runner import). */
function isContextRefusal(e: unknown): boolean {
  return e instanceof Error && e.name === 'ContextUnavailableError' && typeof (e as { reason?: unknown }).reason === 'string';
}

/** The context a second pass sees: the first pass's emitted files are already there. */
function overlay(base: () => BuildContext, emitted: EmittedFile[]): () => BuildContext {
  if (emitted.length === 0) return base;
  return () => {
    const ctx = base();
    const files = new Map(emitted.map((e) => [e.rel, e.content]));
    return {
      ...ctx,
      // Emitted files are usually dotfiles (.dockerignore) that globs do not select; a plain listing shows them.
      list: (glob?: string) => (glob ? ctx.list(glob) : [...new Set([...ctx.list(), ...files.keys()])].sort()),
      read: (rel: string) => (files.has(rel) ? files.get(rel) : ctx.read(rel)),
      exists: (rel: string) => files.has(rel) || ctx.exists(rel),
    };
  };
}

export async function processSource(input: ProcessInput): Promise<ProcessResult> {
  const original = input.source.text;
  const fail = (message: string, line?: number, transform?: string): ProcessResult => {
    const m: Message = { level: 'error', message };
    if (transform) m.transform = transform;
    if (line !== undefined) m.line = line;
    return { status: 'error', text: original, transforms: [], messages: [m], emitted: [] };
  };

  let model: DockerfileModel;
  try {
    model = input.model ?? parseDockerfile(input.source);
  } catch (e) {
    if (e instanceof DockerfileSyntaxError) return fail(e.message, e.line);
    return fail(`could not parse: ${(e as Error).message}`);
  }
  if (model.ignoreFile) {
    return { status: 'skipped', text: original, transforms: [], messages: [{ level: 'info', message: 'file skipped: "# dockshift-ignore-file"' }], emitted: [] };
  }

  const models = [model];
  let transformMayRun = false;
  let first: PassResult;
  try {
    first = await runPass(model, input, input.context, models);
    const changed = first.text !== original || first.state.emitted.length > 0;
    if (changed && input.verify) {
      const second = await runPass(first.model, input, overlay(input.context, first.state.emitted), models, ' again (the idempotency check on its result)');
      if (second.firstChange) {
        const { transform, line } = second.firstChange;
        throw new Refusal('NotIdempotent', `transform ${transform} is not idempotent: a second pass changes line ${line} of the result again; original kept`, undefined, transform);
      }
      const emittedNow = new Map(first.state.emitted.map((e) => [e.rel, e.content]));
      for (const e of second.state.emitted) {
        if (emittedNow.get(e.rel) !== e.content) {
          throw new Refusal('NotIdempotent', `transform ${e.transform} is not idempotent: a second pass writes ${e.rel} differently; original kept`, undefined, e.transform);
        }
      }
    }
  } catch (e) {
    if (e instanceof Refusal) {
      transformMayRun = e.kind === 'TimeLimit';
      return fail(`${e.kind}: ${e.message}`, e.line, e.transform);
    }
    throw e;
  } finally {
    // The shell syntax trees read for this file's models live in WebAssembly memory until released — but not
    // while a transform stopped at the time limit may still be running on them (they are left allocated).
    if (!transformMayRun) for (const m of models) releaseScripts(m);
  }

  const messages = [...first.state.messages];
  for (const [index, names] of model.suppressions) {
    const ins = model.instructions[index]!;
    const hit = input.transforms.filter((t) => isSuppressedFor(model, ins, t.meta.name)).map((t) => t.meta.name);
    if (hit.length) messages.push({ level: 'info', message: `instruction left alone for ${hit.join(', ')} ("# dockshift-ignore${names.has('*') ? '' : ' ' + [...names].join(',')}")`, line: ins.startLine });
  }
  messages.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const status = first.text !== original ? 'changed' : first.state.skipped ? 'skipped' : 'unchanged';
  return { status, text: first.text, transforms: first.changedBy, messages, emitted: first.state.emitted };
}
