// Which build context a Dockerfile has. By default: the Dockerfile's own directory (CONTRACT.md). Compose,
// bake and config-file contexts plug in here.

import path from 'node:path';

export interface ContextLocation {
  /** Absolute directory. */
  root: string;
  origin: 'directory' | 'compose' | 'bake' | 'config';
}

export function defaultContext(dockerfileAbs: string): ContextLocation {
  return { root: path.dirname(dockerfileAbs), origin: 'directory' };
}
