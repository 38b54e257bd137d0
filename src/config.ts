// The config file: `dockshift.config.json`, `dockshift.config.mjs`, or a "dockshift" key in package.json,
// found by walking up from the current directory (or named with --config). Paths in it are relative to the
// file's directory. Unknown keys are an error that names them.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './errors.js';

export interface DockshiftConfig {
  /** Transforms to run when no -t is given (names or module paths). */
  transforms?: string[];
  /** Options for the transforms (CLI options override them). */
  options?: Record<string, unknown>;
  /** Dockerfile path → build context directory; these win over compose and bake files. */
  contexts?: Record<string, string>;
  /** Globs of Dockerfile paths to leave out of discovery. */
  ignore?: string[];
}

export interface LoadedConfig {
  file: string;
  dir: string;
  config: DockshiftConfig;
}

const KNOWN_KEYS = ['transforms', 'options', 'contexts', 'ignore'] as const;
const CONFIG_FILES = ['dockshift.config.json', 'dockshift.config.mjs'];

export function validateConfig(raw: unknown, file: string): DockshiftConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${file}: the configuration must be an object`);
  const obj = raw as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !(KNOWN_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new UsageError(`${file}: unknown configuration key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${KNOWN_KEYS.join(', ')})`);
  const stringArray = (k: string) => {
    const v = obj[k];
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw new UsageError(`${file}: "${k}" must be an array of strings`);
  };
  const record = (k: string, values?: 'string') => {
    const v = obj[k];
    if (v === undefined) return;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${file}: "${k}" must be an object`);
    if (values && !Object.values(v).every((x) => typeof x === values)) throw new UsageError(`${file}: every value of "${k}" must be a ${values}`);
  };
  stringArray('transforms');
  stringArray('ignore');
  record('options');
  record('contexts', 'string');
  return obj as DockshiftConfig;
}

async function readConfig(file: string): Promise<unknown> {
  try {
    if (file.endsWith('.mjs')) return ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return path.basename(file) === 'package.json' ? data.dockshift : data;
  } catch (e) {
    throw new UsageError(`could not read ${file}: ${(e as Error).message}`);
  }
}

function hasDockshiftKey(pkg: string): boolean {
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as Record<string, unknown>).dockshift !== undefined;
  } catch {
    return false;
  }
}

/** The nearest config file from `cwd` upwards, or the one named; undefined when there is none. */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig | undefined> {
  let file: string | undefined;
  if (explicit) {
    file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new UsageError(`config file not found: ${explicit}`);
  } else {
    for (let dir = path.resolve(cwd); !file; dir = path.dirname(dir)) {
      file = CONFIG_FILES.map((n) => path.join(dir, n)).find((f) => existsSync(f));
      const pkg = path.join(dir, 'package.json');
      if (!file && existsSync(pkg) && hasDockshiftKey(pkg)) file = pkg;
      if (path.dirname(dir) === dir) break;
    }
    if (!file) return undefined;
  }
  const config = validateConfig(await readConfig(file), path.relative(cwd, file) || file);
  return { file, dir: path.dirname(file), config };
}

/** Transform specs from a config: module paths are relative to the config's directory. */
export function configTransforms(loaded: LoadedConfig): string[] | undefined {
  return loaded.config.transforms?.map((t) => (/^\.{1,2}\/|\.(m?js|cjs|m?ts|cts)$/.test(t) ? path.resolve(loaded.dir, t) : t));
}
