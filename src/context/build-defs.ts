// Build contexts from the repository's own build definitions: Compose files (`build: <path>` or
// `build.context` + `build.dockerfile`) and Bake files (`docker-bake.hcl` / `docker-bake.json`: `context`,
// `dockerfile`, `inherits`). Each definition names a (context, Dockerfile) pair; a Dockerfile that several
// definitions give different contexts is ambiguous, and context-reading transforms leave it alone.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type ContextOrigin = 'directory' | 'compose' | 'bake' | 'config';

export interface ContextLocation {
  /** Absolute directory. */
  root: string;
  origin: ContextOrigin;
  /** The file that defined it (compose/bake/config), relative paths are resolved against its directory. */
  definedIn?: string;
  /** Other contexts that definitions give the same Dockerfile: the context is ambiguous. */
  conflicts?: { root: string; definedIn: string }[];
}

export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
export const BAKE_FILES = ['docker-bake.hcl', 'docker-bake.json', 'docker-bake.override.hcl', 'docker-bake.override.json'];

export interface Definition {
  dockerfile: string;
  context: string;
  origin: 'compose' | 'bake';
  definedIn: string;
}

export interface DefinitionProblem {
  file: string;
  message: string;
}

/** Paths that cannot be resolved statically (variables, remote contexts) are skipped, not guessed. */
function isStaticLocalPath(p: unknown): p is string {
  return typeof p === 'string' && p.length > 0 && !p.includes('$') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) && !p.startsWith('git@') && !p.endsWith('.git');
}

export async function composeDefinitions(file: string): Promise<Definition[]> {
  const { parse } = await import('yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { services?: Record<string, { build?: unknown }> } | null;
  const dir = path.dirname(file);
  const out: Definition[] = [];
  for (const service of Object.values(doc?.services ?? {})) {
    const build = service?.build;
    if (build === undefined || build === null) continue;
    const spec = typeof build === 'string' ? { context: build } : (build as { context?: unknown; dockerfile?: unknown });
    const context = spec.context ?? '.';
    const dockerfile = spec.dockerfile ?? 'Dockerfile';
    if (!isStaticLocalPath(context) || !isStaticLocalPath(dockerfile)) continue;
    const contextAbs = path.resolve(dir, context);
    out.push({ context: contextAbs, dockerfile: path.resolve(contextAbs, dockerfile), origin: 'compose', definedIn: file });
  }
  return out;
}

interface BakeTarget {
  context?: unknown;
  dockerfile?: unknown;
  inherits?: unknown;
}

export async function bakeDefinitions(file: string): Promise<Definition[]> {
  const text = readFileSync(file, 'utf8');
  let targets: Record<string, BakeTarget>;
  if (file.endsWith('.json')) {
    targets = ((JSON.parse(text) as { target?: Record<string, BakeTarget> }).target ?? {});
  } else {
    // HCL through HashiCorp's own parser (compiled to WebAssembly); loaded only when a bake file exists.
    const { parse } = await import('@cdktf/hcl2json');
    const json = (await parse(path.basename(file), text)) as { target?: Record<string, BakeTarget[]> };
    targets = Object.fromEntries(Object.entries(json.target ?? {}).map(([k, blocks]) => [k, Object.assign({}, ...blocks) as BakeTarget]));
  }
  const resolved = (name: string, key: 'context' | 'dockerfile', seen: Set<string>): unknown => {
    const t = targets[name];
    if (!t || seen.has(name)) return undefined;
    if (t[key] !== undefined) return t[key];
    seen.add(name);
    const parents = Array.isArray(t.inherits) ? (t.inherits as unknown[]) : [];
    // Later entries of `inherits` override earlier ones.
    for (const p of [...parents].reverse()) {
      const v = typeof p === 'string' ? resolved(p, key, seen) : undefined;
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const dir = path.dirname(file);
  const out: Definition[] = [];
  for (const name of Object.keys(targets)) {
    const context = resolved(name, 'context', new Set()) ?? '.';
    const dockerfile = resolved(name, 'dockerfile', new Set()) ?? 'Dockerfile';
    if (!isStaticLocalPath(context) || !isStaticLocalPath(dockerfile)) continue;
    const contextAbs = path.resolve(dir, context);
    out.push({ context: contextAbs, dockerfile: path.resolve(contextAbs, dockerfile), origin: 'bake', definedIn: file });
  }
  return out;
}

/**
 * Finds the compose and bake files in the directories from each Dockerfile up to `top` (the run's cwd), parses
 * each once, and maps every Dockerfile they name to its context.
 */
export async function findDefinitions(dockerfiles: string[], top: string): Promise<{ definitions: Definition[]; problems: DefinitionProblem[] }> {
  const dirs = new Set<string>();
  for (const f of dockerfiles) {
    for (let d = path.dirname(f); ; d = path.dirname(d)) {
      dirs.add(d);
      if (d === top || !d.startsWith(top + path.sep) || path.dirname(d) === d) break;
    }
  }
  const definitions: Definition[] = [];
  const problems: DefinitionProblem[] = [];
  for (const dir of [...dirs].sort()) {
    for (const name of [...COMPOSE_FILES, ...BAKE_FILES]) {
      const file = path.join(dir, name);
      if (!existsSync(file)) continue;
      try {
        definitions.push(...(COMPOSE_FILES.includes(name) ? await composeDefinitions(file) : await bakeDefinitions(file)));
      } catch (e) {
        problems.push({ file, message: `could not read build definitions: ${(e as Error).message}` });
      }
    }
  }
  return { definitions, problems };
}

/** Explicit config first, then compose/bake definitions, then the Dockerfile's own directory. */
export function locateContext(dockerfile: string, definitions: Definition[], configured?: Map<string, { root: string; definedIn: string }>): ContextLocation {
  const explicit = configured?.get(dockerfile);
  if (explicit) return { root: explicit.root, origin: 'config', definedIn: explicit.definedIn };
  const matches = definitions.filter((d) => d.dockerfile === dockerfile);
  if (matches.length === 0) return { root: path.dirname(dockerfile), origin: 'directory' };
  const first = matches[0]!;
  const location: ContextLocation = { root: first.context, origin: first.origin, definedIn: first.definedIn };
  const others = matches.filter((m) => m.context !== first.context);
  if (others.length) location.conflicts = others.map((o) => ({ root: o.context, definedIn: o.definedIn }));
  return location;
}
