// Reading one RUN for cache-mounts: its commands (shell form, shell heredoc or exec form) as literal words with
// the package-manager use the recogniser sees in each, the shell variables the script assigns (and which of
// them hold `mktemp` paths), and — for a given set of cache directories that will be mounted — what its `rm`
// and clean-up commands do to them: removable (they only emptied a now-mounted directory), harmful (they would
// remove a mount point, which fails, or a directory above one), or unrelated.

import { hasWildcard, matchComponent, components, cleanAbs, isWithin, resolveIn } from '../../src/dockerfile/paths.js';
import { expandVars } from '../../src/dockerfile/env.js';
import { programIndex } from '../../src/shell/bash.js';
import { variableSites } from '../../src/shell/vars.js';
import type { ShellCommand, ShellScript, ShellWord } from '../../src/shell/bash.js';
import { commandRemoval, wordRemoval } from '../../src/shell/run.js';
import type { Span } from '../../src/types.js';
import { type CommandWords, type ToolName, type ToolUse, recognise } from './managers.js';

export interface Cmd {
  words: CommandWords;
  /** The parsed command (shell and heredoc forms). */
  shell?: ShellCommand;
  use?: ToolUse;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** A shell command as literal words, looking through sudo/doas/env/command/exec wrappers. */
export function commandWords(cmd: ShellCommand): CommandWords | undefined {
  const at = programIndex(cmd);
  if (at === undefined) return undefined;
  return wordsAt(cmd.words.map((w) => w.value), at, new Map(cmd.assignments.map((a) => [a.name, a.value])));
}

/** An exec-form argv as literal words. */
export function execWords(argv: string[]): CommandWords | undefined {
  let i = 0;
  for (;;) {
    const b = argv[i] === undefined ? undefined : base(argv[i]!);
    if (b === 'sudo' || b === 'doas') {
      i++;
      while (argv[i]?.startsWith('-')) i += ['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U'].includes(argv[i]!) ? 2 : 1;
    } else if (b === 'env') {
      i++;
      while (argv[i] !== undefined && (ASSIGN.test(argv[i]!) || argv[i] === '-i' || argv[i] === '-')) i++;
      if (argv[i]?.startsWith('-')) return undefined;
    } else break;
  }
  if (argv[i] === undefined) return undefined;
  return wordsAt(argv, i, new Map());
}

function wordsAt(argv: (string | undefined)[], at: number, assigns: Map<string, string | undefined>): CommandWords | undefined {
  const progWord = argv[at];
  if (progWord === undefined) return undefined;
  let sudo = false;
  let sudoUser: string | null | undefined;
  for (let i = 0; i < at; i++) {
    const w = argv[i];
    if (w === undefined) continue;
    const b = base(w);
    if (b === 'sudo' || b === 'doas') sudo = true;
    else if (sudo && (w === '-u' || w === '--user')) sudoUser = argv[i + 1] ?? null;
    else if (sudo && w.startsWith('--user=')) sudoUser = w.slice(7);
    else {
      const m = ASSIGN.exec(w);
      if (m && !w.startsWith('-')) assigns.set(m[1]!, m[2]);
    }
  }
  const out: CommandWords = { argv, at, prog: base(progWord), assigns, sudo };
  if (sudoUser !== undefined) out.sudoUser = sudoUser;
  return out;
}

export function readCommands(script: ShellScript): Cmd[] {
  const out: Cmd[] = [];
  for (const shell of script.commands) {
    const words = commandWords(shell);
    if (!words) continue;
    const c: Cmd = { words, shell };
    const u = recognise(words);
    if (u) c.use = u;
    out.push(c);
  }
  return out;
}

export interface ScriptVars {
  /** Every variable the script assigns on its own (`X=1`, `export X=1`, `local`, `read`, `for X in`), not as a command prefix. */
  assigned: Set<string>;
  /** Variables whose every assignment is a `$(mktemp …)`: fresh temporary paths. */
  temps: Set<string>;
  /**
   * The values (as written) a variable of the script may hold: its assignments and `for` lists. Variables with a
   * value that is not a plain word (command substitution, `read`, `for x; do`) are absent.
   */
  values: Map<string, string[]>;
  /** The script changes directory (`cd`, `pushd`). */
  changesDir: boolean;
}

export function scriptVars(script: ShellScript): ScriptVars {
  const assigned = new Set<string>();
  const mktemp = new Map<string, boolean>();
  const values = new Map<string, string[]>();
  const opaque = new Set<string>();
  const add = (name: string, raw: string | undefined) => {
    if (raw === undefined || /\$\(|`/.test(raw)) opaque.add(name);
    else values.set(name, [...(values.get(name) ?? []), raw]);
  };
  for (const site of variableSites(script.root)) {
    if (site.kind === 'assign') {
      assigned.add(site.name);
      const isTemp = /^"?\$\(\s*mktemp\b[^)]*\)"?$/.test(site.raw);
      mktemp.set(site.name, (mktemp.get(site.name) ?? true) && isTemp);
      add(site.name, site.raw);
    } else if (site.kind === 'for') {
      assigned.add(site.name);
      if (site.values.length === 0) opaque.add(site.name);
      for (const v of site.values) add(site.name, v);
    }
  }
  let changesDir = false;
  for (const c of script.commands) {
    const name = c.name;
    if (name === 'cd' || name === 'pushd' || name === 'popd') changesDir = true;
    if (name === 'read' || name === 'export' || name === 'local' || name === 'declare' || name === 'typeset' || name === 'readonly' || name === 'unset') {
      for (const w of c.words.slice(1)) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(=|$)/.exec(w.raw);
        if (!m) continue;
        assigned.add(m[1]!);
        if (m[2] === '' && name !== 'export') opaque.add(m[1]!); // `read X`, `local X`: value unknown
      }
    }
  }
  const temps = new Set([...mktemp].filter(([, t]) => t).map(([n]) => n));
  for (const n of [...opaque, ...temps]) values.delete(n);
  return { assigned, temps, values, changesDir };
}

// ---------------------------------------------------------------------------------------------------
// Paths named by rm operands

export interface PathContext {
  vars: Map<string, string>;
  home?: string;
  temps: Set<string>;
  /** Values the script's own variables may hold (see ScriptVars.values). */
  values?: Map<string, string[]>;
  /** Working directory of the script, when known (WORKDIR, and the script does not cd). */
  cwd?: string;
}

/**
 * What an operand names: clean absolute paths (glob characters kept; several when a script variable may hold
 * several values); a path relative to a working directory that is not known; or only a literal prefix
 * directory (or nothing at all).
 */
type Named = { path: string; more?: string[] } | { relative: string } | { prefix?: string };

/** Quote removal for the simple shapes (`"$X/y"`, `'$X'/y`, `$X"/y"`); `$` inside single quotes is kept literal. */
const unquote = (raw: string) => raw.replace(/'([^']*)'/g, (_, x: string) => x.replace(/\$/g, '\u0000')).replace(/"/g, '');

/** A word with the script's own variables substituted by each value they may hold (undefined when too many). */
function alternatives(raw: string, values: Map<string, string[]> | undefined, depth = 0): string[] | undefined {
  if (!values || values.size === 0) return [raw];
  let found: RegExpExecArray | null = null;
  const re = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  for (let x = re.exec(raw); x; x = re.exec(raw)) {
    if (values.has(x[1] ?? x[2]!)) {
      found = x;
      break;
    }
  }
  if (!found) return [raw];
  if (depth > 4) return undefined;
  const out: string[] = [];
  for (const v of values.get(found[1] ?? found[2]!)!) {
    const next = alternatives(raw.slice(0, found.index) + unquote(v) + raw.slice(found.index + found[0].length), values, depth + 1);
    if (!next) return undefined;
    out.push(...next);
    if (out.length > 32) return undefined;
  }
  return out;
}

/** Resolves a shell word to the absolute path (pattern) it names, where that can be known. */
export function namedPath(w: ShellWord, ctx: PathContext): Named {
  let list: string[] = [];
  if (w.value !== undefined) list = [w.value];
  else {
    let raw = w.raw;
    if (/\$\(|`/.test(raw)) return prefixOf(raw, ctx);
    if (raw === '~' || raw.startsWith('~/')) {
      if (ctx.home === undefined) return {};
      raw = ctx.home + raw.slice(1);
    }
    const alts = alternatives(unquote(raw), ctx.values);
    if (!alts) return prefixOf(raw, ctx);
    const vars = new Map(ctx.vars);
    if (ctx.home !== undefined && !vars.has('HOME')) vars.set('HOME', ctx.home);
    for (const t of ctx.temps) vars.set(t, `/tmp/.mktemp-${t}`);
    for (const a of alts) {
      const x = expandVars(a, vars);
      if (x === undefined) return prefixOf(a.replace(/\u0000/g, '$'), ctx);
      list.push(x.replace(/\u0000/g, '$'));
    }
  }
  const paths: string[] = [];
  for (const s of list) {
    if (!s.startsWith('/')) {
      if (ctx.cwd === undefined) return { relative: s };
      paths.push(resolveIn(ctx.cwd, s));
    } else paths.push(cleanAbs(s));
  }
  return paths.length > 1 ? { path: paths[0]!, more: paths.slice(1) } : { path: paths[0]! };
}

function prefixOf(raw: string, ctx: PathContext): Named {
  const lit = raw.replace(/["']/g, '');
  const i = lit.search(/[$`]/);
  const head = i < 0 ? lit : lit.slice(0, i);
  if (!head.startsWith('/')) return ctx.cwd !== undefined && head !== '' && !head.startsWith('~') ? { prefix: resolveIn(ctx.cwd, head.slice(0, head.lastIndexOf('/') + 1) || '.') } : {};
  return { prefix: cleanAbs(head.slice(0, head.lastIndexOf('/') + 1) || '/') };
}

/**
 * Whether `<some directory>/rel` could be `dir` or a directory above it: only when rel's components (globs
 * matching) appear as a run in dir's. Whatever lies inside a mounted directory is harmless to keep.
 */
function mayContain(rel: string, dir: string): boolean {
  const r = rel.split('/').filter((x) => x !== '' && x !== '.');
  if (r.some((x) => x === '..')) return true;
  const d = components(dir);
  if (r.length === 0) return true;
  for (let i = 0; i + r.length <= d.length; i++) if (r.every((x, k) => matchComponent(x, d[i + k]!))) return true;
  return false;
}

export type Relation = 'inside' | 'equal' | 'equal-glob' | 'above' | 'unrelated';
const RANK: Relation[] = ['unrelated', 'inside', 'equal', 'equal-glob', 'above'];

/** How the paths a pattern names relate to a directory `dir`. */
export function relate(pattern: string, dir: string): Relation {
  const a = components(cleanAbs(pattern));
  const b = components(dir);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!matchComponent(a[i]!, b[i]!)) return 'unrelated';
  if (a.length > b.length) return 'inside';
  if (a.length === b.length) return hasWildcard(pattern) ? 'equal-glob' : 'equal';
  return 'above';
}

// ---------------------------------------------------------------------------------------------------
// Clean-ups against mounted directories

export interface Mounted {
  tool: ToolName;
  dirs: string[];
}

export interface CleanupResult {
  /** Source edits that drop the clean-ups made pointless (commands, words). */
  edits: { span: Span; text: string; what: string }[];
  /** Tools that cannot get their mounts in this RUN, and why. */
  refuse: Map<ToolName, string>;
  /** Clean-ups that stay (they empty the cache on every build). */
  kept: string[];
}

const RM_FLAG = /^-(-recursive|-force|-verbose|-one-file-system|-preserve-root|-no-preserve-root|-dir|[rRfvdI]+)$/;

function shortText(script: ShellScript, cmd: ShellCommand): string {
  const t = script.text.slice(cmd.start, cmd.end).replace(/\\\r?\n\s*/g, '').replace(/\s+/g, ' ');
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

/**
 * What the `rm`s and clean-up commands of a RUN do to the directories about to be mounted: the edits that drop
 * the ones that only emptied a mounted directory, the tools whose mount they would break, the ones that stay.
 */
export function cleanups(script: ShellScript, cmds: Cmd[], mounted: Mounted[], ctx: PathContext): CleanupResult {
  const res: CleanupResult = { edits: [], refuse: new Map(), kept: [] };
  const dirs = mounted.flatMap((m) => m.dirs.map((d) => ({ tool: m.tool, dir: d })));
  const taken: Span[] = [];
  const free = (s: Span) => !taken.some((t) => s.start < t.end && t.start < s.end);
  const take = (s: Span, what: string) => {
    taken.push(s);
    res.edits.push({ span: s, text: '', what });
  };
  const refuse = (tool: ToolName, why: string) => {
    if (!res.refuse.has(tool)) res.refuse.set(tool, why);
  };
  for (const c of cmds) {
    const cmd = c.shell;
    if (!cmd) continue;
    const where = shortText(script, cmd);
    // Clean-up commands of a tool whose cache is mounted here: they empty only that cache.
    if (c.use?.kind === 'clean') {
      const m = mounted.find((x) => x.tool === c.use!.tool || (c.use!.tool === 'yum' && x.tool === 'dnf') || (c.use!.tool === 'dnf' && x.tool === 'yum'));
      if (!m || !c.use.cleansCacheOnly) continue;
      const r = commandRemoval(script, cmd);
      if (r.ok && free(r.span)) take(r.span, `\`${where}\``);
      else if (c.use.tool === 'go' && c.use.dirs.goParts?.includes('mod')) refuse('go', `\`${where}\` would remove the module cache's mount point, which fails, and it cannot be dropped here (${r.ok ? 'next to another removed command' : r.reason})`);
      else res.kept.push(`\`${where}\` (${r.ok ? 'next to another removed command' : r.reason})`);
      continue;
    }
    if (c.words.prog !== 'rm' || c.words.sudo) continue;
    const args = cmd.words.slice(c.words.at + 1);
    let endOfOptions = false;
    const operands: { w: ShellWord; rel: Relation; tools: ToolName[] }[] = [];
    for (const w of args) {
      if (!endOfOptions && w.value === '--') {
        endOfOptions = true;
        continue;
      }
      if (!endOfOptions && w.value !== undefined && w.value.startsWith('-') && RM_FLAG.test(w.value)) continue;
      const named = namedPath(w, ctx);
      let rel: Relation = 'unrelated';
      const tools: ToolName[] = [];
      for (const d of dirs) {
        let r: Relation;
        if ('path' in named) {
          // Several possible values that relate differently to the mount: neither keeping nor dropping is safe.
          const rels = new Set([named.path, ...(named.more ?? [])].map((x) => relate(x, d.dir)));
          r = rels.size === 1 ? [...rels][0]! : 'above';
        }
        else if ('relative' in named) r = mayContain(named.relative, d.dir) ? 'above' : 'unrelated';
        else if (named.prefix !== undefined) r = isWithin(d.dir, named.prefix) ? 'above' : isWithin(named.prefix, d.dir) ? 'inside' : 'unrelated';
        else r = 'above';
        if (r === 'unrelated') continue;
        tools.push(d.tool);
        if (RANK.indexOf(r) > RANK.indexOf(rel)) rel = r;
      }
      operands.push({ w, rel, tools });
    }
    const related = operands.filter((o) => o.rel !== 'unrelated');
    if (related.length === 0) continue;
    const bad = related.find((o) => o.rel === 'above' || o.rel === 'equal-glob');
    if (bad) {
      const unknown = !('path' in namedPath(bad.w, ctx));
      const why = unknown
        ? `\`${where}\` removes ${bad.w.raw}, which may be the cache directory or a directory above it: a mount point cannot be removed (rm fails), and dropping the command could leave other files in the image`
        : `\`${where}\` removes ${bad.w.raw}, a directory above the cache mount (or a pattern that matches it): a mount point cannot be removed (rm fails), and dropping it would leave other files in the image`;
      for (const t of bad.tools) refuse(t, why);
      continue;
    }
    // Every related operand is the mounted directory itself or lies inside it: it only emptied the cache.
    if (related.length === operands.length) {
      const r = commandRemoval(script, cmd);
      if (r.ok && free(r.span)) {
        take(r.span, `\`${where}\``);
        continue;
      }
      if (related.some((o) => o.rel === 'equal')) {
        for (const o of related.filter((x) => x.rel === 'equal')) for (const t of o.tools) refuse(t, `\`${where}\` would remove the mount point ${o.w.raw} (rm fails on it), and it cannot be dropped here (${r.ok ? 'next to another removed command' : r.reason})`);
      } else res.kept.push(`\`${where}\` (${r.ok ? 'next to another removed command' : r.reason})`);
      continue;
    }
    // Some operands stay: drop only the words that name mounted directories.
    for (const o of related) {
      const r = wordRemoval(script, cmd, o.w);
      if (r.ok && free(r.span)) take(r.span, `${o.w.raw} from \`${where}\``);
      else if (o.rel === 'equal') for (const t of o.tools) refuse(t, `\`${where}\` would remove the mount point ${o.w.raw} (rm fails on it), and the word cannot be dropped here`);
      else res.kept.push(`${o.w.raw} in \`${where}\``);
    }
  }
  return res;
}
