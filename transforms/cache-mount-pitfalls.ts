// cache-mount-pitfalls: RUN cache mounts that lose files. A cache mount's contents are never part of the image,
// so a command that installs or writes into the mounted directory leaves nothing behind:
//
//     RUN --mount=type=cache,target=/pip-packages pip install --target=/pip-packages uwsgi
//
// builds fine and leaves /pip-packages empty. For each RUN cache mount this transform finds the commands of the
// same RUN whose destination lies inside the mount (cache-mount-pitfalls/tools.ts, on the commands read by
// cache-mount-pitfalls/commands.ts) and what later reads that destination from the image (uses.ts). An install
// meant for the image (a prefix, a virtualenv, a built binary, a copy) or a project's dependencies are lost when
// the stage ends up in an image and the RUN neither uses nor copies them out; anything, intermediate output
// included, is lost when a later instruction reads it. Where the fix is unambiguous — the mount serves exactly
// one pip, npm or uv command — the mount moves to that tool's own cache directory (or goes, when that is already
// mounted or the tool's cache is off); everything else is an error-level finding that says why. A pip cache
// mount that pip is told not to use (`--no-cache-dir`, PIP_NO_CACHE_DIR) is a warning. The tools' cache
// directories, the environment official images set and who runs a step come from cache-mounts' tables.

import { classify } from './cache-id-platform.js';
import { cleanPath, isWithin, relation } from '../src/dockerfile/paths.js';
import { stepEnv } from '../src/dockerfile/env.js';
import { buildStageGraph, officialImageName } from '../src/dockerfile/stages.js';
import type { StageGraph } from '../src/dockerfile/stages.js';
import type { Editor } from '../src/dockerfile/edit.js';
import type { DockerfileModel, FileInfo, Instruction, Mount, MountOption, Span, TransformApi, TransformMeta } from '../src/types.js';
import type { Cmd, RunCommands, StepContext, Word } from './cache-mount-pitfalls/commands.js';
import { TOOLS, imageEnv, toolCacheDirs } from './cache-mounts/managers.js';
import type { ToolName } from './cache-mounts/managers.js';
import { readAccounts, runUser } from './cache-mounts/users.js';
import type { AccountCommand, RunUser, UserQuery } from './cache-mounts/users.js';
import { readCommands, stepVars } from './cache-mount-pitfalls/commands.js';
import type { RunState, Tool, ToolContext, Writer, WriterKind } from './cache-mount-pitfalls/tools.js';
import { isSaver, pipCacheUse, pipCall, toolCache, updateState, writersOf } from './cache-mount-pitfalls/tools.js';
import type { Scope, Use } from './cache-mount-pitfalls/uses.js';
import { mountTargets, pathWords, usesAfter } from './cache-mount-pitfalls/uses.js';

export const meta = {
  name: 'cache-mount-pitfalls',
  description: 'Find RUN cache mounts that lose files (a command installs or writes into the mounted directory, whose contents never reach the image) and move them to the tool\'s own cache directory where that is unambiguous; flag pip cache mounts that pip is told not to use',
  recommended: false,
  safety: 'unsafe',
  docs: 'https://docs.docker.com/reference/dockerfile/#run---mounttypecache',
} satisfies TransformMeta;

interface Target {
  mount: Mount;
  target?: string;
  id?: string;
}

interface Finding {
  writer: Writer;
  kind: WriterKind;
  dest: string;
  readers: Use[];
  /** Lost although nothing reads it later: installed for the image, and neither used nor copied out in the RUN. */
  lost: boolean;
}

const TOOL_CACHE: Record<Tool, string> = { pip: "pip's cache directory", npm: "npm's cache directory", uv: "uv's cache directory" };

