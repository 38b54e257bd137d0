// What happens to paths after a RUN: which later instructions read them from the image (this stage's later
// instructions, stages built FROM it, `COPY --from` and `RUN --mount=from` of it, the image's ENV/CMD/
// ENTRYPOINT/HEALTHCHECK/WORKDIR) and which write them again. Only literal or resolvable paths count.

import { cleanAbs, cleanPath, isWithin, resolveIn } from '../../src/dockerfile/paths.js';
import type { StageGraph } from '../../src/dockerfile/stages.js';
import type { DockerfileModel, Instruction, Mount } from '../../src/types.js';
import type { Cmd, RunCommands, StepContext } from './commands.js';
import { expandRaw, pathOf, readCommands, stepVars } from './commands.js';
import type { ToolContext } from './tools.js';
import { isSaver, updateState, writersOf } from './tools.js';
import type { RunState } from './tools.js';

export interface Use {
  ins: Instruction;
  /** `COPY --from=builder at line 12`, `CMD at line 20`, … */
  where: string;
  /** What it does with the path, for messages: `copies`, `runs`, `puts … on PATH`. */
  verb: string;
  /** Clean absolute path (COPY sources may hold wildcards). */
  path: string;
  /** Copies the whole tree at `path`: reading a directory above a lost one loses it too. */
  tree: boolean;
  /** Writes `path` in the image (not through a mount). */
  repair: boolean;
  /** A RUN command that sees `path` through a mount of its own: targets of those mounts, with their cache ids. */
  mounted?: { target: string; id?: string }[];
  /** A RUN command that can carry files elsewhere (cp, rsync, tar, pip install …). */
  saver?: boolean;
}

/** The directories an interpreter or the runtime searches (ENV values that are read, not tool settings). */
const READ_VARS = new Set(['PATH', 'PYTHONPATH', 'NODE_PATH', 'LD_LIBRARY_PATH', 'CLASSPATH', 'GEM_PATH', 'RUBYLIB', 'PERL5LIB', 'PYTHONHOME']);
/** Commands whose path words do not read anything. */
const NOT_READERS = new Set(['rm', 'rmdir', 'mkdir', 'echo', 'printf', 'true', ':']);
const TREE_COPIERS = new Set(['cp', 'rsync', 'tar', 'bsdtar', 'mv', 'zip', 'scp', 'cpio']);

export interface Scope {
  model: DockerfileModel;
  graph: StageGraph;
  tool: (stage: number, beforeIndex?: number) => ToolContext;
  commands: (ins: Instruction, ctx: StepContext, owner?: Instruction) => Promise<RunCommands | { reason: string }>;
  /** The environment, user and directory of a step (before instruction `before` of `stage`; undefined = at its end). */
  step: (stage: number, before?: number) => StepContext;
}

/**
 * A cache mount's id as BuildKit computes it: `id`, or the target as written, cleaned. The automatic platform
 * arguments (`${TARGETPLATFORM}`, …) stay as written: two ids that use them alike name the same caches.
 */
export function cacheId(m: Mount, vars: Map<string, string | undefined>): string | undefined {
  const raw = m.get('id')?.value || cleanPath(m.get('target')?.value ?? '');
  if (!raw.includes('$')) return raw;
  const kept: string[] = [];
  const masked = raw.replace(/\$\{(?:TARGET|BUILD)(?:PLATFORM|OS|ARCH|VARIANT)(?:[:}][^}]*\}?)?|\$(?:TARGET|BUILD)(?:PLATFORM|OS|ARCH|VARIANT)\b/g, (all) => `\u0000${kept.push(all) - 1}\u0000`);
  const expanded = expandRaw(masked, vars);
  return expanded?.replace(/\u0000(\d+)\u0000/g, (_, i: string) => kept[Number(i)]!);
}

