// `transformSource`: the pipeline for one text in memory — for editors, bots and tests that hold the
// Dockerfile themselves. Same guard as the CLI.

import { memoryContext } from '../context/build-context.js';
import { sourceFromText } from '../dockerfile/parse.js';
import { loadTransform } from '../transform/load.js';
import type { BuildContext, Transform } from '../types.js';
import { processSource } from './process.js';
import type { ProcessResult } from './process.js';

export interface TransformSourceOptions {
  /** Shown in messages; also the Dockerfile's name in an in-memory context (default `Dockerfile`). */
  path?: string;
  /** Options for the transforms (as CLI options would give them, camelCased). */
  options?: Record<string, unknown>;
  /** The build context: files as a map (relative path → content), or a BuildContext. Default: empty. */
  context?: Record<string, string> | BuildContext;
  /** The guard (re-parse + second pass); default true. */
  verify?: boolean;
  /** Where relative transform module paths are resolved (default: process.cwd()). */
  cwd?: string;
}

/**
 * Runs transforms (built-in names, module paths, or Transform objects) over a Dockerfile text.
 * Resolves to `{ status, text, transforms, messages, emitted }`; never throws for bad Dockerfiles (status `error`).
 */
export async function transformSource(text: string, transforms: (string | Transform)[], opts: TransformSourceOptions = {}): Promise<ProcessResult> {
  const loaded = await Promise.all(transforms.map((t) => (typeof t === 'string' ? loadTransform(t, opts.cwd ?? process.cwd()) : t)));
  const name = opts.path ?? 'Dockerfile';
  const ctx = opts.context;
  const context = (): BuildContext => (ctx && typeof (ctx as BuildContext).list === 'function' ? (ctx as BuildContext) : memoryContext((ctx as Record<string, string>) ?? {}, name));
  return processSource({ source: sourceFromText(text, name), transforms: loaded, options: opts.options ?? {}, context, verify: opts.verify ?? true });
}
