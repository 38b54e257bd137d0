// The registry of built-in transforms, in the fixed order they run when no `-t` is given.
// Each module exports `meta` and a default transform function; loading is lazy so that a run pays only for
// the transforms it uses.

import type { TransformFn, TransformMeta } from '../src/types.js';

export interface TransformModule {
  meta: TransformMeta;
  default: TransformFn;
}

export const BUILTIN_TRANSFORMS: Record<string, () => Promise<TransformModule>> = {
  'syntax-directive': () => import('./syntax-directive.js') as Promise<TransformModule>,
  'cache-id-platform': () => import('./cache-id-platform.js') as Promise<TransformModule>,
  'manifest-first': () => import('./manifest-first.js') as Promise<TransformModule>,
  'files-stage': () => import('./files-stage.js') as Promise<TransformModule>,
  'dockerignore-allowlist': () => import('./dockerignore-allowlist.js') as Promise<TransformModule>,
  'cache-mounts': () => import('./cache-mounts.js') as Promise<TransformModule>,
  'cache-mount-pitfalls': () => import('./cache-mount-pitfalls.js') as Promise<TransformModule>,
};

export const BUILTIN_ORDER = Object.keys(BUILTIN_TRANSFORMS);

/**
 * The built-ins whose `meta.recommended` is true, in run order — kept here so that a default run loads only
 * these modules (meta.test checks that this list and the modules' meta agree).
 */
export const RECOMMENDED = ['syntax-directive', 'cache-id-platform'];