export default async function transform(file: FileInfo, api: TransformApi): Promise<string | undefined> {
  const model = api.model;
  const runOf = (i: Instruction) => (i.keyword === 'ONBUILD' ? i.trigger : i);
  const hasCache = (i: Instruction) => {
    const r = runOf(i);
    return r?.keyword === 'RUN' && r.mounts.some((m) => m.type === 'cache');
  };
  if (!model.instructions.some(hasCache)) return undefined;

  const graph = buildStageGraph(model);
  const editor = api.edit();
  const memo = new Map<Instruction, Promise<RunCommands | { reason: string }>>();
  const scope: Scope = {
    model,
    graph,
    tool: (s, before) => toolContext(model, graph, s, before),
    step: (s, before) => stepContext(graph, s, before),
    commands: (ins, ctx, owner) => {
      let p = memo.get(ins);
      if (!p) memo.set(ins, (p = readCommands(model, ins, ctx, owner)));
      return p;
    },
  };
  const lastStage = model.stages.length - 1;
  const unknownRefs = graph.nodes.some((n) => n.refs.some((r) => r.unknown));
  // Whether a stage's whole filesystem ends up in an image: the last stage, a base of such a stage, a whole-root
  // `--mount=from`. A stage that is only copied from loses nothing that no COPY --from reads.
  const consumed = (s: number, seen = new Set<number>()): boolean => {
    if (s === lastStage || unknownRefs) return true;
    if (seen.has(s)) return false;
    seen.add(s);
    for (const n of graph.nodes) {
      for (const r of n.refs) {
        if (r.target !== s) continue;
        if (r.kind === 'base' && consumed(n.index, seen)) return true;
        const source = r.kind === 'mount' ? r.mount?.get('source')?.value : undefined;
        if (r.kind === 'mount' && (!source || cleanPath(source) === '/' || cleanPath(source) === '.')) return true;
      }
    }
    return false;
  };
  const cacheMounts = allCacheMounts(model, graph);

  for (const outer of model.instructions) {
    if (!hasCache(outer) || outer.stage < 0 || api.isSuppressed(outer)) continue;
    const onbuild = outer.keyword === 'ONBUILD';
    const ins = runOf(outer)!;
    const s = outer.stage;
    // An ONBUILD trigger runs in a downstream build, after this whole stage: its ENV, USER and WORKDIR.
    const before = onbuild ? undefined : outer.index;
    const ctx = scope.step(s, before);
    const cwd = ctx.cwd;
    const vars = stepVars(ctx).vars;
    const targets: Target[] = mountTargets(ins, vars, cwd);
    const run = await scope.commands(ins, ctx, outer);
    if ('reason' in run) {
      const unsure = targets.filter((t) => t.mount.type === 'cache' && t.target !== undefined && !isToolCache(t.target));
      if (unsure.length) api.report(`cache mount${unsure.length > 1 ? 's' : ''} ${unsure.map((t) => t.target).join(', ')} at line ${outer.startLine} not checked: ${run.reason}`, ins.span);
      continue;
    }
    const tool = scope.tool(s, before);
    const writers: Writer[] = [];
    const state: RunState = {};
    for (const cmd of run.cmds) {
      writers.push(...writersOf(cmd, tool, state));
      updateState(cmd, state);
    }
    let uses: Use[] | undefined;
    const later = async () => (uses ??= await usesAfter(scope, s, onbuild ? undefined : outer));
    const claimed: string[] = [];
    const family = new Set(graph.nodes.filter((n) => graph.chain(n.index).includes(s)).map((n) => n.index));
    const sharedLater = (t: Target) => !onbuild && cacheMounts.some((c) => c.id !== undefined && c.id === t.id && c.ins.index > outer.index && family.has(c.ins.stage));

    for (const t of targets) {
      if (t.mount.type !== 'cache' || t.target === undefined) continue;
      const T = t.target;
      const inside = writers.flatMap((w) => w.dests.filter((d) => isWithin(d, T)).map((dest) => ({ w, dest })));
      if (inside.length === 0) {
        noCacheWarning(api, model, graph, outer, run, t, T);
        continue;
      }
      const allUses = await later();
      const readsMount = usesInRun(run, T, new Set(inside.flatMap((x) => x.w.destWords)), { readersOnly: true }).length > 0;
      const findings: Finding[] = [];
      for (const { w, dest } of inside) {
        // A copy into a mount the RUN also reads from manages the cache (seeding it, saving it for the next
        // build); an install the RUN goes on to use may be a throwaway tool: both count as lost only if read later.
        // Dependencies installed into a project are used implicitly by whatever runs next (`npm ci && npm run
        // build`), and a later RUN that mounts the same cache sees its content: the mount is then working storage.
        let kind: WriterKind = w.kind;
        if ((w.copy && readsMount) || (kind === 'install' && usedLaterInRun(run, w, dest)) || (kind === 'project' && laterCommands(run, w).length > 0) || (kind !== 'output' && sharedLater(t))) kind = 'output';
        const saved = savedInRun(run, w, dest, targets) || allUses.some((u) => u.saver && u.mounted?.some((m) => m.id !== undefined && m.id === t.id) && relation(u.path, dest) !== undefined);
        const repaired = allUses.some((u) => u.repair && relation(u.path, dest) === 'within');
        const readers = repaired
          ? []
          : allUses.filter((u) => {
              if (u.repair || u.mounted) return false;
              const r = relation(u.path, dest);
              return r === 'within' || (r === 'above' && u.tree && kind !== 'output' && !saved);
            });
        const lost = kind !== 'output' && !saved && (onbuild || consumed(s));
        if (readers.length || lost) findings.push({ writer: w, kind, dest, readers: dedupe(readers), lost });
      }
      if (findings.length === 0) continue;
      const problem = describe(model, t, T, findings);
      const plan: Plan = onbuild ? { refuse: 'it is an ONBUILD trigger, which runs in downstream builds' } : planFix(model, editor, ins, run, targets, t, T, inside, findings, cacheMounts, claimed, await whoRuns(scope, s, before));
      if ('refuse' in plan) {
        api.report({ level: 'error', message: `${problem}. ${advice(findings[0]!.writer, run, plan.cacheDir)}.${plan.refuse ? ` Not fixed automatically: ${plan.refuse}.` : ''}`, at: t.mount.flag.span });
        continue;
      }
      const w = findings[0]!.writer;
      if (plan.action === 'move') {
        editor.setMountOption(t.mount, 'target', plan.dir);
        if (plan.id !== undefined) editor.setMountOption(t.mount, 'id', plan.id);
        if (plan.dropId) editor.delete(plan.dropId);
        claimed.push(plan.dir);
        api.report({ message: `moved cache mount ${T} to ${TOOL_CACHE[w.tool!]} ${plan.dir}: ${w.what} (line ${lineOf(model, w.cmd)}) wrote ${w.noun} into the mount, so ${findings[0]!.dest} was empty in the image; now it is part of the layer and the mount caches ${w.tool}'s downloads${plan.dropId ? ` (its id "${t.mount.get('id')?.value}" named the old directory and was dropped, so the mount shares the usual cache of ${w.tool})` : ''}`, at: t.mount.flag.span });
      } else {
        editor.delete(plan.span);
        api.report({ message: `removed cache mount ${T}: ${w.what} (line ${lineOf(model, w.cmd)}) wrote ${w.noun} into the mount, so ${findings[0]!.dest} was empty in the image; ${plan.why}`, at: t.mount.flag.span });
      }
    }
  }
  return editor.size ? editor.apply() : undefined;
}

