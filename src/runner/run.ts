// The whole run: discover → read → process each file → (write) → hand the outcome on → collect emitted files.
// Files are independent: one that fails is an `error` outcome and the others go on.
//
// Outcomes are handed on in report order (discovery errors, then the Dockerfiles in discovery order, then the
// files that transforms generate) as soon as each one and all before it are final, so a caller that prints them
// as they come (the CLI) and does not keep them needs memory for a window of files, not for the whole tree.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ContextListingCache } from '../context/build-context.js';
import { globToRegExp } from '../context/build-context.js';
import type { ContextLocation } from '../context/build-defs.js';
import { discover } from '../context/discover.js';
import type { DiscoveredFile } from '../context/discover.js';
import type { LoadedConfig } from '../config.js';
import type { Outcome, RunResult, Totals, Transform } from '../types.js';
import { BUILTIN_TRANSFORMS } from '../../transforms/index.js';
import { processFile, toPosix } from './file.js';
import type { FileSettings, FileWork } from './file.js';
import type { Writer } from './write.js';

export interface RunOptions {
  /** Files or directories (default `.`). */
  paths?: string[];
  cwd?: string;
  transforms: Transform[];
  /** Passed to every transform as `options`. */
  transformOptions?: Record<string, unknown>;
  /** Write changes in place (default: dry run). */
  write?: boolean;
  /** The guard (re-parse, second pass); default true. */
  verify?: boolean;
  /** Per-file time limit in ms (default 10 s). */
  timeLimitMs?: number;
  /** A loaded config file: its `ignore` globs and `contexts` apply (transforms/options are the caller's to merge). */
  config?: LoadedConfig;
  /** Worker threads: a number, or 'auto' (default: one thread below 4 cores; else one per 1000 files, at most 4). */
  jobs?: number | 'auto';
  /** Called after each Dockerfile is processed (in completion order), e.g. for a progress line. */
  onFile?: (outcome: Outcome, done: number, total: number) => void;
  /**
   * Called once per outcome, in report order: discovery errors, then the Dockerfiles in discovery order, then the
   * generated files (after every Dockerfile, since several may write to one). Each comes as soon as it and every
   * outcome before it are final — with `write`, after it was written (or refused). A returned promise is awaited
   * before the next outcome is handed on (backpressure for a slow consumer).
   */
  onOutcome?: (outcome: Outcome) => void | Promise<void>;
  /**
   * What `RunResult.outcomes` keeps: `full` (the default) every outcome with its `before`/`after` texts;
   * `compact` every outcome without the texts (they are dropped once `onOutcome` has returned); `none` no
   * outcome at all (the totals are still counted) — for callers that consume `onOutcome`, so that memory does not
   * grow with the tree.
   */
  keep?: 'full' | 'compact' | 'none';
  /** Called with each warning (also in RunResult.warnings) as soon as it is known, before any outcome. */
  onWarning?: (warning: string) => void;
}


export function emptyTotals(): Totals {
  return { scanned: 0, changed: 0, created: 0, unchanged: 0, skipped: 0, errors: 0 };
}

export function countTotals(outcomes: Outcome[]): Totals {
  const t = emptyTotals();
  for (const o of outcomes) addToTotals(t, o);
  return t;
}

function addToTotals(t: Totals, o: Outcome): void {
  if (o.kind === 'dockerfile') t.scanned++;
  if (o.status === 'changed') t.changed++;
  else if (o.status === 'created') t.created++;
  else if (o.status === 'unchanged') t.unchanged++;
  else if (o.status === 'skipped') t.skipped++;
  else t.errors++;
}

interface Generated {
  outcome: Outcome;
  content: string;
  from: string;
}

/**
 * How far the worker pool may run ahead of the first file not yet handed on: results that arrive out of order
 * wait in memory, so a slow file (up to the time limit) holds back at most this many others.
 */
const REORDER_WINDOW = 256;

// Start-up matters for one-file runs: what only some runs need (build definitions, writing, the worker pool, the
// core count, even the `performance` global, which loads perf_hooks) is loaded when a run needs it.

