// The commands of a RUN as cache-mount-pitfalls needs them: every simple command (shell form, shell heredoc or
// exec form) with its words resolved where that is certain — quotes removed, `$VAR`s expanded from the step's
// ENV/ARG defaults and from shell assignments that run before it on the top level, `~` from a known HOME —
// the directory it runs in (WORKDIR, then top-level `cd`s), and the environment its process sees.
// Anything that cannot be known for sure stays undefined: callers never guess from it.

import { cleanPath, resolveIn } from '../../src/dockerfile/paths.js';
import { expandVars } from '../../src/dockerfile/env.js';
import { programIndex } from '../../src/shell/bash.js';
import type { ShellScript } from '../../src/shell/bash.js';
import { readRunScript } from '../../src/shell/run.js';
import { variableSites } from '../../src/shell/vars.js';
import type { DockerfileModel, Instruction, Span } from '../../src/types.js';

export interface Word {
  /** As written. */
  raw: string;
  /** The literal value, when it is certain (quotes removed, variables expanded). */
  value?: string;
  /** Source span in the Dockerfile. */
  span: Span;
}

export interface Cmd {
  /** The words from the real program on (`sudo`, `env X=1` and the like are looked through). */
  words: Word[];
  /** Base name of the program (`/usr/bin/pip3` → `pip3`), or undefined when computed. */
  prog?: string;
  /** Environment of the process: ENV, ARG values, exported shell variables, prefix assignments. Names mapped to undefined are unknown. */
  env: Map<string, string | undefined>;
  /** Values of `NAME=value` words before the program (`PYTHONPATH=/x python …`, `env NAME=value …`). */
  assignWords: Word[];
  /** The directory it runs in, when known. */
  cwd?: string;
  /** HOME: from ENV, or /root for a step whose user is not set (assumed root for finding paths). */
  home?: string;
  /** HOME is set explicitly (ENV HOME, or an assignment in the RUN), not assumed. */
  homeKnown: boolean;
  /** Enclosing compound constructs (`if_statement`, `subshell`, …). */
  within: string[];
  span: Span;
  /** Offset of the command in the Dockerfile, for ordering. */
  start: number;
}

export interface RunCommands {
  form: 'shell' | 'heredoc' | 'exec';
  cmds: Cmd[];
  /** Words of the script that may expand to anything (unknown variables, substitutions) and could name a path. */
  opaque: Word[];
}

export interface StepContext {
  /** ENV values and ARG defaults (raw, may hold `$VAR`), over the environment a known base image sets. */
  vars: Map<string, string>;
  user?: string;
  cwd?: string;
}

export function isRootUser(user: string | undefined): boolean {
  if (user === undefined) return true; // the base image's user: root for nearly every image that builds software
  const name = user.split(':')[0]!.trim();
  return name === 'root' || name === '0';
}

