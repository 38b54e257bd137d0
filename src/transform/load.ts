// Turns `-t` values into Transform objects: built-in names from the registry, or paths to modules
// (.js, .mjs, .cjs, .ts). `.ts` modules go through jiti, loaded only when one is asked for.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILTIN_ORDER, BUILTIN_TRANSFORMS, RECOMMENDED } from '../../transforms/index.js';
import { UsageError } from '../errors.js';
import type { Transform, TransformFn, TransformMeta } from '../types.js';

const MODULE_EXT = /\.(m?js|cjs|m?ts|cts)$/;

/** `-t a,b -t c` → ['a', 'b', 'c']; none → the recommended built-ins in their documented order. */
export async function resolveTransforms(specs: string[] | undefined, cwd: string): Promise<Transform[]> {
  const names = (specs ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return loadRecommended();
  const out: Transform[] = [];
  for (const name of names) out.push(await loadTransform(name, cwd));
  return out;
}

export async function loadRecommended(): Promise<Transform[]> {
  return Promise.all(RECOMMENDED.map((n) => loadBuiltin(n)));
}

export async function loadBuiltins(): Promise<Transform[]> {
  return Promise.all(BUILTIN_ORDER.map((n) => loadBuiltin(n)));
}

async function loadBuiltin(name: string): Promise<Transform> {
  const mod = await BUILTIN_TRANSFORMS[name]!();
  return { meta: mod.meta, fn: mod.default, origin: name };
}

export async function loadTransform(spec: string, cwd: string): Promise<Transform> {
  if (Object.hasOwn(BUILTIN_TRANSFORMS, spec)) return loadBuiltin(spec);
  const looksLikePath = MODULE_EXT.test(spec) || spec.includes('/') || spec.includes(path.sep);
  if (!looksLikePath) {
    throw new UsageError(`unknown transform "${spec}" (built-ins: ${BUILTIN_ORDER.join(', ')}; or give a path to a .js, .mjs, .cjs or .ts module)`);
  }
  const abs = path.resolve(cwd, spec);
  if (!existsSync(abs)) throw new UsageError(`transform module not found: ${spec}`);
  let mod: Record<string, unknown>;
  try {
    mod = /\.[mc]?ts$/.test(abs) ? await importTypeScript(abs) : ((await import(pathToFileURL(abs).href)) as Record<string, unknown>);
  } catch (e) {
    throw new UsageError(`could not load transform ${spec}: ${(e as Error).message}`);
  }
  return fromModule(mod, abs);
}

async function importTypeScript(abs: string): Promise<Record<string, unknown>> {
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { interopDefault: false, moduleCache: false });
  return (await jiti.import(abs)) as Record<string, unknown>;
}

/** Accepts ESM `export default fn`, CommonJS `module.exports = fn` (with `fn.meta`), or a named `transform`. */
function fromModule(mod: Record<string, unknown>, abs: string): Transform {
  let fn: unknown = mod.default;
  let meta: unknown = mod.meta;
  if (fn && typeof fn === 'object') {
    // CommonJS through import(): default is module.exports.
    const cjs = fn as Record<string, unknown>;
    meta ??= cjs.meta;
    fn = typeof cjs.default === 'function' ? cjs.default : cjs.transform;
  }
  if (typeof fn !== 'function' && typeof mod.transform === 'function') fn = mod.transform;
  if (typeof fn !== 'function') throw new UsageError(`transform module ${abs} has no default export function (export default function transform(file, api, options) { … })`);
  meta ??= (fn as { meta?: unknown }).meta;
  const base = path.basename(abs).replace(MODULE_EXT, '');
  const m = (meta && typeof meta === 'object' ? meta : {}) as Partial<TransformMeta>;
  return {
    meta: { ...m, name: m.name ?? base, description: m.description ?? `custom transform ${base}` },
    fn: fn as TransformFn,
    origin: abs,
  };
}