export async function run(opts: RunOptions): Promise<RunResult> {
  const started = process.hrtime.bigint();
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const verify = opts.verify ?? true;
  const timeLimit = opts.timeLimitMs ?? 10_000;
  const keep = opts.keep ?? 'full';
  const found = discover(opts.paths?.length ? opts.paths : ['.'], cwd);
  const outcomes: Outcome[] = [];
  const totals = emptyTotals();
  const writer: Writer | undefined = opts.write ? new (await import('./write.js')).Writer() : undefined;
  /** The last step of every outcome, in report order. */
  const deliver = async (o: Outcome): Promise<void> => {
    await writer?.write(o);
    addToTotals(totals, o);
    await opts.onOutcome?.(o);
    if (keep === 'none') return;
    if (keep === 'compact') {
      delete o.before;
      delete o.after;
    }
    outcomes.push(o);
  };

  const settings: FileSettings = { cwd, transforms: opts.transforms, transformOptions: opts.transformOptions ?? {}, verify, timeLimitMs: timeLimit };
  const files = filterIgnored(found.files, opts.config);
  const warnings: string[] = [];
  // Nothing is silent: a directory that yields no Dockerfile at all is said so (often it is .gitignore'd).
  for (const p of opts.paths ?? []) {
    const abs = path.resolve(cwd, p);
    if (!found.errors.some((e) => e.path === p) && isDirectory(abs) && !files.some((f) => f.abs === abs || f.abs.startsWith(abs + path.sep))) {
      warnings.push(`${p}: no Dockerfiles found (.git, node_modules, paths ignored by .gitignore or the config are skipped; name a file to process it anyway)`);
    }
  }
  // Compose/bake/devcontainer/config contexts matter only to transforms that read the context (or might: custom ones).
  if (opts.transforms.some((t) => t.meta.readsContext || !Object.hasOwn(BUILTIN_TRANSFORMS, t.origin))) {
    settings.contexts = await resolveContexts(files.map((f) => f.abs), cwd, opts.config, warnings);
  }
  for (const w of warnings) opts.onWarning?.(w);
  for (const e of found.errors) {
    await deliver({ path: toPosix(e.path), absPath: path.resolve(cwd, e.path), kind: 'dockerfile', status: 'error', transforms: [], messages: [{ level: 'error', message: e.error }] });
  }

  const generated = new Map<string, Generated>();
  // A transform may emit onto a Dockerfile of this run; if that one changes too, there are two writers.
  const changed = new Uint8Array(files.length);
  let indexOf: Map<string, number> | undefined;
  const changedInRun = (abs: string) => {
    indexOf ??= new Map(files.map((f, i) => [f.abs, i]));
    const i = indexOf.get(abs);
    return i !== undefined && changed[i] === 1;
  };
  const settle = async (index: number, w: FileWork): Promise<void> => {
    if (w.outcome.status === 'changed') changed[index] = 1;
    for (const e of w.emitted) collectEmitted(generated, e.abs, e.rel, e.content, e.transform, w.outcome.path, changedInRun);
    await deliver(w.outcome);
  };

  let done = 0;
  const jobs = chooseJobs(opts.jobs ?? 'auto', files.length, files.length < FILES_PER_WORKER ? 1 : (await import('node:os')).availableParallelism());
  const origins = transferableOrigins(opts.transforms);
  // Untrusted code (custom transforms) always runs under the watchdog; built-ins are linear-time and run
  // in-process unless parallelism pays.
  const custom = opts.transforms.some((t) => !Object.hasOwn(BUILTIN_TRANSFORMS, t.origin));
  if (origins && files.length > 0 && (jobs > 1 || custom)) {
    const { runInPool } = await import('./pool.js');
    const { transforms: _omit, ...rest } = settings;
    // Results arrive in completion order; each waits here until every file before it has been handed on.
    const waiting = new Map<number, FileWork>();
    let next = 0;
    let failure: { error: unknown } | undefined;
    let draining: Promise<void> = Promise.resolve();
    let wake = () => {};
    const drain = async () => {
      for (let w = waiting.get(next); w && !failure; w = waiting.get(next)) {
        waiting.delete(next);
        try {
          await settle(next++, w);
        } catch (error) {
          failure = { error };
        }
        wake();
      }
    };
    await runInPool(
      files,
      { origins, settings: rest },
      jobs,
      (index, w) => {
        opts.onFile?.(w.outcome, ++done, files.length);
        if (failure) return; // the run is failing: nothing more is handed on, so nothing need wait
        waiting.set(index, w);
        if (index === next) draining = draining.then(drain);
      },
      {
        mayStart: (index) => index < next + REORDER_WINDOW || !!failure,
        onWake: (fn) => (wake = fn),
      },
    );
    await draining;
    if (failure) throw failure.error;
  } else {
    const listings: ContextListingCache = new Map();
    for (let i = 0; i < files.length; i++) {
      const w = await processFile(files[i]!, settings, listings);
      opts.onFile?.(w.outcome, ++done, files.length);
      await settle(i, w);
    }
  }

  // A generated file is final only when every Dockerfile that may write it is done.
  for (const g of generated.values()) await deliver(g.outcome);
  const result: RunResult = { outcomes, totals, elapsed: Number(process.hrtime.bigint() - started) / 1e6 };
  if (warnings.length) result.warnings = warnings;
  return result;
}