/** Resolved mount targets of a RUN (relative targets against its WORKDIR, variables from its step). */
export function mountTargets(ins: Instruction, vars: Map<string, string | undefined>, cwd: string | undefined): { mount: Mount; target?: string; id?: string }[] {
  return ins.mounts.map((mount) => {
    const raw = mount.get('target')?.value;
    const v = raw === undefined ? undefined : expandRaw(raw, vars);
    const r: { mount: Mount; target?: string; id?: string } = { mount };
    // A relative target is resolved against the WORKDIR; when that is not known, neither is the target.
    const t = v === undefined || v === '' ? undefined : v.startsWith('/') ? cleanPath(v) : cwd !== undefined ? resolveIn(cwd, v) : undefined;
    if (t !== undefined) r.target = t;
    if (mount.type === 'cache') {
      const id = cacheId(mount, vars);
      if (id !== undefined) r.id = id;
    }
    return r;
  });
}

function argsOf(ins: Instruction): string[] {
  return ins.args.map((a) => (ins.jsonForm ? a.value : a.value.replace(/^(["'])(.*)\1$/s, '$2')));
}

/**
 * Every use after `after` (an instruction of stage `stage`) of the image that stage builds. Instructions of the
 * stage before `after` count only for ENV/CMD/ENTRYPOINT/HEALTHCHECK, which describe the image, not a step.
 */
export async function usesAfter(scope: Scope, stage: number, after: Instruction | undefined): Promise<Use[]> {
  const { model, graph } = scope;
  const uses: Use[] = [];
  const descendants = graph.nodes.filter((n) => n.index !== stage && graph.chain(n.index).includes(stage)).map((n) => n.index);
  const family = new Set([stage, ...descendants]);
  const ancestors = graph.chain(stage).filter((i) => i !== stage);

  const image = (ins: Instruction, s: number) => {
    const line = `${ins.keyword} at line ${ins.startLine}`;
    if (ins.keyword === 'ENV') {
      const vars = stepVars(scope.step(s, ins.index)).vars;
      const words = ins.args.map((a) => a.value);
      const pairs: [string, string][] = words.length >= 2 && !words[0]!.includes('=') ? [[words[0]!, words.slice(1).join(' ')]] : words.filter((w) => w.includes('=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]);
      for (const [name, raw] of pairs) {
        if (!READ_VARS.has(name)) continue;
        for (const piece of raw.replace(/^"(.*)"$/s, '$1').split(':')) {
          const v = expandRaw(piece, vars);
          if (v?.startsWith('/')) uses.push({ ins, where: line, verb: `puts ${cleanPath(v)} on ${name}`, path: cleanPath(v), tree: false, repair: false });
        }
      }
    } else if (ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT' || ins.keyword === 'HEALTHCHECK') {
      for (const a of argsOf(ins)) {
        for (const piece of a.split(/[\s=:]/)) {
          if (piece.startsWith('/') && !piece.includes('$')) uses.push({ ins, where: line, verb: `uses ${cleanPath(piece)}`, path: cleanPath(piece), tree: false, repair: false });
        }
      }
    }
  };

  for (const s of [...ancestors, stage]) {
    for (const ins of graph.nodes[s]!.stage.instructions) if (s !== stage || !after || ins.index < after.index) image(ins, s);
  }
  const steps: { ins: Instruction; stage: number }[] = [];
  for (const ins of graph.nodes[stage]!.stage.instructions) if (after && ins.index > after.index) steps.push({ ins, stage });
  for (const d of descendants) for (const ins of graph.nodes[d]!.stage.instructions) steps.push({ ins, stage: d });
  // COPY --from and RUN --mount=from anywhere that names this stage or one built on it.
  for (const node of graph.nodes) {
    for (const ref of node.refs) {
      if (ref.kind === 'base' || ref.target === undefined || !family.has(ref.target)) continue;
      const ins = ref.trigger ?? ref.instruction;
      const where = `${ref.kind === 'copy' ? 'COPY' : 'RUN'} --from=${ref.value} at line ${ref.instruction.startLine}`;
      if (ref.kind === 'copy') {
        const srcs = argsOf(ins).slice(0, -1);
        for (const src of srcs) if (!src.includes('$')) uses.push({ ins: ref.instruction, where, verb: `copies ${cleanAbs(src)}`, path: cleanAbs(src), tree: true, repair: false });
      } else if (ref.mount) {
        const source = ref.mount.get('source')?.value;
        if (source !== undefined && !source.includes('$')) uses.push({ ins: ref.instruction, where, verb: `mounts ${cleanAbs(source)}`, path: cleanAbs(source), tree: false, repair: false });
      }
    }
  }

  for (const { ins, stage: s } of steps) {
    const line = `${ins.keyword} at line ${ins.startLine}`;
    const workdir = graph.workdirAt(s, ins.index);
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const dest = argsOf(ins).at(-1);
      const p = dest !== undefined && !dest.includes('$') ? pathOf(dest, workdir) : undefined;
      if (p !== undefined) uses.push({ ins, where: line, verb: `writes ${p}`, path: p, tree: false, repair: true });
    } else if (ins.keyword === 'WORKDIR') {
      const p = graph.workdirAt(s, ins.index + 1);
      if (p !== undefined) uses.push({ ins, where: line, verb: `enters ${p}`, path: p, tree: false, repair: false });
    } else if (ins.keyword === 'RUN') {
      const ctx = scope.step(s, ins.index);
      const run = await scope.commands(ins, ctx);
      if ('reason' in run) continue;
      const vars = stepVars(ctx).vars;
      const targets = mountTargets(ins, vars, workdir).filter((t) => t.target !== undefined);
      const mountedAt = (p: string) => targets.filter((t) => isWithin(p, t.target!)).map((t) => ({ target: t.target!, ...(t.id !== undefined ? { id: t.id } : {}) }));
      const state: RunState = {};
      for (const cmd of run.cmds) {
        uses.push(...cmdUses(cmd, ins, line, scope.tool(s, ins.index), state, mountedAt));
        updateState(cmd, state);
      }
    } else image(ins, s);
  }
  return uses;
}

function cmdUses(cmd: Cmd, ins: Instruction, where: string, tool: ToolContext, state: RunState, mountedAt: (p: string) => { target: string; id?: string }[]): Use[] {
  const out: Use[] = [];
  const writers = writersOf(cmd, tool, state);
  const destWords = new Set(writers.flatMap((w) => w.destWords.map((x) => x.span.start)));
  for (const w of writers) {
    for (const d of w.dests) {
      const m = mountedAt(d);
      if (m.length === 0) out.push({ ins, where, verb: `writes ${d} (${w.what})`, path: d, tree: false, repair: true });
    }
  }
  if (cmd.prog !== undefined && NOT_READERS.has(cmd.prog)) return out;
  const saver = isSaver(cmd);
  const tree = cmd.prog !== undefined && TREE_COPIERS.has(cmd.prog);
  const add = (p: string, verb: string) => {
    const m = mountedAt(p);
    const u: Use = { ins, where, verb, path: p, tree, repair: false, saver };
    if (m.length) u.mounted = m;
    out.push(u);
  };
  for (const w of [...cmd.words.slice(1), ...cmd.assignWords]) {
    if (destWords.has(w.span.start)) continue;
    for (const p of pathWords(w.value, cmd.cwd)) add(p, `${cmd.prog ? `runs ${cmd.prog} on` : 'uses'} ${p}`);
  }
  const prog = cmd.words[0]?.value;
  if (prog?.startsWith('/')) add(cleanPath(prog), `runs ${cleanPath(prog)}`);
  if (cmd.cwd !== undefined && cmd.cwd !== '/') add(cmd.cwd, `runs ${cmd.prog ?? 'a command'} in ${cmd.cwd}`);
  return out;
}

/** The paths a word names: absolute, or relative with a `/` (resolved in `cwd`); `--opt=/x` and `A:B` lists split. */
export function pathWords(value: string | undefined, cwd: string | undefined): string[] {
  if (value === undefined || value === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return [];
  const out: string[] = [];
  // `--opt=/x`, `A=/x`, `/a:/b` lists and whole scripts (`sh -c "cp /x /y"`) name paths piece by piece.
  for (const piece of value.split(/[\s:;,='"()|&<>]+/)) {
    if (piece.startsWith('//')) continue; // the rest of a URL
    if (piece.startsWith('/')) out.push(cleanPath(piece));
    else if (piece.includes('/') && !piece.startsWith('-') && cwd !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(piece)) out.push(resolveIn(cwd, piece));
  }
  return out;
}
