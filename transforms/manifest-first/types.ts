// The contract between the manifest-first driver and its ecosystem tables.

import { ContextView, Refuse } from './context.js';
import type { ShWord } from './shell.js';

export { ContextView, Refuse };

/** One command of a RUN, as an ecosystem sees it. */
export interface InstallCommand {
  /** Leading `NAME=value` words (shell form only). */
  assigns: ShWord[];
  /** The command words as written. */
  words: ShWord[];
  /** Literal values of `words`; undefined where a word has an expansion (`$X`, `~`, a glob). */
  argv: (string | undefined)[];
  /** Exec form (`RUN ["npm", "ci"]`): no shell. */
  exec: boolean;
  redirected: boolean;
}

/** A word of a generated command: a literal this transform writes, or a word carried over from the original. */
export type VariantWord = string | ShWord;

export interface Plan {
  /** Shown in messages: `npm`, `Poetry`, … */
  ecosystem: string;
  /**
   * `move`: the install is dependency-only already; it moves above the whole copy (not duplicated).
   * `variant`: the install also builds or installs the project; a dependency-only variant is inserted above
   * the whole copy and the original stays where it is.
   */
  mode: 'move' | 'variant';
  /** The dependency-only command for `variant`. */
  variant?: VariantWord[];
  /** Context-relative files to copy first (each one checked: present and not excluded by .dockerignore). */
  files: string[];
  /** Context-relative directories to copy whole, keeping their place in the tree. */
  dirs: string[];
}

export interface Env {
  ctx: ContextView;
  /** A value set by ENV in this Dockerfile (this stage or a stage it is built on), or by an ARG default of this stage, before the install. */
  env(name: string): string | undefined;
  /** The value an assignment in front of the command gives (`NODE_ENV=production npm ci`), or the ENV value. */
  setting(cmd: InstallCommand, name: string): string | undefined;
  /** A path the install names (relative to its working directory, or absolute inside it) as a context path; refuses otherwise. */
  rel(path: string, what: string): string;
  /** The context path of `path` when it lies inside the project directory, else undefined; refuses when that cannot be told. */
  inProject(path: string): string | undefined;
}

export interface Ecosystem {
  name: string;
  /** Root manifests (COPY source globs are matched against them): an earlier COPY of one means "already done". */
  primary: string[];
  /** Text that suggests this ecosystem's install, to explain refusals of RUNs that cannot be read. */
  hint: RegExp;
  /** A RUN before the whole copy whose text matches this already installs the dependencies another way (`cargo chef cook`). */
  prepared?: RegExp;
  /** Is `cmd` this ecosystem's install (or the build that needs one)? Syntax only, no context. */
  identify(cmd: InstallCommand): boolean;
  /** The plan for `cmd`, or undefined when there is nothing to do; throws Refuse with the reason to leave it alone. */
  plan(cmd: InstallCommand, env: Env): Plan | undefined;
}

// --- helpers shared by the tables ----------------------------------------------------------------

/** The tool a command runs: the base name of argv[0] (`/usr/local/bin/npm` → npm), or undefined. */
export function toolOf(cmd: InstallCommand): string | undefined {
  const a0 = cmd.argv[0];
  if (a0 === undefined) return undefined;
  return a0.slice(a0.lastIndexOf('/') + 1);
}

/** argv[0] when it is a relative path into the project (`./mvnw`, `.venv/bin/pip`), without `./`. */
export function localProgram(cmd: InstallCommand): string | undefined {
  const a0 = cmd.argv[0];
  if (a0 === undefined || a0.startsWith('/') || !a0.includes('/')) return undefined;
  return a0.replace(/^(\.\/)+/, '');
}

export function requireLiteral(cmd: InstallCommand, what: string): string[] {
  const out: string[] = [];
  for (const a of cmd.argv) {
    if (a === undefined) throw new Refuse(`${what} uses a variable or pattern in its arguments (variables in paths are not resolved)`);
    out.push(a);
  }
  return out;
}

export type OptionSpec = Record<string, 'flag' | 'value'>;

