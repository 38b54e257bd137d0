// Build contexts from the repository's own build definitions: Compose files (`build: <path>` or
// `build.context` + `build.dockerfile`), Bake files (`docker-bake.hcl` / `docker-bake.json`: `context`,
// `dockerfile`, `inherits`) and dev container configurations (`devcontainer.json`: `build.dockerfile` +
// `build.context`, or the older top-level `dockerFile` + `context`). Each definition names a (context, Dockerfile)
// pair; a Dockerfile that several definitions give different contexts is ambiguous, and context-reading transforms
// leave it alone.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseJsonc } from './jsonc.js';

export type ContextOrigin = 'directory' | 'compose' | 'bake' | 'devcontainer' | 'config';

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
  origin: 'compose' | 'bake' | 'devcontainer';
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
 * A dev container configuration, read as the reference implementation (the devcontainers CLI, also behind VS Code
 * and Codespaces) reads it: paths are relative to the devcontainer.json's folder; the legacy top-level
 * `dockerFile` wins over `build.dockerfile` and then only the top-level `context` counts (else only
 * `build.context`); without a context the build runs in the Dockerfile's folder (the spec's documented default,
 * ".", is the same folder whenever the Dockerfile sits next to devcontainer.json, as in the templates).
 * Image- and Compose-based configurations define no Dockerfile here (Compose files are found by their names).
 */
export function devcontainerDefinitions(file: string): Definition[] {
  const config = parseJsonc(readFileSync(file, 'utf8'));
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error('not a JSON object');
  const c = config as { dockerFile?: unknown; context?: unknown; build?: unknown };
  const build = c.build && typeof c.build === 'object' ? (c.build as { dockerfile?: unknown; context?: unknown }) : undefined;
  const legacy = 'dockerFile' in c;
  const dockerfile = legacy ? c.dockerFile : build?.dockerfile;
  const context = legacy ? c.context : build?.context;
  if (!isStaticLocalPath(dockerfile)) return [];
  const dir = path.dirname(file);
  const dockerfileAbs = path.resolve(dir, dockerfile);
  let contextAbs: string;
  if (context === undefined || context === null || context === '') contextAbs = path.dirname(dockerfileAbs);
  else if (isStaticLocalPath(context)) contextAbs = path.resolve(dir, context);
  else return [];
  return [{ context: contextAbs, dockerfile: dockerfileAbs, origin: 'devcontainer', definedIn: file }];
}

/** The places a dev container configuration may live, as seen from one directory of the tree. */
function devcontainerFiles(dir: string, into: Set<string>): void {
  const add = (f: string) => existsSync(f) && into.add(f);
  const inFolder = (folder: string) => {
    add(path.join(folder, 'devcontainer.json'));
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    // `.devcontainer/<name>/devcontainer.json`: one configuration per folder, one level deep.
    for (const e of entries) if (e.isDirectory()) add(path.join(folder, e.name, 'devcontainer.json'));
  };
  add(path.join(dir, '.devcontainer.json'));
  if (existsSync(path.join(dir, '.devcontainer'))) inFolder(path.join(dir, '.devcontainer'));
  // Run from inside `.devcontainer/` (or one of its folders), the walk up stops before the project root.
  if (path.basename(dir) === '.devcontainer') inFolder(dir);
  else if (path.basename(path.dirname(dir)) === '.devcontainer') add(path.join(dir, 'devcontainer.json'));
}

/**
 * Finds the compose, bake and devcontainer files in the directories from each Dockerfile up to `top` (the run's
 * cwd), parses each once, and maps every Dockerfile they name to its context.
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
  const devcontainers = new Set<string>();
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
    devcontainerFiles(dir, devcontainers);
  }
  for (const file of [...devcontainers].sort()) {
    try {
      definitions.push(...devcontainerDefinitions(file));
    } catch (e) {
      problems.push({ file, message: `could not read build definitions: ${(e as Error).message}` });
    }
  }
  return { definitions, problems };
}

/** Explicit config first, then compose/bake/devcontainer definitions, then the Dockerfile's own directory. */
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
