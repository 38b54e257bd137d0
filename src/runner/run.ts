// The whole run: discover → read → process each file → collect emitted files → (write). Files are independent:
// one that fails is an `error` outcome and the others go on.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { ContextListingCache } from '../context/build-context.js';
import { globToRegExp } from '../context/build-context.js';
import { findDefinitions, locateContext } from '../context/build-defs.js';
import type { ContextLocation } from '../context/build-defs.js';
import { discover } from '../context/discover.js';
import type { DiscoveredFile } from '../context/discover.js';
import type { LoadedConfig } from '../config.js';
import type { Outcome, RunResult, Totals, Transform } from '../types.js';
import { BUILTIN_TRANSFORMS } from '../../transforms/index.js';
import { processFile, toPosix } from './file.js';
import type { FileSettings, FileWork } from './file.js';
import { writeOutcomes } from './write.js';

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
  /** Called after each Dockerfile is processed (in completion order). */
  onFile?: (outcome: Outcome, done: number, total: number) => void;
}


export function emptyTotals(): Totals {
  return { scanned: 0, changed: 0, created: 0, unchanged: 0, skipped: 0, errors: 0 };
}

export function countTotals(outcomes: Outcome[]): Totals {
  const t = emptyTotals();
  for (const o of outcomes) {
    if (o.kind === 'dockerfile') t.scanned++;
    if (o.status === 'changed') t.changed++;
    else if (o.status === 'created') t.created++;
    else if (o.status === 'unchanged') t.unchanged++;
    else if (o.status === 'skipped') t.skipped++;
    else t.errors++;
  }
  return t;
}

interface Generated {
  outcome: Outcome;
  content: string;
  from: string;
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const verify = opts.verify ?? true;
  const timeLimit = opts.timeLimitMs ?? 10_000;
  const found = discover(opts.paths?.length ? opts.paths : ['.'], cwd);
  const outcomes: Outcome[] = [];
  for (const e of found.errors) {
    outcomes.push({ path: toPosix(e.path), absPath: path.resolve(cwd, e.path), kind: 'dockerfile', status: 'error', transforms: [], messages: [{ level: 'error', message: e.error }] });
  }

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
  // Compose/bake/config contexts matter only to transforms that read the context (or might: custom ones).
  if (opts.transforms.some((t) => t.meta.readsContext || !Object.hasOwn(BUILTIN_TRANSFORMS, t.origin))) {
    settings.contexts = await resolveContexts(files.map((f) => f.abs), cwd, opts.config, warnings);
  }
  const work: FileWork[] = new Array<FileWork>(files.length);
  let done = 0;
  const record = (index: number, w: FileWork) => {
    work[index] = w;
    opts.onFile?.(w.outcome, ++done, files.length);
  };
  const jobs = chooseJobs(opts.jobs ?? 'auto', files.length);
  const origins = transferableOrigins(opts.transforms);
  // Untrusted code (custom transforms) always runs under the watchdog; built-ins are linear-time and run
  // in-process unless parallelism pays.
  const custom = opts.transforms.some((t) => !Object.hasOwn(BUILTIN_TRANSFORMS, t.origin));
  if (origins && files.length > 0 && (jobs > 1 || custom)) {
    const { runInPool } = await import('./pool.js');
    const { transforms: _omit, ...rest } = settings;
    await runInPool(files, { origins, settings: rest }, jobs, record);
  } else {
    const listings: ContextListingCache = new Map();
    for (let i = 0; i < files.length; i++) record(i, await processFile(files[i]!, settings, listings));
  }

  const generated = new Map<string, Generated>();
  for (const w of work) {
    outcomes.push(w.outcome);
    for (const e of w.emitted) collectEmitted(generated, outcomes, e.abs, e.rel, e.content, e.transform, w.outcome.path);
  }

  if (opts.write) await writeOutcomes(outcomes);
  const result: RunResult = { outcomes, totals: countTotals(outcomes), elapsed: performance.now() - started };
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

export function chooseJobs(jobs: number | 'auto', files: number): number {
  if (jobs !== 'auto') return Math.max(1, Math.floor(jobs));
  const cores = availableParallelism();
  if (cores < MIN_CORES_FOR_THREADS) return 1;
  return Math.max(1, Math.min(cores - 1, 4, Math.floor(files / FILES_PER_WORKER)));
}

/** Workers load transforms again by origin; that works for built-ins and module files, not for in-memory ones. */
function transferableOrigins(transforms: Transform[]): string[] | undefined {
  const origins = transforms.map((t) => t.origin);
  return origins.every((o) => Object.hasOwn(BUILTIN_TRANSFORMS, o) || (path.isAbsolute(o) && existsSync(o))) ? origins : undefined;
}

/** One outcome per generated file, placed after the first Dockerfile that emitted it; differing contents are an error. */
function collectEmitted(generated: Map<string, Generated>, outcomes: Outcome[], abs: string, rel: string, content: string, transform: string, from: string): void {
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
  if (before === undefined) {
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
  outcomes.push(outcome);
}
