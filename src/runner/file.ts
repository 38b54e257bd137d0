// One discovered file, start to finish (read → process → outcome), in whatever thread runs it. The result is
// plain data, so a worker thread can send it back as is.

import { lstatSync } from 'node:fs';
import path from 'node:path';
import { fsContext } from '../context/build-context.js';
import type { ContextListingCache } from '../context/build-context.js';
import type { DiscoveredFile } from '../context/discover.js';
import type { ContextLocation } from '../context/build-defs.js';
import { readSource } from '../dockerfile/read.js';
import type { Outcome, Transform } from '../types.js';
import { processSource } from './process.js';

export interface FileSettings {
  cwd: string;
  transforms: Transform[];
  transformOptions: Record<string, unknown>;
  verify: boolean;
  timeLimitMs: number;
  /** Build contexts that are not the Dockerfile's own directory (compose, bake, config), by absolute path. */
  contexts?: Record<string, ContextLocation>;
}

/** A transform asked for a build context that cannot be determined; it is left alone for this file. */
export class ContextUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ContextUnavailableError';
  }
}

export interface EmittedAbs {
  abs: string;
  /** Relative to cwd, `/` separators. */
  rel: string;
  content: string;
  transform: string;
}

export interface FileWork {
  outcome: Outcome;
  emitted: EmittedAbs[];
}

export const toPosix = (p: string) => p.split(path.sep).join('/');

function isSymlink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
}

export async function processFile(file: DiscoveredFile, settings: FileSettings, listings: ContextListingCache): Promise<FileWork> {
  const outcome: Outcome = { path: file.rel, absPath: file.abs, kind: 'dockerfile', status: 'unchanged', transforms: [], messages: [] };
  const emitted: EmittedAbs[] = [];
  const read = readSource(file.abs, file.rel);
  if (!read.ok) {
    outcome.status = 'error';
    outcome.messages.push({ level: 'error', message: read.error });
    return { outcome, emitted };
  }
  outcome.before = read.source.text;
  outcome.mode = read.mode;
  let location: ContextLocation | undefined;
  const locate = () => (location ??= settings.contexts?.[file.abs] ?? { root: path.dirname(file.abs), origin: 'directory' });
  const openContext = () => {
    const loc = locate();
    if (loc.conflicts?.length) {
      const where = [{ root: loc.root, definedIn: loc.definedIn ?? '' }, ...loc.conflicts].map((c) => `${toPosix(path.relative(settings.cwd, c.root)) || '.'} (${toPosix(path.relative(settings.cwd, c.definedIn))})`);
      throw new ContextUnavailableError(`the build context is ambiguous: ${where.join(' or ')}; set it in dockshift.config.json "contexts"`);
    }
    return fsContext(loc.root, file.abs, loc.origin, listings);
  };
  const result = await processSource({
    source: read.source,
    transforms: settings.transforms,
    options: settings.transformOptions,
    context: openContext,
    verify: settings.verify,
    deadline: Date.now() + settings.timeLimitMs,
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
  if (location || result.emitted.length) {
    const loc = locate();
    outcome.context = { path: toPosix(path.relative(settings.cwd, loc.root)) || '.', origin: loc.origin };
    if (loc.definedIn) outcome.context.definedIn = toPosix(path.relative(settings.cwd, loc.definedIn));
  }
  for (const e of result.emitted) {
    const abs = path.resolve(locate().root, e.rel);
    emitted.push({ abs, rel: toPosix(path.relative(settings.cwd, abs)), content: e.content, transform: e.transform });
  }
  return { outcome, emitted };
}