// --- what is lost ----------------------------------------------------------------------------------------

function lineOf(model: DockerfileModel, cmd: Cmd): number {
  return model.lineOf(cmd.start);
}

function dedupe(uses: Use[]): Use[] {
  const seen = new Set<string>();
  return uses.filter((u) => {
    const k = `${u.ins.index} ${u.verb}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Uses of paths at or below `T` by commands of the RUN, other than the given destination words. */
function usesInRun(run: RunCommands, T: string, except: Set<Word>, opts: { readersOnly: boolean }): { cmd: Cmd; path: string; word?: Word }[] {
  const out: { cmd: Cmd; path: string; word?: Word }[] = [];
  // Housekeeping that works the same on a directory in the image: not a use of the cache.
  const ignore = opts.readersOnly ? ['rm', 'rmdir', 'mkdir', 'echo', 'printf'] : ['mkdir', 'rm', 'rmdir', 'chmod', 'chown', 'chgrp', 'ls', 'touch'];
  for (const cmd of run.cmds) {
    if (cmd.prog !== undefined && ignore.includes(cmd.prog)) continue;
    const exceptStarts = new Set([...except].map((w) => w.span.start));
    for (const w of [...cmd.words, ...cmd.assignWords]) {
      if (exceptStarts.has(w.span.start)) continue;
      for (const p of pathWords(w.value, cmd.cwd)) if (relation(p, T) === 'within') out.push({ cmd, path: p, word: w });
    }
    if (cmd.cwd !== undefined && isWithin(cmd.cwd, T)) out.push({ cmd, path: cmd.cwd });
  }
  return out;
}

/** Commands after `w` in its RUN, other than clean-up and messages. */
function laterCommands(run: RunCommands, w: Writer): Cmd[] {
  return run.cmds.filter((cmd) => {
    if (cmd.start <= w.cmd.start) return false;
    const p = cmd.prog;
    if (p !== undefined && ['rm', 'rmdir', 'mkdir', 'echo', 'printf', 'true', ':', 'set', 'chown', 'chmod', 'ls', 'du', 'exit'].includes(p)) return false;
    const sub = cmd.words[1]?.value;
    if (p !== undefined && ['npm', 'yarn', 'pnpm', 'pip', 'pip3', 'uv', 'composer', 'gem', 'bundle'].includes(p) && ['cache', 'clear-cache', 'clean', 'store'].includes(sub ?? '')) return false;
    return true;
  });
}

/** A later command of the same RUN uses `dest` (runs something from it, reads or copies it, works in it). */
function usedLaterInRun(run: RunCommands, w: Writer, dest: string): boolean {
  for (const cmd of run.cmds) {
    // Housekeeping on the destination (listing it, fixing modes) shows no use of it inside the RUN.
    if (cmd.start <= w.cmd.start || (cmd.prog !== undefined && ['rm', 'rmdir', 'mkdir', 'echo', 'printf', 'ls', 'du', 'stat', 'chmod', 'chown', 'chgrp', 'touch'].includes(cmd.prog))) continue;
    if ([...cmd.words, ...cmd.assignWords].some((x) => pathWords(x.value, cmd.cwd).some((p) => relation(p, dest) === 'within'))) return true;
    if (cmd.cwd !== undefined && isWithin(cmd.cwd, dest)) return true;
  }
  return false;
}

/** A later command of the same RUN carries `dest` (or a directory above it) out of the mount. */
function savedInRun(run: RunCommands, w: Writer, dest: string, targets: Target[]): boolean {
  for (const cmd of run.cmds) {
    if (cmd.start <= w.cmd.start || !isSaver(cmd)) continue;
    const named = [...cmd.words.slice(1), ...cmd.assignWords].some((x) => pathWords(x.value, cmd.cwd).some((p) => relation(p, dest) !== undefined && p !== '/'));
    const inDest = cmd.cwd !== undefined && (isWithin(cmd.cwd, dest) || isWithin(dest, cmd.cwd)) && cmd.cwd !== '/';
    if (!named && !inDest) continue;
    // A copy whose own destination is inside a mount carries nothing into the image.
    const own = writersOf(cmd, {}, {}).filter((x) => x.copy);
    if (own.length && own.every((x) => x.dests.every((d) => targets.some((t) => t.target !== undefined && isWithin(d, t.target))))) continue;
    return true;
  }
  return false;
}

function describe(model: DockerfileModel, t: Target, T: string, findings: Finding[]): string {
  const f = findings[0]!;
  const w = f.writer;
  const id = t.mount.get('id')?.value;
  const mount = `cache mount ${T}${id ? ` (id ${id})` : ''}`;
  let text = `${mount} loses ${w.noun}: ${w.what} (line ${lineOf(model, w.cmd)}) writes ${f.dest} inside the mount, and a cache mount's contents are never part of the image, so they are gone when the RUN ends`;
  const readers = dedupe(findings.flatMap((x) => x.readers));
  if (readers.length) {
    const shown = readers.slice(0, 3).map((u) => `${u.where} ${u.verb}`);
    const more = readers.length > 3 ? ` (and ${readers.length - 3} more)` : '';
    text += ` — yet ${shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : shown[0]}${more}`;
  }
  const others = findings.slice(1).filter((x) => x.writer !== w).map((x) => `${x.writer.what} (line ${lineOf(model, x.writer.cmd)})`);
  if (others.length) text += `; the same goes for ${[...new Set(others)].join(', ')}`;
  return text;
}

/** The package manager (as cache-mounts names it) behind a writer, for advice about its own cache. */
function managerOf(w: Writer): ToolName | undefined {
  if (w.tool) return w.tool;
  const p = w.cmd.prog ?? '';
  const byProg: Record<string, ToolName> = { go: 'go', cargo: 'cargo', mvn: 'maven', mvnw: 'maven', gradle: 'gradle', gradlew: 'gradle', yarn: 'yarn', pnpm: 'pnpm', composer: 'composer', 'composer.phar': 'composer', bundle: 'bundler', gem: 'bundler', uv: 'uv' };
  return Object.hasOwn(byProg, p) ? byProg[p] : pipCall(w.cmd) ? 'pip' : undefined;
}

function advice(w: Writer, run: RunCommands, cacheDir: string | undefined): string {
  const out = w.kind === 'install' && (w.tool === 'pip' || w.tool === 'uv') ? 'or drop the mount' : 'or copy what later steps need out of the mount in the same RUN';
  const env = { vars: w.cmd.env, ...(w.cmd.home !== undefined ? { home: w.cmd.home } : {}) };
  if (w.noun === 'the virtualenv') {
    const pip = run.cmds.some((c) => pipCall(c) !== undefined) ? toolCacheDirs('pip', env) : undefined;
    if (pip) return `Create the virtualenv outside the mount and mount pip's cache${pip.ok ? ` (${pip.dirs.join(', ')})` : ''} for the installs into it instead`;
  }
  if (w.cmd.prog === 'poetry') return `Mount Poetry's download caches instead (~/.cache/pypoetry/cache and ~/.cache/pypoetry/artifacts), ${out}`;
  const tool = managerOf(w);
  if (tool) {
    const dirs = cacheDir !== undefined ? { ok: true as const, dirs: [cacheDir] } : toolCacheDirs(tool, env, tool === 'go' ? { goParts: ['mod', 'build'] } : {});
    return `Mount ${TOOLS[tool].label}'s own cache${dirs.ok ? ` (${dirs.dirs.join(' and ')})` : ''} instead, ${out}`;
  }
  return w.kind === 'install' ? 'Write them to a directory that is not mounted, or copy them out of the mount in the same RUN' : 'Copy what later steps need out of the mount in the same RUN';
}

// --- the fix ---------------------------------------------------------------------------------------------

type Plan = { action: 'move'; dir: string; id?: string; dropId?: Span } | { action: 'remove'; span: Span; why: string } | { refuse: string; cacheDir?: string };

function planFix(
  model: DockerfileModel,
  editor: Editor,
  ins: Instruction,
  run: RunCommands,
  targets: Target[],
  t: Target,
  T: string,
  inside: { w: Writer; dest: string }[],
  findings: Finding[],
  cacheMounts: { ins: Instruction; mount: Mount; id?: string }[],
  claimed: string[],
  who: RunUser,
): Plan {
  const writersInside = [...new Set(inside.map((x) => x.w))];
  const w = writersInside[0]!;
  if (writersInside.length > 1) return { refuse: `${writersInside.length} commands write into the mount` };
  if (!w.tool || w.kind === 'output') return { refuse: '' };
  const tool = w.tool;
  // Which directory the tool caches in, for the very command that writes into the mount.
  const cache = toolCache(w, who);
  const cacheDir = cache.dir;
  const off = cache.off;
  const refuse = (reason: string): Plan => (cacheDir !== undefined ? { refuse: reason, cacheDir } : { refuse: reason });

  const m = t.mount;
  for (const key of ['from', 'source', 'readonly']) if (m.get(key)) return refuse(`the mount has ${key}=${m.get(key)!.value ?? ''}`.replace(/=$/, ''));
  const others = usesInRun(run, T, new Set(w.destWords), { readersOnly: false }).filter((u) => u.cmd !== w.cmd || u.word !== undefined);
  if (others.length) {
    const o = others[0]!;
    return refuse(`${o.cmd.prog ?? 'a command'} at line ${lineOf(model, o.cmd)} also uses ${o.path}`);
  }
  const opaque = run.opaque.find((x) => {
    let raw = x.raw;
    const opt = /^-{1,2}[\w-]+=/.exec(raw);
    if (opt) raw = raw.slice(opt[0].length);
    else if (raw.startsWith('-')) return false;
    return /^["']?[$~]/.test(raw) || raw.includes('/');
  });
  if (opaque) return refuse(`${opaque.raw} at line ${model.lineOf(opaque.span.start)} may name the mount's directory, and its value is not known here`);
  if (t.id === undefined) return refuse(`its id uses variables whose values are not known here`);
  const shared = cacheMounts.find((c) => c.mount !== m && (c.id === undefined || c.id === t.id));
  if (shared) return refuse(`${shared.ins.keyword} at line ${shared.ins.startLine} mounts ${shared.id === undefined ? 'a cache whose id is not known here (it may be the same)' : `the same cache (id ${t.id})`}`);

  // Neither a move nor a removal edits a mount whose text is not what BuildKit reads, or a protected region.
  if (m.flag.quoted) return refuse('the mount uses quotes or escapes');
  const blocked = editor.protectedReason(m.flag.span);
  if (blocked) return refuse(blocked);

  // Keep the tool's cache mounted when it is already, or when its cache is off: then the mount just goes.
  const covering = targets.find((o) => o !== t && o.target !== undefined && cacheDir !== undefined && isWithin(cacheDir, o.target));
  if (off || (covering && covering.mount.type === 'cache') || (cacheDir !== undefined && claimed.includes(cacheDir))) {
    const why = off ?? `${TOOL_CACHE[tool]} ${cacheDir} is already mounted${covering && covering.target !== cacheDir ? ` (cache mount ${covering.target})` : ''}`;
    const span = flagRemoval(model, ins, m);
    if ('reason' in span) return refuse(span.reason);
    return { action: 'remove', span, why };
  }
  if (cacheDir === undefined) {
    return refuse(cache.reason ?? `${TOOL_CACHE[tool]} is not known here`);
  }
  if (covering) return refuse(`${covering.mount.type} mount ${covering.target} already covers ${cacheDir}`);
  const under = targets.find((o) => o !== t && o.target !== undefined && isWithin(o.target, cacheDir!));
  if (under) return refuse(`another mount (${under.target}) lies inside ${cacheDir}`);
  if (isWithin(cacheDir, T) || isWithin(T, cacheDir) || w.dests.some((d) => isWithin(cacheDir!, d) || isWithin(d, cacheDir!))) return refuse(`${TOOL_CACHE[tool]} ${cacheDir} overlaps the destination`);

  // The id: BuildKit's default is the target, so a mount without one moves to the tool's usual cache. An id
  // derived from the old target (as cache-id-platform writes it: `<target>-${TARGETPLATFORM}`) follows the
  // move; an id that names the old directory (`id=pip-packages`) would label the tool's cache misleadingly and
  // goes, so the mount joins the tool's usual cache; any other id stays.
  const idOpt = m.get('id');
  const targetOpt = m.get('target')!;
  let id: string | undefined;
  let dropId: Span | undefined;
  if (idOpt?.value) {
    const old = cleanPath(targetOpt.value!);
    const base = T.split('/').pop() ?? '';
    if (idOpt.value === old || idOpt.value.startsWith(`${old}-`)) id = cacheDir + idOpt.value.slice(old.length);
    else if (base.length >= 3 && idOpt.value.toLowerCase().includes(base.toLowerCase())) {
      const span = optionRemoval(model, m, idOpt);
      if (!span) return refuse(`its id "${idOpt.value}" names the old directory and cannot be removed cleanly`);
      dropId = span;
    }
  }
  if (targetOpt.crossesLines || ((id !== undefined || dropId) && idOpt?.crossesLines)) return refuse('the mount continues over lines');
  const plan: Plan = { action: 'move', dir: cacheDir };
  if (id !== undefined) plan.id = id;
  if (dropId) plan.dropId = dropId;
  return plan;
}

/** The span that removes one option of a mount with its comma; undefined when that is not clean. */
function optionRemoval(model: DockerfileModel, mount: Mount, opt: MountOption): Span | undefined {
  if (opt.crossesLines || mount.flag.quoted) return undefined;
  const text = model.source.text;
  if (text[opt.span.start - 1] === ',') return { start: opt.span.start - 1, end: opt.span.end };
  if (text[opt.span.end] === ',') return { start: opt.span.start, end: opt.span.end + 1 };
  return undefined;
}

/** The span that removes a `--mount` flag with the blanks (and continuations) up to the next word. */
function flagRemoval(model: DockerfileModel, ins: Instruction, mount: Mount): Span | { reason: string } {
  const flag = mount.flag;
  if (flag.crossesLines) return { reason: 'the mount continues over lines' };
  const next = [...ins.flags.map((f) => f.span.start), ins.argsSpan?.start ?? Infinity, ...ins.heredocs.map((h) => h.markerSpan.start)].filter((o) => o > flag.span.start);
  const end = Math.min(...next);
  if (!Number.isFinite(end)) return { reason: 'nothing follows the mount' };
  const gap = model.source.text.slice(flag.span.end, end);
  if (!/^[\s\\`]*$/.test(gap)) return { reason: 'a comment follows the mount' };
  return { start: flag.span.start, end };
}

// --- pip's cache switched off ----------------------------------------------------------------------------

/** Programs that may use pip's cache without showing a pip command (they run pip, or run scripts). */
const MAY_RUN_PIP = new Set(['pipenv', 'pip-compile', 'pip-sync', 'tox', 'nox', 'hatch', 'make', 'sh', 'bash', 'ash', 'dash', 'zsh', 'xargs', 'find', 'su', 'runuser', 'setpriv', 'gosu', 'su-exec']);

function noCacheWarning(api: TransformApi, model: DockerfileModel, graph: StageGraph, outer: Instruction, run: RunCommands, t: Target, T: string): void {
  const pips: { cmd: Cmd; use: NonNullable<ReturnType<typeof pipCacheUse>> }[] = [];
  for (const cmd of run.cmds) {
    const call = pipCall(cmd);
    const use = call && pipCacheUse(cmd, call);
    if (use && use.dir === T) pips.push({ cmd, use });
  }
  if (pips.length === 0 || pips.some((p) => !p.use.disabled)) return;
  for (const cmd of run.cmds) {
    const p = cmd.prog;
    if (p === undefined || MAY_RUN_PIP.has(p) || p.endsWith('.sh') || (cmd.words[0]?.value ?? '').startsWith('.')) return;
    const w = cmd.words.map((x) => x.value);
    if (/^python(\d+(\.\d+)*)?$/.test(p) && w[1] === '-m' && ['pipenv', 'piptools', 'tox', 'nox', 'hatch'].includes(w[2] ?? '')) return;
  }
  const first = pips[0]!;
  let why: string;
  if (first.use.disabled!.by === 'flag') why = `${pipCall(first.cmd)!.label} --no-cache-dir (line ${lineOf(model, first.cmd)}) does not use pip's cache`;
  else {
    const value = first.cmd.env.get('PIP_NO_CACHE_DIR');
    why = `PIP_NO_CACHE_DIR=${value ?? '…'} (${whereSet(model, graph, outer, first.cmd, 'PIP_NO_CACHE_DIR')}) turns pip's cache off — whatever its value, even 0 or false`;
  }
  const fixes = first.use.disabled!.by === 'flag' ? 'drop --no-cache-dir (the mount keeps the cache out of the image anyway) or drop the mount' : 'unset PIP_NO_CACHE_DIR for this RUN (the mount keeps the cache out of the image anyway) or drop the mount';
  api.report({ level: 'warning', message: `cache mount ${T} does nothing: ${why}. ${fixes[0]!.toUpperCase()}${fixes.slice(1)}`, at: t.mount.flag.span });
}

/** Where an environment variable of a command comes from, for messages. */
function whereSet(model: DockerfileModel, graph: StageGraph, outer: Instruction, cmd: Cmd, name: string): string {
  const text = model.source.text;
  if (cmd.assignWords.some((w) => text.slice(w.span.start - name.length - 1, w.span.start) === `${name}=`)) return 'set on the command';
  const chain = graph.chain(outer.stage);
  let found: Instruction | undefined;
  for (const s of chain) {
    for (const i of graph.nodes[s]!.stage.instructions) {
      if (s === outer.stage && i.index >= outer.index) break;
      if ((i.keyword === 'ENV' || i.keyword === 'ARG') && i.args.some((a) => a.value === name || a.value.startsWith(`${name}=`))) found = i;
    }
  }
  if (found && stepEnv(graph, outer.stage, outer.index).vars.has(name)) return `${found.keyword} at line ${found.startLine}`;
  return 'set in the RUN';
}

// --- helpers ---------------------------------------------------------------------------------------------

/** A target cache-id-platform's table knows as a tool's own cache (apt, pip, Go, …), not an install directory. */
function isToolCache(target: string): boolean {
  const known = classify(target);
  return known !== undefined && !/node_modules|venv|virtualenv|target|bundle|cargo\/bin|\/usr\/local\/cargo|pear/.test(known.paths);
}

/** Who runs a step, from USER, the accounts earlier RUNs of the stage chain create and what official images define. */
async function whoRuns(scope: Scope, stage: number, before: number | undefined): Promise<RunUser> {
  const { graph } = scope;
  const accounts: AccountCommand[] = [];
  for (const st of graph.chain(stage)) {
    for (const ins of graph.nodes[st]!.stage.instructions) {
      if (st === stage && before !== undefined && ins.index >= before) break;
      if (ins.keyword !== 'RUN') continue;
      const r = await scope.commands(ins, scope.step(st, ins.index));
      if ('reason' in r) continue;
      for (const c of r.cmds) if (c.prog && ['useradd', 'adduser', 'groupadd', 'addgroup'].includes(c.prog)) accounts.push({ argv: c.words.map((w) => w.value), at: 0, prog: c.prog });
    }
  }
  const ctx = scope.step(stage, before);
  const root = graph.root(stage);
  const q: UserQuery = { vars: ctx.vars, accounts: readAccounts(accounts) };
  if (ctx.user !== undefined) q.user = ctx.user;
  if (root.kind === 'image') q.rootImage = root.ref;
  if (root.kind === 'scratch') q.scratch = true;
  return runUser(q);
}

/** ENV/ARG values over what a known official base image sets (GOPATH, CARGO_HOME, GEM_HOME …), USER, WORKDIR. */
function stepContext(graph: StageGraph, stage: number, before?: number): StepContext {
  const env = stepEnv(graph, stage, before);
  const root = graph.root(stage);
  const vars = new Map<string, string>(Object.entries(root.kind === 'image' ? (imageEnv(root.ref) ?? {}) : {}));
  for (const [k, v] of env.vars) vars.set(k, v);
  const ctx: StepContext = { vars };
  if (env.user !== undefined) ctx.user = env.user;
  const cwd = graph.workdirAt(stage, before);
  if (cwd !== undefined) ctx.cwd = cwd;
  return ctx;
}

function toolContext(model: DockerfileModel, graph: StageGraph, stage: number, before?: number): ToolContext {
  const ctx: ToolContext = {};
  const root = graph.root(stage);
  if (root.kind === 'image') {
    const name = officialImageName(root.ref);
    if (name !== undefined) ctx.image = name;
  }
  for (const s of graph.chain(stage)) {
    for (const i of graph.nodes[s]!.stage.instructions) {
      if (s === stage && before !== undefined && i.index >= before) break;
      if (i.keyword === 'RUN' && /\bgo\s+env\s+-w\b/.test(model.source.text.slice(i.span.start, i.span.end))) ctx.goEnvWritten = true;
    }
  }
  return ctx;
}

function allCacheMounts(model: DockerfileModel, graph: StageGraph): { ins: Instruction; mount: Mount; id?: string }[] {
  const out: { ins: Instruction; mount: Mount; id?: string }[] = [];
  for (const outer of model.instructions) {
    const ins = outer.keyword === 'ONBUILD' ? outer.trigger : outer;
    if (ins?.keyword !== 'RUN' || outer.stage < 0) continue;
    const ctx = stepContext(graph, outer.stage, outer.keyword === 'ONBUILD' ? undefined : outer.index);
    const cwd = ctx.cwd;
    const vars = stepVars(ctx).vars;
    for (const t of mountTargets(ins, vars, cwd)) if (t.mount.type === 'cache') out.push({ ins: outer, mount: t.mount, ...(t.id !== undefined ? { id: t.id } : {}) });
  }
  return out;
}
