// One discovered file, start to finish (read → process → outcome), in whatever thread runs it. The result is
// plain data, so a worker thread can send it back as is.

import { lstatSync } from 'node:fs';
import path from 'node:path';
import { fsContext } from '../context/build-context.js';
import type { ContextListingCache } from '../context/build-context.js';
import type { DiscoveredFile } from '../context/discover.js';
import { defaultContext } from '../context/resolve.js';
import type { ContextLocation } from '../context/resolve.js';
import { readSource } from '../dockerfile/read.js';
import type { Outcome, Transform } from '../types.js';
import { processSource } from './process.js';

export interface FileSettings {
  cwd: string;
  transforms: Transform[];
  transformOptions: Record<string, unknown>;
  verify: boolean;
  timeLimitMs: number;
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
  const locate = () => (location ??= defaultContext(file.abs));
  const result = await processSource({
    source: read.source,
    transforms: settings.transforms,
    options: settings.transformOptions,
    context: () => fsContext(locate().root, file.abs, locate().origin, listings),
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
  if (location || result.emitted.length) outcome.context = { path: toPosix(path.relative(settings.cwd, locate().root)) || '.', origin: locate().origin };
  for (const e of result.emitted) {
    const abs = path.resolve(locate().root, e.rel);
    emitted.push({ abs, rel: toPosix(path.relative(settings.cwd, abs)), content: e.content, transform: e.transform });
  }
  return { outcome, emitted };
}