function isDirectory(abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

function filterIgnored(files: DiscoveredFile[], config: LoadedConfig | undefined): DiscoveredFile[] {
  const globs = config?.config.ignore ?? [];
  if (globs.length === 0) return files;
  const res = globs.map((g) => globToRegExp(g.replace(/^\.\//, '')));
  return files.filter((f) => !res.some((re) => re.test(toPosix(path.relative(config!.dir, f.abs)))));
}

async function resolveContexts(dockerfiles: string[], cwd: string, config: LoadedConfig | undefined, warnings: string[]): Promise<Record<string, ContextLocation>> {
  const { findDefinitions, locateContext } = await import('../context/build-defs.js');
  const { definitions, problems } = await findDefinitions(dockerfiles, cwd);
  for (const p of problems) warnings.push(`${toPosix(path.relative(cwd, p.file))}: ${p.message}`);
  const configured = new Map<string, { root: string; definedIn: string }>();
  for (const [dockerfile, context] of Object.entries(config?.config.contexts ?? {})) {
    configured.set(path.resolve(config!.dir, dockerfile), { root: path.resolve(config!.dir, context), definedIn: config!.file });
  }
  const out: Record<string, ContextLocation> = {};
  for (const f of dockerfiles) {
    const loc = locateContext(f, definitions, configured);
    if (loc.origin !== 'directory') out[f] = loc;
  }
  return out;
}

/**
 * Measured with npm run bench (3000 files): on 2 cores a pool is slower than one thread (the main thread's
 * discovery and the message copies eat the gain), so auto uses threads only from 4 cores and 1000 files.
 */
const FILES_PER_WORKER = 1000;
const MIN_CORES_FOR_THREADS = 4;

export function chooseJobs(jobs: number | 'auto', files: number, cores: number): number {
  if (jobs !== 'auto') return Math.max(1, Math.floor(jobs));
  if (cores < MIN_CORES_FOR_THREADS) return 1;
  return Math.max(1, Math.min(cores - 1, 4, Math.floor(files / FILES_PER_WORKER)));
}

/** Workers load transforms again by origin; that works for built-ins and module files, not for in-memory ones. */
function transferableOrigins(transforms: Transform[]): string[] | undefined {
  const origins = transforms.map((t) => t.origin);
  return origins.every((o) => Object.hasOwn(BUILTIN_TRANSFORMS, o) || (path.isAbsolute(o) && existsSync(o))) ? origins : undefined;
}

/**
 * One outcome per generated file, reported after all Dockerfiles in the order of first emission; differing
 * contents are an error. Its `before` is read when it is first emitted, and --write refuses it if the file has
 * changed since.
 */
function collectEmitted(generated: Map<string, Generated>, abs: string, rel: string, content: string, transform: string, from: string, changedInRun: (abs: string) => boolean): void {
  const seen = generated.get(abs);
  if (seen) {
    if (!seen.outcome.transforms.includes(transform)) seen.outcome.transforms.push(transform);
    if (seen.content !== content && seen.outcome.status !== 'error') {
      seen.outcome.status = 'error';
      delete seen.outcome.after;
      seen.outcome.messages.push({ level: 'error', transform, message: `${from} and ${seen.from} want different contents for this file; not written` });
    }
    return;
  }
  let before: string | undefined;
  try {
    before = readFileSync(abs, 'utf8');
  } catch {
    before = undefined;
  }
  const outcome: Outcome = { path: rel, absPath: abs, kind: 'generated', status: 'unchanged', transforms: [transform], messages: [] };
  if (changedInRun(abs)) {
    // Already handed on (with --write, written): `before` would be the new text, and the check before writing
    // could not see the conflict. A Dockerfile that changes later is caught by that check, as any change on disk.
    outcome.status = 'error';
    outcome.messages.push({ level: 'error', transform, message: `${from} wants to write a Dockerfile that this run also changes; not written` });
  } else if (before === undefined) {
    outcome.status = 'created';
    outcome.after = content;
  } else {
    outcome.before = before;
    if (before !== content) {
      outcome.status = 'changed';
      outcome.after = content;
    }
  }
  generated.set(abs, { outcome, content, from });
}