export interface ParsedArgs {
  /** Option name (as in the spec) → values (empty string for flags), in order. */
  options: Map<string, string[]>;
  positionals: string[];
  /** Index in `args` of each positional. */
  positionalIndexes: number[];
  /** Index in `args` of each option occurrence and its value, for dropping words from a variant. */
  indexes: Map<string, number[][]>;
}

/**
 * Parses `args` against `spec` (`--name`, `-n`; values as `--name=v`, `--name v`, `-nv`, `-n v`). An option the spec
 * does not know refuses: an unknown option might change what the install reads or writes.
 */
export function parseArgs(args: string[], spec: OptionSpec, what: string): ParsedArgs {
  const options = new Map<string, string[]>();
  const indexes = new Map<string, number[][]>();
  const positionals: string[] = [];
  const positionalIndexes: number[] = [];
  const add = (name: string, value: string, idx: number[]) => {
    options.set(name, [...(options.get(name) ?? []), value]);
    indexes.set(name, [...(indexes.get(name) ?? []), idx]);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      for (let j = i + 1; j < args.length; j++) {
        positionals.push(args[j]!);
        positionalIndexes.push(j);
      }
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      positionalIndexes.push(i);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const kind = spec[name];
    if (kind === 'flag' && (eq < 0 || !a.startsWith('--'))) {
      add(name, '', [i]);
      continue;
    }
    if (kind === 'flag') throw new Refuse(`${what}: option ${a} not understood`);
    if (kind === 'value') {
      if (a.startsWith('--') && eq > 0) add(name, a.slice(eq + 1), [i]);
      else {
        if (i + 1 >= args.length) throw new Refuse(`${what}: option ${a} needs a value`);
        add(name, args[i + 1]!, [i, i + 1]);
        i++;
      }
      continue;
    }
    // Short option with its value attached: `-rrequirements.txt`.
    if (!a.startsWith('--') && a.length > 2 && spec[a.slice(0, 2)] === 'value') {
      add(a.slice(0, 2), a.slice(2), [i]);
      continue;
    }
    throw new Refuse(`${what}: option ${a} is not one this transform knows to be safe`);
  }
  return { options, positionals, positionalIndexes, indexes };
}

/** Indexes (into the command's words) of every occurrence of the given options, for dropping them. */
export function optionWordIndexes(parsed: ParsedArgs, names: string[], offset: number): Set<number> {
  const out = new Set<number>();
  for (const n of names) for (const idx of parsed.indexes.get(n) ?? []) for (const i of idx) out.add(i + offset);
  return out;
}

/** Carries the command's words (minus `drop`) and appends literal words. */
export function variantOf(cmd: InstallCommand, drop: Set<number>, append: string[], keepAssigns = true): VariantWord[] {
  const out: VariantWord[] = keepAssigns ? [...cmd.assigns] : [];
  cmd.words.forEach((w, i) => {
    if (!drop.has(i)) out.push(w);
  });
  return [...out, ...append];
}

export function readJson(env: Env, rel: string): Record<string, unknown> {
  const text = env.ctx.read(rel);
  if (text === undefined) throw new Refuse(`${rel} is not in the build context`);
  try {
    const v: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new Refuse(`${rel} is not a JSON object this transform can read`);
}

/** Adds `rel` to `files` when the build context contains it (optional manifests and config files). */
export function optional(env: Env, files: string[], ...rels: string[]): void {
  for (const rel of rels) if (env.ctx.has(rel) && !files.includes(rel)) files.push(rel);
}

/** Adds directory `dir` to `dirs` when the build context holds files under it. */
export function optionalDir(env: Env, dirs: string[], dir: string): void {
  if (env.ctx.filesUnder(dir).length && !dirs.includes(dir)) dirs.push(dir);
}

/** A path that points into the local file system rather than a registry (`.`, `./x`, `../x`, `/x`, `file:`). */
export function isLocalPath(s: string): boolean {
  return /^(\.|\.\.|~)(\/|$|\[)/.test(s) || s.startsWith('/') || /^file:/i.test(s) || s === '.' || s === '..';
}
