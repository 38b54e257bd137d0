// The whole run: discover → read → process each file → collect emitted files → (write). Files are independent:
// one that fails is an `error` outcome and the others go on.

import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fsContext } from '../context/build-context.js';
import type { ContextListingCache } from '../context/build-context.js';
import { discover } from '../context/discover.js';
import { defaultContext } from '../context/resolve.js';
import type { ContextLocation } from '../context/resolve.js';
import { readSource } from '../dockerfile/read.js';
import type { Outcome, RunResult, Totals, Transform } from '../types.js';
import { processSource } from './process.js';
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
  /** Called after each Dockerfile is processed. */
  onFile?: (outcome: Outcome, done: number, total: number) => void;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

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

  const listings: ContextListingCache = new Map();
  const generated = new Map<string, Generated>();
  let done = 0;
  for (const file of found.files) {
    const outcome: Outcome = { path: file.rel, absPath: file.abs, kind: 'dockerfile', status: 'unchanged', transforms: [], messages: [] };
    outcomes.push(outcome);
    const read = readSource(file.abs, file.rel);
    if (!read.ok) {
      outcome.status = 'error';
      outcome.messages.push({ level: 'error', message: read.error });
    } else {
      outcome.before = read.source.text;
      outcome.mode = read.mode;
      let location: ContextLocation | undefined;
      const locate = () => (location ??= defaultContext(file.abs));
      const result = await processSource({
        source: read.source,
        transforms: opts.transforms,
        options: opts.transformOptions ?? {},
        context: () => fsContext(locate().root, file.abs, locate().origin, listings),
        verify,
        deadline: Date.now() + timeLimit,
      });
      outcome.status = result.status;
      outcome.transforms = result.transforms;
      outcome.messages = result.messages;
      if (result.status === 'changed') outcome.after = result.text;
      if (result.status === 'changed' && isSymlink(file.abs)) {
        // Dry run, --check and --write must agree, and a change is never written through a link.
        outcome.status = 'skipped';
        delete outcome.after;
        outcome.messages.push({ level: 'warning', message: 'is a symbolic link: changes are not made through links; run dockshift on the file it points to' });
      }
      if (location || result.emitted.length) outcome.context = { path: toPosix(path.relative(cwd, locate().root)) || '.', origin: locate().origin };
      for (const e of result.emitted) {
        const abs = path.resolve(locate().root, e.rel);
        collectEmitted(generated, outcomes, abs, toPosix(path.relative(cwd, abs)), e.content, e.transform, file.rel);
      }
    }
    done++;
    opts.onFile?.(outcome, done, found.files.length);
  }

  if (opts.write) await writeOutcomes(outcomes);
  return { outcomes, totals: countTotals(outcomes), elapsed: performance.now() - started };
}

function isSymlink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
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