/** Expands a raw value (from ENV/ARG, a shell word) with known variables; undefined when anything is unknown. */
export function expandRaw(raw: string, vars: Map<string, string | undefined>, home?: string): string | undefined {
  if (/[`'\\]|\$\(|\$[^{A-Za-z_]|\$$/.test(raw)) return undefined;
  let text = raw.replace(/"/g, '');
  if (text === '~' || text.startsWith('~/')) {
    if (home === undefined) return undefined;
    text = home + text.slice(1);
  } else if (text.startsWith('~')) return undefined;
  if (!text.includes('$')) return text;
  const known = new Map<string, string>();
  for (const [k, v] of vars) if (v !== undefined) known.set(k, v);
  // An unknown name (unset, or set to something unknown) must not expand to its default: say unknown.
  for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) if (vars.has(m[1]!) && vars.get(m[1]!) === undefined) return undefined;
  return expandVars(text, known);
}

/** The step's variables expanded once (ENV values may refer to earlier ones), plus HOME for root. */
export function stepVars(ctx: StepContext): { vars: Map<string, string | undefined>; home?: string } {
  const vars = new Map<string, string | undefined>();
  for (const [k, v] of ctx.vars) vars.set(k, v);
  let home = vars.get('HOME');
  if (home === undefined && isRootUser(ctx.user)) home = '/root';
  if (home !== undefined && !vars.has('HOME')) vars.set('HOME', home);
  const out = new Map<string, string | undefined>();
  for (const [k, v] of vars) out.set(k, v === undefined ? undefined : v.includes('$') ? expandRaw(v, vars, home) : v);
  if (home?.includes('$')) home = out.get('HOME');
  const r: { vars: Map<string, string | undefined>; home?: string } = { vars: out };
  if (home !== undefined && home.startsWith('/')) r.home = cleanPath(home);
  return r;
}

interface ShellAssign {
  name: string;
  /** Raw value text ('' for `X=`). */
  raw: string;
  start: number;
  /** On the top level (not inside a subshell, conditional, loop, function …). */
  top: boolean;
  exported: boolean;
}

function collectAssignments(script: ShellScript): { assigns: ShellAssign[]; unknown: Set<string> } {
  const assigns: ShellAssign[] = [];
  const unknown = new Set<string>();
  for (const site of variableSites(script.root)) {
    if (site.kind === 'assign') {
      const decl = site.declaredBy;
      if (decl !== undefined && decl !== 'export' && decl !== 'readonly') unknown.add(site.name); // local, declare -…: scoping not modelled
      else assigns.push({ name: site.name, raw: site.raw, start: site.start, top: site.top, exported: decl === 'export' });
    } else if (site.kind === 'declare') {
      // `export X` (no value) marks X exported.
      if (site.declaredBy === 'export') assigns.push({ name: site.name, raw: '\0export', start: site.start, top: site.top, exported: true });
    } else unknown.add(site.name); // a `for` variable: its value depends on the iteration
  }
  // Commands that set variables to values not written in the script.
  for (const c of script.commands) {
    const name = c.words[0]?.raw;
    if (name !== 'read' && name !== 'unset' && name !== 'getopts' && name !== 'source' && name !== '.') continue;
    for (const w of c.words.slice(1)) if (w.node.type === 'word' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(w.raw)) unknown.add(w.raw);
  }
  return { assigns, unknown };
}

/** Reads a RUN (or an ONBUILD trigger: `owner` is the ONBUILD) into commands. */
export async function readCommands(model: DockerfileModel, ins: Instruction, ctx: StepContext, owner: Instruction = ins): Promise<RunCommands | { reason: string }> {
  const read = await readRunScript(model, ins, owner);
  if (!read.ok) return { reason: read.reason };
  const base = stepVars(ctx);
  if (read.form === 'exec') {
    // No shell: the words are literal, the process gets the step's environment.
    const words: Word[] = ins.args.map((a) => ({ raw: a.value, value: a.value, span: a.span }));
    const cmd: Cmd = { words, env: new Map(base.vars), assignWords: [], homeKnown: ctx.vars.has('HOME'), within: [], span: ins.argsSpan ?? ins.span, start: ins.argsSpan?.start ?? ins.span.start };
    const prog = words[0]?.value;
    if (prog !== undefined) cmd.prog = prog.slice(prog.lastIndexOf('/') + 1);
    if (ctx.cwd !== undefined) cmd.cwd = ctx.cwd;
    if (base.home !== undefined) cmd.home = base.home;
    return { form: 'exec', cmds: [cmd], opaque: [] };
  }
  return { form: read.form, ...fromScript(read.script, base, ctx.cwd, ctx.vars.has('HOME')) };
}

function fromScript(script: ShellScript, base: { vars: Map<string, string | undefined>; home?: string }, workdir: string | undefined, homeKnown: boolean): { cmds: Cmd[]; opaque: Word[] } {
  const { assigns, unknown } = collectAssignments(script);
  const src = (a: number, b: number): Span => ({ start: script.toSource(a), end: script.toSource(b, true) });
  const cmds: Cmd[] = [];
  const opaque: Word[] = [];
  let cwd = workdir;
  let home = base.home;
  // Shell variables and the exported environment, advanced in source order.
  const shell = new Map(base.vars);
  const exported = new Set(base.vars.keys());
  for (const u of unknown) shell.set(u, undefined);
  let next = 0;
  const sorted = [...assigns].sort((a, b) => a.start - b.start);
  for (const c of script.commands) {
    for (; next < sorted.length && sorted[next]!.start < c.start; next++) {
      const a = sorted[next]!;
      if (unknown.has(a.name)) continue;
      if (a.exported) exported.add(a.name);
      if (a.raw === '\0export') continue;
      shell.set(a.name, a.top ? expandRaw(a.raw, shell, home) : undefined);
      if (a.name === 'HOME') {
        home = shell.get('HOME');
        homeKnown = home !== undefined;
      }
    }
    const i = programIndex(c) ?? 0;
    const words: Word[] = c.words.slice(i).map((w) => {
      const word: Word = { raw: w.raw, span: src(w.start, w.end) };
      const v = w.value ?? expandRaw(w.raw, shell, home);
      if (v !== undefined) word.value = v;
      else if (/[$`~]/.test(w.raw)) opaque.push(word);
      return word;
    });
    const env = new Map<string, string | undefined>();
    const assignWords: Word[] = [];
    for (const name of exported) env.set(name, shell.get(name));
    for (const a of c.assignments) {
      const raw = script.text.slice(a.start, a.end).slice(a.name.length + 1);
      const v = a.value ?? expandRaw(raw, shell, home);
      env.set(a.name, v);
      const word: Word = { raw, span: src(a.start + a.name.length + 1, a.end) };
      if (v !== undefined) word.value = v;
      assignWords.push(word);
    }
    // `env X=1 prog` and `sudo X=1 prog`: assignments among the wrapper words.
    for (const w of c.words.slice(0, i)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.value ?? '');
      if (!m) continue;
      env.set(m[1]!, m[2]!);
      assignWords.push({ raw: m[2]!, value: m[2]!, span: src(w.start + m[1]!.length + 1, w.end) });
    }
    const cmd: Cmd = { words, env, assignWords, homeKnown, within: c.within, span: src(c.start, c.end), start: script.toSource(c.start) };
    const prog = words[0]?.value;
    if (prog !== undefined) cmd.prog = prog.slice(prog.lastIndexOf('/') + 1);
    if (cwd !== undefined) cmd.cwd = cwd;
    if (home !== undefined) cmd.home = home;
    cmds.push(cmd);
    if (cmd.prog === 'cd' || cmd.prog === 'pushd' || cmd.prog === 'popd') {
      const arg = words.slice(1).filter((w) => !(w.value ?? '').startsWith('-'));
      let to: string | undefined;
      if (cmd.prog === 'popd' || c.within.length > 0 || arg.length > 1) to = undefined;
      else if (arg.length === 0) to = cmd.prog === 'cd' ? home : undefined;
      else {
        const v = arg[0]!.value;
        to = v === undefined || v === '-' ? undefined : v.startsWith('/') ? cleanPath(v) : cwd !== undefined ? resolveIn(cwd, v) : undefined;
      }
      cwd = to;
    }
  }
  return { cmds, opaque };
}

/** A word's value as a path: absolute, or relative to the command's directory; undefined when not certain. */
export function pathOf(value: string | undefined, cwd: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.startsWith('/')) return cleanPath(value);
  return cwd === undefined ? undefined : resolveIn(cwd, value);
}
