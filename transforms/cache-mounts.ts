// cache-mounts: give RUN instructions that install dependencies the BuildKit cache mounts of their package
// managers (`RUN --mount=type=cache,target=/root/.cache/pip pip install …`), so downloads survive between
// builds without being part of the image, and drop what the mount makes pointless in the same RUN
// (`--no-cache-dir`, `apt-get clean`, `rm -rf /var/lib/apt/lists/*`, …) where that cannot grow the image.
//
// The knowledge (commands, cache directories per environment) is in cache-mounts/managers.ts; who runs a step
// in cache-mounts/users.ts; commands and clean-ups of one RUN in cache-mounts/run.ts. This module decides per
// stage chain and edits:
//
//  1. read every RUN (tree-sitter-bash through src/shell) and what each command uses;
//  2. per RUN and tool: the cache directories (user, HOME, ENV), the mounts it already has, clean-ups that
//     would break a mount (rm of a mount point or a directory above it) — or a reason to leave it alone;
//  3. ids and ARGs as cache-id-platform gives them; readers of the cache after the RUN (COPY --from, RUN
//     --mount=from, a CMD that runs the tool), offline commands that need what an earlier step cached;
//  4. tools whose later steps read the cache (apt lists, Go modules, …): every RUN of the stage chain gets
//     the mount, or none does; apt: docker-clean is disabled once before the first mounted apt RUN;
//  5. a syntax directive that supports RUN --mount (reusing syntax-directive), then the edits.

import { platformIdFor, syntaxSupportsMountVariables } from './cache-id-platform.js';
import { directiveOffset, syntaxVersionOption, windowsSignal } from './syntax-directive.js';
import { cleanPath, isAncestor, isWithin, resolveIn } from '../src/dockerfile/paths.js';
import { expandVars, stepEnv } from '../src/dockerfile/env.js';
import { buildStageGraph, couldNameStage } from '../src/dockerfile/stages.js';
import type { StageGraph } from '../src/dockerfile/stages.js';
import type { Editor } from '../src/dockerfile/edit.js';
import { readRunScript } from '../src/shell/run.js';
import type { ShellScript } from '../src/shell/bash.js';
import type { DockerfileModel, FileInfo, Instruction, Mount, Span, Stage, TransformApi, TransformMeta } from '../src/types.js';
import { TOOLS, type ToolName, UNHANDLED, imageEnv, recognise, rpmCacheDir, toolCacheDirs, unhandledInstall } from './cache-mounts/managers.js';
import { type Cmd, type ScriptVars, cleanups, execWords, readCommands, scriptVars } from './cache-mounts/run.js';
import { type AccountCommand, type RunUser, readAccounts, runUser } from './cache-mounts/users.js';

export const meta = {
  name: 'cache-mounts',
  description: 'Add BuildKit cache mounts (RUN --mount=type=cache) for the package managers a RUN uses — apt, apk, dnf/yum, pip, uv, npm, Yarn 1, pnpm, Go, Cargo, Maven, Gradle, Composer, Bundler — and drop the cache-defeating flags and clean-ups they make pointless',
  recommended: false,
  safety: 'unsafe',
  readsContext: true,
  docs: 'https://docs.docker.com/build/cache/optimize/#use-cache-mounts',
  options: {
    managers: {
      type: 'string',
      description: 'Comma-separated package managers to handle (apt, apk, dnf, yum, pip, uv, npm, yarn, pnpm, go, cargo, maven, gradle, composer, bundler); default all',
      default: 'all',
    },
  },
} satisfies TransformMeta;

const ALL_TOOLS = Object.keys(TOOLS) as ToolName[];

/** The docker-clean switch-off Docker documents for apt cache mounts. */
export const KEEP_CACHE_RUN = `RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache`;
const KEEP_CACHE_DONE = /docker-clean|Keep-Downloaded-Packages/;

/** Variables a RUN must not set itself for a tool's cache location to be known. */
const TOOL_VARS: Record<ToolName, string[]> = {
  apt: [],
  apk: [],
  dnf: [],
  yum: [],
  pip: ['PIP_CACHE_DIR', 'PIP_NO_CACHE_DIR'],
  uv: ['UV_CACHE_DIR', 'UV_NO_CACHE'],
  npm: ['npm_config_cache', 'NPM_CONFIG_CACHE'],
  yarn: ['YARN_CACHE_FOLDER'],
  pnpm: ['PNPM_HOME', 'npm_config_store_dir', 'NPM_CONFIG_STORE_DIR'],
  go: ['GOPATH', 'GOMODCACHE', 'GOCACHE', 'GOFLAGS', 'GOPROXY'],
  cargo: ['CARGO_HOME'],
  maven: ['MAVEN_OPTS', 'MAVEN_ARGS'],
  gradle: ['GRADLE_USER_HOME', 'GRADLE_OPTS'],
  composer: ['COMPOSER_HOME', 'COMPOSER_CACHE_DIR'],
  bundler: ['GEM_HOME', 'BUNDLE_PATH', 'BUNDLE_DEPLOYMENT'],
};
const USER_VARS = ['HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME'];

/** Unreadable RUNs: which tools they seem to run (to refuse chained tools with the reason). */
const HINTS: [ToolName, RegExp][] = [
  ['apt', /\b(apt-get|aptitude|apt-cache|apt-mark|install_packages)\b|\bapt\s+(install|update|upgrade|full-upgrade|dist-upgrade|remove|purge)\b/],
  ['apk', /\bapk\s+(\S+\s+)*?(add|update|upgrade)\b/],
  ['dnf', /\b(dnf5?|dnf-3)\s/],
  ['yum', /\byum\s/],
  ['pip', /\bpip3?(\.\d+)?\s+(\S+\s+)*?(install|download|wheel)\b|-m\s+pip\b/],
  ['uv', /\buv\s+(sync|pip|add|lock|tool|run)\b/],
  ['npm', /\bnpm\s+(ci|i|install|update|add)\b/],
  ['yarn', /\byarn(pkg)?\b/],
  ['pnpm', /\bpnpm\s+(install|i|add|fetch|update|deploy)\b/],
  ['go', /\bgo\s+(build|install|mod|get|test|run|vet|generate|list)\b/],
  ['cargo', /\bcargo\s/],
  ['maven', /\bmvnw?\b/],
  ['gradle', /\bgradlew?\b/],
  ['composer', /\bcomposer(\.phar)?\s/],
  ['bundler', /\b(bundle|gem)\s+install\b/],
];

interface MountSpec {
  target: string;
  id?: string;
  sharing?: string;
  uid?: number;
  gid?: number;
  /** ARGs the stage must declare for the id. */
  declare: string[];
}

type State = 'add' | 'covered' | 'refuse';

interface Plan {
  tool: ToolName;
  state: State;
  reason?: string;
  /** Set when a chain rule refused it (the message is given once per chain). */
  chainRefused?: boolean;
  dirs: string[];
  /** Directories to mount (not covered by a mount the RUN already has), with their mount options. */
  specs: MountSpec[];
  /** Existing mounts covering the tool's directories: target and cache key (id or target). */
  existing: { dir: string; target: string; key: string }[];
  user?: RunUser;
}

interface Run {
  outer: Instruction;
  ins: Instruction;
  stage: number;
  onbuild: boolean;
  suppressed: boolean;
  form?: 'shell' | 'heredoc' | 'exec';
  script?: ShellScript;
  unreadable?: string;
  hints: ToolName[];
  cmds: Cmd[];
  /** Tools the RUN uses (commands that read or fill the cache), in order of first use. */
  tools: ToolName[];
  plans: Map<ToolName, Plan>;
  vars?: ScriptVars;
  /** Pipes a downloaded script into a shell in an apt chain (treated as an apt RUN). */
  fetchedScript?: boolean;
  /** An unreadable RUN that a chain refusal already names. */
  namedInChain?: boolean;
}

interface Ctx {
  file: FileInfo;
  api: TransformApi;
  model: DockerfileModel;
  graph: StageGraph;
  options: Record<string, unknown>;
  selected: Set<ToolName>;
  editor: Editor;
  runs: Run[];
  yarnFlavour?: { classic: boolean; reason?: string };
  /** Stage index → its tree (stages connected by FROM); -1 = one group for the whole file. */
  tree: (stage: number) => number;
  descendants: (stage: number) => Set<number>;
}

export default async function transform(file: FileInfo, api: TransformApi, options: Record<string, unknown>): Promise<string | undefined> {
  const model = api.model;
  const selected = selectTools(options.managers);
  if (!model.instructions.some((i) => i.keyword === 'RUN' || (i.keyword === 'ONBUILD' && i.trigger?.keyword === 'RUN'))) return undefined;
  const graph = buildStageGraph(model);
  const globalTree = graph.nodes.some((n) => n.base.kind === 'arg' && couldNameStage(n.base.ref));
  const ctx: Ctx = {
    file,
    api,
    model,
    graph,
    options,
    selected,
    editor: api.edit(),
    runs: [],
    tree: (s) => (globalTree ? -1 : graph.chain(s)[0]!),
    descendants: (s) => new Set(graph.nodes.filter((n) => n.index !== s && graph.chain(n.index).includes(s)).map((n) => n.index)),
  };

  await readRuns(ctx);
  if (!ctx.runs.some((r) => r.tools.length || r.hints.length)) return undefined;
  markFetchedScripts(ctx);
  const windows = windowsSignal(model);
  if (windows) {
    api.skip(`left alone: this looks like a Windows container image (${windows}); RUN --mount needs a Linux BuildKit builder`);
    return undefined;
  }

  for (const run of ctx.runs) planRun(ctx, run);
  for (const run of ctx.runs) settleCleanups(ctx, run);
  checkReaders(ctx);
  checkChains(ctx);
  const keepCache = planKeepCache(ctx);
  reportUnhandled(ctx);

  const adding = ctx.runs.filter((r) => [...r.plans.values()].some((p) => p.state === 'add'));
  for (const run of ctx.runs) reportPlans(ctx, run);
  if (adding.length === 0) return undefined;

  // The frontend must support RUN --mount (and variables in mount options for platform ids).
  const needsVars = adding.some((r) => [...r.plans.values()].some((p) => p.state === 'add' && p.specs.some((s) => s.id?.includes('$'))));
  const syntax = model.directives.find((d) => d.name === 'syntax');
  let syntaxLine: string | undefined;
  if (syntax) {
    const why = syntaxProblem(syntax.value, needsVars);
    if (why) {
      api.skip(`left alone: ${why}; cache mounts were not added — use docker/dockerfile:1`, syntax.span);
      return undefined;
    }
  } else {
    const version = syntaxVersionOption(options);
    const why = syntaxProblem(`docker/dockerfile:${version}`, needsVars);
    if (why) {
      api.skip(`left alone: --syntax-version=${version}: ${why}`);
      return undefined;
    }
    syntaxLine = `# syntax=docker/dockerfile:${version}`;
  }

  const editor = ctx.editor;
  const inserts = new Map<number, string[]>();
  const insertAt = (offset: number, line: string) => {
    const list = inserts.get(offset) ?? [];
    list.push(line);
    inserts.set(offset, list);
  };
  // ARGs after each stage's FROM, like cache-id-platform.
  const declare = new Map<number, Set<string>>();
  for (const run of adding) {
    for (const p of run.plans.values()) {
      if (p.state !== 'add') continue;
      for (const s of p.specs) for (const a of s.declare) {
        const set = declare.get(run.stage) ?? new Set<string>();
        set.add(a);
        declare.set(run.stage, set);
      }
    }
  }
  for (const [stage, names] of declare) {
    const from = model.stages[stage]!.from;
    const order = ['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT'];
    insertAt(from.lineEnd, from.indent + `ARG ${[...names].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(' ')}`);
  }
  for (const ins of keepCache) insertAt(lineStartAbove(model, ins), ins.indent + KEEP_CACHE_RUN);
  for (const [offset, lines] of inserts) {
    const atEof = offset === model.source.text.length && !model.source.text.endsWith('\n');
    editor.insert(offset, atEof ? lines.map((l) => model.source.eol + l).join('') : lines.map((l) => l + model.source.eol).join(''));
  }
  for (const run of adding) editRun(ctx, run);
  if (syntaxLine !== undefined) {
    const at = directiveOffset(model);
    if (at === undefined) return undefined;
    editor.insert(at, syntaxLine + model.source.eol);
  }
  return editor.apply();
}

function selectTools(value: unknown): Set<ToolName> {
  if (value === undefined || value === 'all' || value === true) return new Set(ALL_TOOLS);
  const out = new Set<ToolName>();
  for (const w of String(value).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (!(ALL_TOOLS as string[]).includes(w)) throw new Error(`--managers: unknown package manager "${w}" (known: ${ALL_TOOLS.join(', ')})`);
    out.add(w as ToolName);
    if (w === 'dnf') out.add('yum');
    if (w === 'yum') out.add('dnf');
  }
  return out;
}

/** Why a `# syntax=` value cannot be used for RUN --mount (with variables in mount options when `vars`). */
export function syntaxProblem(value: string, vars: boolean): string | undefined {
  const m = /(?:^|\/)dockerfile(?:-upstream)?:([^@\s]+)/.exec(value);
  if (!m) return `# syntax=${value} is a frontend whose support for RUN --mount is not known`;
  const tag = m[1]!;
  const v = /^(\d+)(?:\.(\d+))?/.exec(tag);
  if (v) {
    const major = Number(v[1]);
    const minor = v[2] === undefined ? undefined : Number(v[2]);
    const experimental = /experimental|labs/.test(tag);
    const mounts = major > 1 || (major === 1 && (minor === undefined || minor >= 2 || experimental));
    if (!mounts) return `# syntax=${value} predates RUN --mount (docker/dockerfile 1.2)`;
  } else if (tag !== 'experimental' && !/^(master|latest|labs|mainline|\w+-labs)$/.test(tag)) {
    return `# syntax=${value} is a docker/dockerfile tag whose support for RUN --mount is not known`;
  }
  if (vars && syntaxSupportsMountVariables(value) === false) return `# syntax=${value} predates variables in --mount options (docker/dockerfile 1.3), which the platform-scoped cache ids need`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// 1. Reading

async function readRuns(ctx: Ctx): Promise<void> {
  const { model, api } = ctx;
  for (const outer of model.instructions) {
    const onbuild = outer.keyword === 'ONBUILD';
    const ins = onbuild ? outer.trigger : outer;
    if (!ins || ins.keyword !== 'RUN' || outer.stage < 0) continue;
    const run: Run = { outer, ins, stage: outer.stage, onbuild, suppressed: api.isSuppressed(outer), hints: [], cmds: [], tools: [], plans: new Map() };
    const read = await readRunScript(model, ins, outer);
    const text = model.source.text.slice(ins.span.start, ins.span.end);
    if (!read.ok) run.unreadable = read.reason;
    else if (read.form === 'exec') {
      run.form = 'exec';
      const argv = read.argv;
      if (/^(\/(usr\/)?bin\/)?(sh|bash|ash|dash)$/.test(argv[0] ?? '') && argv.includes('-c')) run.unreadable = 'an exec-form RUN that runs a shell script (sh -c) is not read';
      else {
        const words = execWords(argv);
        if (words) {
          const c: Cmd = { words };
          const u = recognise(words);
          if (u) c.use = u;
          run.cmds.push(c);
        }
      }
    } else {
      run.form = read.form;
      run.script = read.script;
      run.cmds = readCommands(read.script);
      run.vars = scriptVars(read.script);
    }
    if (run.unreadable) run.hints = HINTS.filter(([t, re]) => ctx.selected.has(t) && re.test(text)).map(([t]) => t);
    for (const c of run.cmds) {
      if (c.use?.kind === 'cache' && ctx.selected.has(c.use.tool) && !run.tools.includes(c.use.tool)) run.tools.push(c.use.tool);
    }
    ctx.runs.push(run);
  }
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh']);
const FETCHERS = new Set(['curl', 'wget']);

/**
 * A RUN that pipes a downloaded script into a shell (`curl -fsSL https://deb.nodesource.com/setup_20.x | bash -`)
 * in a stage chain that uses apt: such setup scripts run `apt-get update` (and often install), so the RUN gets the
 * apt mounts like any apt RUN — else its package lists would go to the image, unseen by the mounted RUNs after it.
 */
function markFetchedScripts(ctx: Ctx): void {
  if (!ctx.selected.has('apt')) return;
  const aptTrees = new Set(ctx.runs.filter((r) => r.tools.includes('apt') || r.hints.includes('apt')).map((r) => ctx.tree(r.stage)));
  for (const run of ctx.runs) {
    if (!aptTrees.has(ctx.tree(run.stage))) continue;
    const piped = run.cmds.some((c) => FETCHERS.has(c.words.prog) && c.shell?.within.includes('pipeline'));
    const shells = run.cmds.filter((c) => SHELLS.has(c.words.prog) && !c.use && ((piped && c.shell?.within.includes('pipeline')) || c.shell?.words.some((w) => /\$\(\s*(curl|wget)\b/.test(w.raw))));
    if (shells.length === 0) continue;
    // Counted as an `apt-get update` too: `curl … | bash - && apt-get install -y nodejs` relies on it.
    for (const c of shells) c.use = { tool: 'apt', kind: 'cache', sub: 'a downloaded setup script', updatesLists: true, dirs: {}, defeats: [], defeatAssigns: [] };
    if (!run.tools.includes('apt')) {
      run.tools.push('apt');
      run.fetchedScript = true;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. Per RUN and tool

function refuse(plan: Plan, reason: string): void {
  if (plan.state === 'refuse') return;
  plan.state = 'refuse';
  plan.reason = reason;
}

/** Instructions of the stage chain before `outer` (ancestors whole, then the stage up to it), in order. */
function chainBefore(ctx: Ctx, stage: number, index: number): Instruction[] {
  const out: Instruction[] = [];
  for (const s of ctx.graph.chain(stage)) {
    for (const i of ctx.model.stages[s]!.instructions) {
      if (s === stage && i.index >= index) break;
      out.push(i);
    }
  }
  return out;
}

function runsBefore(ctx: Ctx, run: Run): Run[] {
  const before = new Set(chainBefore(ctx, run.stage, run.outer.index));
  return ctx.runs.filter((r) => before.has(r.outer) && !r.onbuild);
}

function rootImage(ctx: Ctx, stage: number): { ref?: string; scratch: boolean; arg: boolean } {
  const r = ctx.graph.root(stage);
  if (r.kind === 'image') return { ref: r.ref, scratch: false, arg: false };
  if (r.kind === 'scratch') return { scratch: true, arg: false };
  return { scratch: false, arg: true };
}

function envFor(ctx: Ctx, run: Run): Map<string, string> {
  const vars = new Map<string, string>();
  const root = rootImage(ctx, run.stage);
  if (root.ref !== undefined) for (const [k, v] of Object.entries(imageEnv(root.ref) ?? {})) vars.set(k, v);
  for (const [k, v] of stepEnv(ctx.graph, run.stage, run.outer.index).vars) vars.set(k, v);
  return vars;
}

function planRun(ctx: Ctx, run: Run): void {
  const { model, graph } = ctx;
  for (const tool of run.tools) {
    const plan: Plan = { tool, state: 'add', dirs: [], specs: [], existing: [] };
    run.plans.set(tool, plan);
  }
  if (run.tools.length === 0) return;
  const all = [...run.plans.values()];
  if (run.onbuild) return all.forEach((p) => refuse(p, 'it is an ONBUILD trigger: it runs in the builds that use this image, whose stage, user and frontend are not known here'));
  if (run.suppressed) return all.forEach((p) => refuse(p, 'the instruction is suppressed by "# dockshift-ignore"'));
  const protectedWhy = ctx.editor.protectedReason({ start: run.outer.lineStart, end: run.outer.span.end });
  if (protectedWhy) return all.forEach((p) => refuse(p, protectedWhy));

  const vars = envFor(ctx, run);
  const env = stepEnv(graph, run.stage, run.outer.index);
  const root = rootImage(ctx, run.stage);
  const earlier = runsBefore(ctx, run);
  const accounts = readAccounts(earlier.flatMap((r) => r.cmds).filter((c) => ['useradd', 'adduser', 'groupadd', 'addgroup'].includes(c.words.prog)).map((c): AccountCommand => ({ argv: c.words.argv, at: c.words.at, prog: c.words.prog })));
  const provenRoot = earlier.some((r) => r.cmds.some((c) => c.use?.kind === 'cache' && TOOLS[c.use.tool].system && !c.words.sudo));
  const userQuery = { vars, accounts, provenRoot, scratch: root.scratch, ...(env.user !== undefined ? { user: env.user } : {}), ...(root.ref !== undefined ? { rootImage: root.ref } : {}) };
  const user = runUser(userQuery);
  const chainText = earlier.map((r) => model.source.text.slice(r.ins.span.start, r.ins.span.end)).join('\n');
  const chainAll = chainBefore(ctx, run.stage, run.outer.index).map((i) => model.source.text.slice(i.span.start, i.span.end)).join('\n');
  const runText = model.source.text.slice(run.ins.span.start, run.ins.span.end);
  const workdir = graph.workdirAt(run.stage, run.outer.index);

  // The mounts the RUN already has, as absolute targets.
  const existing: { target: string; key: string; mount: Mount }[] = [];
  for (const m of run.ins.mounts) {
    const raw = m.get('target')?.value;
    if (raw === undefined) continue;
    const x = m.flag.quoted ? undefined : expandVars(raw, vars);
    const abs = x === undefined ? undefined : x.startsWith('/') ? cleanPath(x) : workdir !== undefined ? resolveIn(workdir, x) : undefined;
    if (abs === undefined) return all.forEach((p) => refuse(p, `it already has a --mount whose target ${raw} is not known here`));
    existing.push({ target: abs, key: m.type === 'cache' ? (m.get('id')?.value || cleanPath(raw)) : `${m.type}:${abs}`, mount: m });
  }

  for (const plan of all) {
    const tool = plan.tool;
    const info = TOOLS[tool];
    const uses = run.cmds.filter((c) => c.use?.tool === tool && c.use.kind === 'cache');
    const refused = uses.find((c) => c.use!.refuse);
    if (refused) {
      refuse(plan, refused.use!.refuse!);
      continue;
    }
    // Who runs it.
    let home: string | undefined;
    let rootUser = true;
    if (!info.system) {
      const sudoOther = uses.find((c) => c.words.sudo && c.words.sudoUser !== undefined && c.words.sudoUser !== 'root');
      if (sudoOther) {
        refuse(plan, `it runs ${info.label} as another user (sudo -u)`);
        continue;
      }
      if (user.kind === 'unknown') {
        refuse(plan, `${info.label} keeps its cache per user: ${user.reason}`);
        continue;
      }
      if (user.kind === 'user' && uses.some((c) => c.words.sudo)) {
        refuse(plan, `it runs ${info.label} through sudo, which may or may not set HOME to root's`);
        continue;
      }
      plan.user = user;
      home = user.home;
      rootUser = user.kind === 'root';
    }
    // Variables the script sets itself move the cache out of sight.
    const moved = [...TOOL_VARS[tool], ...(info.system ? [] : USER_VARS)].find((v) => run.vars?.assigned.has(v));
    if (moved) {
      refuse(plan, `the RUN sets ${moved} itself`);
      continue;
    }
    if (tool === 'pip' && vars.has('PIP_NO_CACHE_DIR')) {
      refuse(plan, 'the stage sets PIP_NO_CACHE_DIR (ENV or ARG), which stays in the image and makes pip ignore any cache: the mount would do nothing');
      continue;
    }
    if (tool === 'uv' && vars.has('UV_NO_CACHE')) {
      refuse(plan, 'the stage sets UV_NO_CACHE (ENV or ARG), which makes uv ignore any cache: the mount would do nothing');
      continue;
    }
    if (tool === 'go' && /\bgo\s+env\s+-w\b/.test(chainText + '\n' + runText)) {
      refuse(plan, '`go env -w` in the stage chain may move Go\'s directories');
      continue;
    }
    if (tool === 'bundler' && /\bbundle\s+config\b[^\n;&|]*\b(path|deployment)\b/.test(chainText + '\n' + runText)) {
      refuse(plan, '`bundle config` in the stage chain sets where gems go (path or deployment)');
      continue;
    }
    const nativeCleanups = run.cmds.some((c) => c.use?.tool === tool && (c.use.defeats.length > 0 || c.use.defeatAssigns.length > 0 || (c.use.kind === 'clean' && c.use.cleansCacheOnly)));
    const moves = configMoves(ctx, tool, chainAll + '\n' + runText, vars, nativeCleanups);
    if (moves) {
      refuse(plan, moves);
      continue;
    }
    if (tool === 'yarn') {
      const flavour = yarnFlavour(ctx);
      if (!flavour.classic) {
        refuse(plan, flavour.reason!);
        continue;
      }
    }
    // Where the caches are, for every command of the tool in the RUN.
    const dirs = new Set<string>();
    let failed: string | undefined;
    const rpmRef = root.ref;
    for (const c of uses) {
      const cmdVars = new Map<string, string | undefined>(vars);
      for (const [k, v] of c.words.assigns) cmdVars.set(k, v);
      const o = { ...c.use!.dirs };
      if (tool === 'dnf' || tool === 'yum') {
        const d = rpmRef === undefined ? undefined : rpmCacheDir(rpmRef, c.words.prog);
        if (d !== undefined) o.rpmCacheDir = d;
      }
      const r = toolCacheDirs(tool, { vars: cmdVars, ...(home !== undefined ? { home } : {}), root: rootUser }, o);
      if (!r.ok) {
        failed = r.reason;
        break;
      }
      for (const d of r.dirs) dirs.add(d);
    }
    if (failed) {
      refuse(plan, failed);
      continue;
    }
    if ((tool === 'go' && vars.get('GOPROXY') === 'off') || (tool === 'cargo' && vars.get('CARGO_NET_OFFLINE') === 'true')) for (const c of uses) c.use!.offline = true;
    plan.dirs = [...dirs];
    const badPath = plan.dirs.find((d) => !/^\/[A-Za-z0-9._/@+~-]*$/.test(d));
    if (badPath) {
      refuse(plan, `its cache directory ${badPath} would need quoting in a --mount option`);
      continue;
    }
    // Mounts the RUN already has.
    let nested: string | undefined;
    for (const d of plan.dirs) {
      const cover = existing.find((e) => isWithin(d, e.target));
      if (cover) {
        plan.existing.push({ dir: d, target: cover.target, key: cover.key });
        continue;
      }
      const inner = existing.find((e) => isAncestor(d, e.target));
      if (inner) nested ??= `it already mounts ${inner.target} inside ${d}`;
      const spec: MountSpec = { target: d, declare: [] };
      if (info.locked) spec.sharing = 'locked';
      if (!info.system && user.kind === 'user') {
        spec.uid = user.uid;
        if (user.gid !== undefined) spec.gid = user.gid;
      }
      plan.specs.push(spec);
    }
    if (nested) {
      refuse(plan, nested);
      continue;
    }
    if (plan.specs.length === 0) {
      plan.state = 'covered';
      continue;
    }
    // Ids: copy the file's own mounts on the same target when they agree; else what cache-id-platform gives.
    for (const spec of plan.specs) {
      const template = templateFor(ctx, spec.target, vars);
      if (template === 'mixed' || template === undefined) {
        const p = platformIdFor(model, graph, run.outer, spec.target, ctx.options);
        if (!p.ok) {
          failed = `cache id for ${spec.target}: ${p.reason}`;
          break;
        }
        if (p.id !== undefined) spec.id = p.id;
        spec.declare = p.declare;
      } else {
        if (template.id !== undefined) spec.id = template.id;
        if (template.sharing !== undefined) spec.sharing = template.sharing;
        spec.declare = missingPlatformArgs(model.stages[run.stage]!, run.outer.index, template.id ?? '');
      }
      if (spec.id !== undefined && !/^[A-Za-z0-9._/@+~${}:-]+$/.test(spec.id)) failed = `the cache id ${spec.id} would need quoting`;
    }
    if (failed) refuse(plan, failed);
  }
}

/** Context files (outside node_modules), or undefined when the build context is not available. */
function contextFiles(ctx: Ctx): { list: string[]; read: (f: string) => string | undefined } | undefined {
  try {
    const c = ctx.api.context;
    return { list: c.list().filter((f) => !/(^|\/)node_modules\//.test(f)), read: (f) => c.read(f) };
  } catch {
    return undefined;
  }
}

/**
 * A configuration file or setting that may move the tool's cache away from where the environment says it is.
 * For apt and dnf it makes the mount targets wrong; for the others it only matters when a clean-up or
 * cache-defeating flag is to be dropped (that is safe only when the cache really is the mounted directory).
 */
function configMoves(ctx: Ctx, tool: ToolName, chain: string, vars: Map<string, string>, dropping: boolean): string | undefined {
  const inContext = (file: RegExp, key: RegExp): string | undefined => {
    const files = contextFiles(ctx);
    if (!files) return 'the build context is not available to check its configuration files';
    const hit = files.list.find((f) => file.test(f) && key.test(files.read(f) ?? ''));
    return hit ? `${hit} in the build context sets its cache directory` : undefined;
  };
  switch (tool) {
    case 'apt':
      return /Dir::(Cache|State)/.test(chain) ? 'the stage chain configures apt directories (Dir::Cache or Dir::State)' : undefined;
    case 'dnf':
    case 'yum':
      return /cachedir/.test(chain) ? `the stage chain configures ${tool}'s cachedir` : undefined;
    default:
      break;
  }
  if (!dropping) return undefined;
  const why = (s: string | undefined) => (s ? `${s}; its clean-up or cache-defeating option cannot be dropped safely` : undefined);
  switch (tool) {
    case 'pip':
      return /pip\.conf|pip\.ini|\bpip3?\s+config\s+set|PIP_CONFIG_FILE/.test(chain) || vars.has('PIP_CONFIG_FILE') ? why('the stage chain writes or points to a pip configuration file, which may set cache-dir') : undefined;
    case 'npm':
      if (/\bnpm\s+config\s+set\s+cache\b|NPM_CONFIG_USERCONFIG|npm_config_userconfig|npmrc[^\n]*\bcache\s*=|\bcache\s*=[^\n]*npmrc/.test(chain)) return why('the stage chain sets npm\'s cache in a configuration');
      return why(inContext(/(^|\/)\.npmrc$/, /^\s*cache\s*=/m));
    case 'pnpm':
      if (/\bpnpm\s+config\s+set\s+store-dir\b|npmrc[^\n]*store-dir|store-dir[^\n]*npmrc/.test(chain)) return why('the stage chain sets pnpm\'s store-dir');
      return why(inContext(/(^|\/)\.npmrc$/, /^\s*store-dir\s*=/m));
    case 'yarn':
      if (/\byarn\s+config\s+set\s+cache-folder\b|yarnrc[^\n]*cache-folder|cache-folder[^\n]*yarnrc/.test(chain)) return why('the stage chain sets Yarn\'s cache-folder');
      return why(inContext(/(^|\/)\.yarnrc$/, /cache-folder/));
    case 'composer':
      if (/\bcomposer\s+config\b[^\n]*cache-dir/.test(chain)) return why('the stage chain sets Composer\'s cache-dir');
      return why(inContext(/(^|\/)composer\.json$/, /"cache-dir"/));
    case 'uv':
      if (/UV_CONFIG_FILE|uv\.toml/.test(chain) || vars.has('UV_CONFIG_FILE')) return why('the stage chain points uv to a configuration file');
      return why(inContext(/(^|\/)(uv\.toml|pyproject\.toml)$/, /^\s*(cache-dir|no-cache)\s*=/m));
    default:
      return undefined;
  }
}

/** Existing cache mounts on `target` anywhere in the file: their shared id and sharing, 'mixed' when they differ. */
function templateFor(ctx: Ctx, target: string, vars: Map<string, string>): { id?: string; sharing?: string } | 'mixed' | undefined {
  const found: { id?: string; sharing?: string }[] = [];
  for (const ins of ctx.model.instructions) {
    const run = ins.keyword === 'ONBUILD' ? ins.trigger : ins;
    if (run?.keyword !== 'RUN') continue;
    for (const m of run.mounts) {
      if (m.type !== 'cache' || m.flag.quoted) continue;
      const t = m.get('target')?.value;
      const x = t === undefined ? undefined : expandVars(t, vars);
      if (x === undefined || !x.startsWith('/') || cleanPath(x) !== target) continue;
      const e: { id?: string; sharing?: string } = {};
      const id = m.get('id')?.value;
      if (id) e.id = id;
      const sharing = m.get('sharing')?.value;
      if (sharing) e.sharing = sharing;
      found.push(e);
    }
  }
  if (found.length === 0) return undefined;
  const first = found[0]!;
  return found.every((f) => f.id === first.id && f.sharing === first.sharing) ? first : 'mixed';
}

function missingPlatformArgs(stage: Stage, beforeIndex: number, id: string): string[] {
  const needed = [...id.matchAll(/\$\{?(TARGET(?:PLATFORM|OS|ARCH|VARIANT))\b/g)].map((m) => m[1]!);
  const declared = new Set<string>();
  for (const i of stage.instructions) {
    if (i.index >= beforeIndex) break;
    if (i.keyword === 'ARG') for (const a of i.args) if (!a.value.includes('=')) declared.add(a.value);
  }
  return [...new Set(needed)].filter((n) => !declared.has(n));
}

function yarnFlavour(ctx: Ctx): { classic: boolean; reason?: string } {
  if (ctx.yarnFlavour) return ctx.yarnFlavour;
  const berry = (why: string) => (ctx.yarnFlavour = { classic: false, reason: `${why}: Yarn 2+ (Berry) keeps packages in a cache that Plug'n'Play reads at run time, and its cache directories differ from Yarn 1's` });
  const text = ctx.model.source.text;
  if (/\byarn\s+set\s+version\s+(?!classic\b|1\.)/.test(text) || /\bcorepack\s+(prepare|use|install)\b[^\n]*\byarn@(?!1\.)/.test(text)) return berry('the Dockerfile selects a newer Yarn');
  let files: string[];
  let context;
  try {
    context = ctx.api.context;
    files = context.list().filter((f) => !/(^|\/)node_modules\//.test(f));
  } catch (e) {
    const why = (e as { reason?: string }).reason ?? (e as Error).message;
    return (ctx.yarnFlavour = { classic: false, reason: `whether the project uses Yarn 1 or Yarn 2+ is read from the build context, which is not available (${why})` });
  }
  if (files.some((f) => /(^|\/)\.yarnrc\.yml$/.test(f))) return berry('the build context has a .yarnrc.yml');
  const manifests = files.filter((f) => /(^|\/)package\.json$/.test(f));
  for (const f of manifests) {
    const pm = /"packageManager"\s*:\s*"yarn@(\d+)/.exec(context.read(f) ?? '');
    if (pm && Number(pm[1]) >= 2) return berry(`${f} asks for yarn@${pm[1]}`);
  }
  if (manifests.length === 0 && !files.some((f) => /(^|\/)yarn\.lock$/.test(f))) {
    return (ctx.yarnFlavour = { classic: false, reason: 'the build context has no package.json or yarn.lock to tell Yarn 1 from Yarn 2+' });
  }
  return (ctx.yarnFlavour = { classic: true });
}

/** Clean-ups against the candidate mounts: tools whose mount they would break are refused (repeated until stable). */
function settleCleanups(ctx: Ctx, run: Run): void {
  for (let round = 0; round < 20; round++) {
    const adding = [...run.plans.values()].filter((p) => p.state === 'add');
    if (adding.length === 0) return;
    const res = cleanupsFor(ctx, run, adding);
    if (res.refuse.size === 0) return;
    for (const [tool, why] of res.refuse) refuse(run.plans.get(tool)!, why);
  }
}

function pathContext(ctx: Ctx, run: Run, plans: Plan[]) {
  const vars = envFor(ctx, run);
  const home = plans.map((p) => (p.user?.kind === 'root' || p.user?.kind === 'user' ? p.user.home : undefined)).find((h) => h !== undefined);
  const workdir = ctx.graph.workdirAt(run.stage, run.outer.index);
  const pc: { vars: Map<string, string>; home?: string; temps: Set<string>; values?: Map<string, string[]>; cwd?: string } = { vars, temps: run.vars?.temps ?? new Set() };
  if (run.vars) pc.values = run.vars.values;
  if (home !== undefined) pc.home = home;
  else if (vars.get('HOME') === undefined) {
    // HOME for `~` in rm operands: the step's user when known.
    const root = rootImage(ctx, run.stage);
    const env = stepEnv(ctx.graph, run.stage, run.outer.index);
    if (env.user === undefined && root.ref !== undefined) pc.home = '/root';
  }
  if (workdir !== undefined && !run.vars?.changesDir) pc.cwd = workdir;
  return pc;
}

function cleanupsFor(ctx: Ctx, run: Run, adding: Plan[]) {
  const refuseMap = new Map<ToolName, string>();
  const edits: { span: Span; text: string; what: string }[] = [];
  const mounted = adding.map((p) => ({ tool: p.tool, dirs: p.specs.map((s) => s.target) }));
  let kept: string[] = [];
  if (run.script) {
    const r = cleanups(run.script, run.cmds, mounted, pathContext(ctx, run, adding));
    for (const [k, v] of r.refuse) refuseMap.set(k, v);
    edits.push(...r.edits);
    kept = r.kept;
  }
  // Cache-defeating words and assignments of the tools' own commands.
  const text = ctx.model.source.text;
  for (const p of adding) {
    for (const c of run.cmds) {
      if (c.use?.tool !== p.tool || c.use.kind !== 'cache') continue;
      for (const d of c.use.defeats) {
        if (!c.shell || !run.script) {
          refuseMap.set(p.tool, `${d.what} would have to be dropped from an exec-form RUN, which is not edited`);
          continue;
        }
        const w = c.shell.words[d.index];
        if (!w) continue;
        const start = run.script.toSource(w.start);
        const end = run.script.toSource(w.end, true);
        if (text.slice(start, end) !== w.raw) {
          refuseMap.set(p.tool, `${d.what} continues over lines and is not edited`);
          continue;
        }
        // `apk update && apk add --no-cache x`: the index is fresh already, the flag can simply go.
        const updatedBefore = run.cmds.slice(0, run.cmds.indexOf(c)).some((x) => x.use?.tool === p.tool && x.use.sub === 'update');
        if (d.replace !== undefined && !updatedBefore) edits.push({ span: { start, end }, text: d.replace, what: `${d.what} became ${d.replace}` });
        else {
          const r = (wordRemovalOf(run, c, d.index));
          if (r) edits.push({ span: r, text: '', what: d.what });
          else refuseMap.set(p.tool, `${d.what} cannot be dropped here`);
        }
      }
      for (const name of c.use.defeatAssigns) {
        const span = c.shell && run.script ? assignmentRemoval(ctx, run, c, name) : undefined;
        if (span) edits.push({ span, text: '', what: `${name}=…` });
        else refuseMap.set(p.tool, `the ${name} assignment on its command cannot be dropped here, and with it the mount would do nothing`);
      }
      if (c.use.keepcache && c.shell && run.script) {
        const w = c.shell.words[c.words.at]!;
        const end = run.script.toSource(w.end, true);
        if (text.slice(run.script.toSource(w.start), end) === w.raw) edits.push({ span: { start: end, end }, text: ' --setopt=keepcache=1', what: 'keepcache' });
      }
    }
  }
  // Overlapping edits (two removals that touch): refuse nothing, drop the later one and keep its command.
  const sorted = edits.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  const final: typeof edits = [];
  for (const e of sorted) {
    const prev = final[final.length - 1];
    if (prev && (e.span.start < prev.span.end || (e.span.start === prev.span.start && e.span.end === e.span.start && prev.span.end === prev.span.start))) {
      kept.push(e.what);
      continue;
    }
    final.push(e);
  }
  return { refuse: refuseMap, edits: final, kept };
}

function wordRemovalOf(run: Run, c: Cmd, index: number): Span | undefined {
  const script = run.script!;
  const words = c.shell!.words;
  const w = words[index];
  const prev = words[index - 1];
  if (!w || !prev) return undefined;
  const span = { start: script.toSource(prev.end, true), end: script.toSource(w.end, true) };
  return span.start < span.end ? span : undefined;
}

/** The source span of a `NAME=value` command prefix (with the blanks after it), when it is safe to cut. */
function assignmentRemoval(ctx: Ctx, run: Run, c: Cmd, name: string): Span | undefined {
  const script = run.script!;
  const shell = c.shell!;
  const a = shell.assignments.find((x) => x.name === name);
  if (!a) {
    // `env NAME=1 pip …`: the word before the program.
    const i = shell.words.findIndex((w, k) => k < c.words.at && w.value?.startsWith(`${name}=`));
    if (i <= 0) return undefined;
    const prev = shell.words[i - 1]!;
    const w = shell.words[i]!;
    return { start: script.toSource(prev.end), end: script.toSource(w.end, true) };
  }
  const next = [...shell.assignments.map((x) => x.start), ...shell.words.map((w) => w.start)].filter((s) => s > a.start).sort((x, y) => x - y)[0];
  if (next === undefined) return undefined;
  const start = script.toSource(a.start);
  const end = script.toSource(next);
  const cut = ctx.model.source.text.slice(start, end);
  const own = script.text.slice(a.start, a.end);
  if (!cut.startsWith(own) || !/^[\s\\`]*$/.test(cut.slice(own.length).replace(/\r?\n/g, ''))) return undefined;
  return { start, end };
}

// ---------------------------------------------------------------------------------------------------
// 3. Readers of the cache after the RUN

function checkReaders(ctx: Ctx): void {
  const { graph, model } = ctx;
  for (const run of ctx.runs) {
    for (const plan of run.plans.values()) {
      if (plan.state !== 'add') continue;
      const info = TOOLS[plan.tool];
      const affected = new Set([run.stage, ...ctx.descendants(run.stage)]);
      // A CMD or ENTRYPOINT that runs the tool reads its cache when the container runs.
      if (info.runtime) {
        for (const s of affected) {
          const cmd = model.stages[s]!.instructions.find((i) => (i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT') && runsTool(i, info.runtime!));
          if (cmd) {
            refuse(plan, `${cmd.keyword} at line ${cmd.startLine} runs ${info.label} in the container, which would no longer find what the build cached`);
            break;
          }
        }
        if (plan.state !== 'add') continue;
      }
      // COPY --from / RUN --mount=from of this stage (or a stage built on it) reading the cache directory.
      for (const node of graph.nodes) {
        for (const ref of node.refs) {
          if (ref.kind === 'base' || ref.target === undefined || !affected.has(ref.target)) continue;
          const sources = ref.kind === 'copy' ? copySources(ref.trigger ?? ref.instruction) : [ref.mount?.get('source')?.value ?? '/'];
          for (const src of sources) {
            const abs = src.startsWith('/') ? cleanPath(src) : cleanPath('/' + src);
            const hit = plan.specs.find((s) => isWithin(abs, s.target) || (info.chained !== undefined && isAncestor(abs, s.target)));
            if (hit) {
              refuse(plan, `${ref.kind === 'copy' ? 'COPY --from' : 'RUN --mount=from'}=${ref.value} at line ${(ref.trigger ?? ref.instruction).startLine} reads ${src}, which would no longer hold the cache (${hit.target})`);
              break;
            }
          }
          if (plan.state !== 'add') break;
        }
        if (plan.state !== 'add') break;
      }
      if (plan.state !== 'add') continue;
      // A COPY/ADD earlier in the chain that puts files into the cache directory: the mount would hide them.
      for (const i of chainBefore(ctx, run.stage, run.outer.index)) {
        if ((i.keyword !== 'COPY' && i.keyword !== 'ADD') || i.args.length < 2) continue;
        const dest = i.args[i.args.length - 1]!.value;
        const workdir = graph.workdirAt(i.stage, i.index);
        const abs = dest.startsWith('/') ? cleanPath(dest) : workdir !== undefined ? resolveIn(workdir, dest) : undefined;
        if (abs === undefined || dest.includes('$')) continue;
        // Into the cache directory; for tools whose later steps read the cache, also a copy to a directory above it.
        const hit = plan.specs.find((s) => isWithin(abs, s.target) || (info.chained !== undefined && isAncestor(abs, s.target) && abs !== '/'));
        if (hit) {
          refuse(plan, `${i.keyword} at line ${i.startLine} puts files into ${isWithin(abs, hit.target) ? hit.target : `${abs}, above ${hit.target}`}; the cache mount would hide them`);
          break;
        }
      }
    }
  }
}

function copySources(ins: Instruction): string[] {
  if (ins.args.length < 2) return [];
  return ins.args.slice(0, -1).map((a) => (ins.jsonForm ? a.value : a.value.replace(/^["']|["']$/g, '')));
}

function runsTool(ins: Instruction, prog: RegExp): boolean {
  const words = ins.jsonForm ? ins.args.map((a) => a.value) : ins.args.map((a) => a.value);
  return words.some((w) => w.split(/[\s;&|()]+/).some((x) => prog.test(x.slice(x.lastIndexOf('/') + 1))));
}

// ---------------------------------------------------------------------------------------------------
// 4. Stage chains

function orderInTree(runs: Run[]): Run[] {
  return [...runs].sort((a, b) => a.outer.index - b.outer.index);
}

function checkChains(ctx: Ctx): void {
  for (const run of ctx.runs) {
    for (const p of run.plans.values()) {
      if (p.state !== 'add') continue;
      const problem = offlineProblem(run, p.tool);
      if (problem) refuse(p, problem);
    }
  }
  const trees = new Map<number, Run[]>();
  for (const run of ctx.runs) {
    const key = ctx.tree(run.stage);
    const list = trees.get(key) ?? [];
    list.push(run);
    trees.set(key, list);
  }
  for (const runs of trees.values()) {
    const ordered = orderInTree(runs);
    for (const tool of ALL_TOOLS) {
      if (!ctx.selected.has(tool)) continue;
      const info = TOOLS[tool];
      const members = ordered.filter((r) => r.plans.has(tool) || r.hints.includes(tool));
      const adding = members.filter((r) => r.plans.get(tool)?.state === 'add');
      if (adding.length === 0) continue;
      let blocker: string | undefined;
      let because = '';
      if (info.chained) {
        for (const r of members) {
          const p = r.plans.get(tool);
          if (!p) {
            blocker = `the RUN at line ${r.ins.startLine} seems to run ${info.label} but is not read (${r.unreadable})`;
            r.namedInChain = true;
            because = `; every ${info.label} RUN of the chain needs the mount: ${info.chained}`;
            break;
          }
          if (p.state === 'refuse') {
            blocker = `the RUN at line ${r.ins.startLine} cannot get the mount (${p.reason})`;
            p.chainRefused = true;
            because = `; every ${info.label} RUN of the chain needs the mount: ${info.chained}`;
            break;
          }
        }
        // One cache per directory across the chain: existing mounts and new ones must agree.
        if (!blocker) {
          const keys = new Map<string, { key: string; line: number }>();
          for (const r of members) {
            const p = r.plans.get(tool)!;
            const pairs = [...p.existing.map((e) => ({ dir: e.dir, key: `${e.target} ${e.key}` })), ...(p.state === 'add' ? p.specs.map((s) => ({ dir: s.target, key: `${s.target} ${s.id ?? s.target}` })) : [])];
            for (const { dir, key } of pairs) {
              const seen = keys.get(dir);
              if (seen && seen.key !== key && !blocker) {
                blocker = `the RUNs at lines ${seen.line} and ${r.ins.startLine} would use different caches for ${dir} (an existing mount with another target or id)`;
                because = `; every ${info.label} RUN of the chain needs the mount: ${info.chained}`;
              }
              if (!seen) keys.set(dir, { key, line: r.ins.startLine });
            }
          }
        }
      }
      if (!blocker) continue;
      const lines = adding.map((r) => r.ins.startLine);
      for (const r of adding) {
        const p = r.plans.get(tool)!;
        refuse(p, blocker);
        p.chainRefused = true;
      }
      ctx.api.skip(`${info.label} cache mounts left alone in stage chain ${stageNames(ctx, adding)} (RUN${lines.length > 1 ? 's' : ''} at line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}): ${blocker}${because}`, adding[0]!.ins.span);
    }
  }
}

function stageNames(ctx: Ctx, runs: Run[]): string {
  const names = [...new Set(runs.map((r) => ctx.graph.display(r.stage)))];
  return names.join(', ');
}

/**
 * A command that only works with what an earlier command put in the cache (`apt-get install` reads the package
 * lists of an `apt-get update`, `mvn -o`, `pnpm install --offline`, …) must find it filled in the same RUN: a
 * cache mount is not exported with the layer cache (`--cache-to`/`--cache-from`) and may be pruned on its own,
 * so an earlier RUN can be a cache hit while the mount is empty. Without a mount, the earlier layer held it.
 */
const EMPTY_MOUNT = 'a cache mount can be empty even when that earlier layer comes from the build cache (cache mounts are not exported with --cache-to and are pruned on their own), where the layer itself held what it needs';

function offlineProblem(run: Run, tool: ToolName): string | undefined {
  let filled = false;
  for (const c of run.cmds) {
    const u = c.use;
    if (!u || u.tool !== tool || u.kind !== 'cache') continue;
    if (tool === 'apt') {
      if (u.needsLists && !filled) return `\`${u.sub}\` needs package lists, and no \`apt-get update\` runs before it in the same RUN: ${EMPTY_MOUNT}`;
      if (u.updatesLists) filled = true;
    } else {
      if (u.offline && !filled) return `its ${TOOLS[tool].label} command works offline on what an earlier RUN (or the base image) cached: ${EMPTY_MOUNT}`;
      filled = true;
    }
  }
  return undefined;
}

/**
 * apt: where docker-clean must be switched off — before the first apt RUN (with mounts, new or existing) of each
 * chain path that leads to a RUN getting new apt mounts, unless the chain already does it. The inserted RUN
 * needs root: where the apt RUN runs its apt commands only through sudo (a non-root USER), the chain's apt
 * mounts are refused instead.
 */
function planKeepCache(ctx: Ctx): Instruction[] {
  const { model, graph } = ctx;
  const out: Instruction[] = [];
  const adds = (stage: number) => ctx.runs.some((r) => r.stage === stage && r.plans.get('apt')?.state === 'add');
  for (const key of new Set(ctx.runs.filter((r) => r.plans.get('apt')?.state === 'add').map((r) => ctx.tree(r.stage)))) {
    const stages = graph.nodes.filter((n) => ctx.tree(n.index) === key).map((n) => n.index);
    const needed = (s: number) => adds(s) || [...ctx.descendants(s)].some(adds);
    const points: Run[] = [];
    const doneAtEnd = new Map<number, boolean>();
    const endOf = (stage: number): boolean => {
      if (doneAtEnd.has(stage)) return doneAtEnd.get(stage)!;
      const b = graph.nodes[stage]!.base;
      let done = b.kind === 'stage' ? endOf(b.index) : false;
      for (const i of model.stages[stage]!.instructions) {
        const run = ctx.runs.find((r) => r.outer === i && !r.onbuild);
        if (!run) continue;
        if (KEEP_CACHE_DONE.test(model.source.text.slice(i.span.start, i.span.end))) done = true;
        const p = run.plans.get('apt');
        if (!done && needed(stage) && p && (p.state === 'add' || p.state === 'covered')) {
          points.push(run);
          done = true;
        }
      }
      doneAtEnd.set(stage, done);
      return done;
    };
    for (const s of stages) endOf(s);
    const notRoot = points.find((r) => {
      if (r.cmds.some((c) => c.use?.tool === 'apt' && !c.words.sudo)) return false;
      const user = stepEnv(graph, r.stage, r.outer.index).user;
      return user !== undefined && !/^(root|0)(:.*)?$/.test(user);
    });
    if (notRoot) {
      const adding = ctx.runs.filter((r) => ctx.tree(r.stage) === key && r.plans.get('apt')?.state === 'add');
      for (const r of adding) {
        const p = r.plans.get('apt')!;
        refuse(p, 'root needed');
        p.chainRefused = true;
      }
      ctx.api.skip(`apt cache mounts left alone in stage chain ${stageNames(ctx, adding)}: docker-clean must be disabled before the RUN at line ${notRoot.ins.startLine}, which runs apt through sudo as USER ${stepEnv(graph, notRoot.stage, notRoot.outer.index).user}; a RUN there could not remove /etc/apt/apt.conf.d/docker-clean`, adding[0]!.ins.span);
      continue;
    }
    out.push(...points.map((r) => r.outer));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Messages

function reportPlans(ctx: Ctx, run: Run): void {
  const { api } = ctx;
  for (const p of run.plans.values()) {
    // Suppressed instructions are reported by the runner; chain refusals once per chain.
    if (p.state === 'refuse' && !p.chainRefused && !run.suppressed) api.skip(`${TOOLS[p.tool].label} cache mount not added to the RUN at line ${run.ins.startLine}: ${p.reason}`, run.ins.span);
  }
  if (run.unreadable && run.hints.length && !run.onbuild && !run.suppressed && !run.namedInChain) {
    api.report({ level: 'info', message: `RUN at line ${run.ins.startLine} left alone: ${run.unreadable}`, at: run.ins.span });
  }
}

function reportUnhandled(ctx: Ctx): void {
  const seen = new Set<string>();
  for (const run of ctx.runs) {
    if (run.onbuild || run.suppressed) continue;
    for (const c of run.cmds) {
      const label = UNHANDLED.get(c.words.prog);
      if (!label || seen.has(`${run.ins.startLine} ${label}`) || !unhandledInstall(c.words.prog, c.words.argv, c.words.at)) continue;
      seen.add(`${run.ins.startLine} ${label}`);
      ctx.api.report({ level: 'info', message: `RUN at line ${run.ins.startLine} uses ${label}, which cache-mounts does not handle: no cache mount added for it`, at: run.ins.span });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// 5. Edits

function lineStartAbove(model: DockerfileModel, ins: Instruction): number {
  const c = ins.leadingComments[0];
  if (!c || c.insideInstruction) return ins.lineStart;
  const text = model.source.text;
  return text.lastIndexOf('\n', c.span.start - 1) + 1;
}

function mountText(s: MountSpec): string {
  const parts = ['type=cache', `target=${s.target}`];
  if (s.sharing) parts.push(`sharing=${s.sharing}`);
  if (s.uid !== undefined) parts.push(`uid=${s.uid}`);
  if (s.gid !== undefined) parts.push(`gid=${s.gid}`);
  if (s.id !== undefined) parts.push(`id=${s.id}`);
  return `--mount=${parts.join(',')}`;
}

function editRun(ctx: Ctx, run: Run): void {
  const { editor } = ctx;
  const plans = [...run.plans.values()].filter((p) => p.state === 'add');
  const res = cleanupsFor(ctx, run, plans);
  for (const [tool, why] of res.refuse) {
    // Not expected (the same analysis ran before with at least these mounts); stay safe.
    refuse(run.plans.get(tool)!, why);
    ctx.api.skip(`${TOOLS[tool].label} cache mount not added to the RUN at line ${run.ins.startLine}: ${why}`, run.ins.span);
  }
  const final = [...run.plans.values()].filter((p) => p.state === 'add');
  if (final.length === 0) return;
  const again = res.refuse.size ? cleanupsFor(ctx, run, final) : res;
  const mounts = final.flatMap((p) => p.specs.map(mountText));
  insertMounts(ctx, run.ins, mounts);
  for (const e of again.edits) editor.replace(e.span, e.text);
  const dropped = again.edits.filter((e) => e.text === '').map((e) => e.what);
  const replaced = again.edits.filter((e) => e.text !== '' && e.what !== 'keepcache').map((e) => e.what);
  const parts: string[] = [];
  if (dropped.length) parts.push(`dropped ${dropped.join(', ')} (pointless with the cache mount)`);
  if (replaced.length) parts.push(`${replaced.join(', ')} (apk then keeps its index in the cache, refreshed as --no-cache did)`);
  if (parts.length) ctx.api.report({ level: 'info', message: `RUN at line ${run.ins.startLine}: ${parts.join('; ')}`, at: run.ins.span });
  if (run.fetchedScript && run.plans.get('apt')?.state === 'add') ctx.api.report({ level: 'info', message: `RUN at line ${run.ins.startLine} runs a downloaded script, which usually runs apt-get (NodeSource and similar setup scripts): it gets the apt cache mounts too`, at: run.ins.span });
  if (again.edits.some((e) => e.what === 'keepcache')) ctx.api.report({ level: 'info', message: `RUN at line ${run.ins.startLine}: added --setopt=keepcache=1, since dnf and yum delete downloaded packages after installing them otherwise`, at: run.ins.span });
  if (again.kept.length) ctx.api.report({ level: 'info', message: `RUN at line ${run.ins.startLine} keeps ${again.kept.join(', ')}: it empties the cache on every build; drop it by hand`, at: run.ins.span });
}

/** Adds `--mount` flags right after the RUN keyword: inline for one short mount, else one per line. */
function insertMounts(ctx: Ctx, ins: Instruction, mounts: string[]): void {
  const { model, editor } = ctx;
  const text = model.source.text;
  const esc = model.escape;
  const eol = model.source.eol;
  const after = ins.keywordSpan.end;
  let nl = text.indexOf('\n', after);
  if (nl < 0 || nl > ins.span.end) nl = ins.span.end;
  const rest = text.slice(after, nl).replace(/\r$/, '');
  const lineStart = text.lastIndexOf('\n', after - 1) + 1;
  const firstLine = text.slice(lineStart, after) + rest;
  // `RUN \` with the command on the next line.
  const escRe = esc === '`' ? '`' : '\\\\';
  if (new RegExp(`^\\s*${escRe}\\s*$`).test(rest)) {
    const indent = continuationIndent(model, ins);
    editor.insert(after, ' ' + mounts.join(` ${esc}${eol}${indent}`));
    return;
  }
  const ws = /^[ \t]*/.exec(rest)![0];
  if (ins.heredocs.length > 0 || (mounts.length === 1 && firstLine.length + 1 + mounts[0]!.length <= 100)) {
    editor.insert(after, ' ' + mounts.join(' '));
    return;
  }
  const indent = continuationIndent(model, ins);
  editor.replace({ start: after, end: after + ws.length }, ' ' + mounts.join(` ${esc}${eol}${indent}`) + ` ${esc}${eol}${indent}`);
}

/** The indentation of the instruction's continuation lines (the least deep one), or its own plus four spaces. */
function continuationIndent(model: DockerfileModel, ins: Instruction): string {
  const body = model.source.text.slice(ins.span.start, ins.heredocs[0]?.bodySpan.start ?? ins.span.end);
  let best: string | undefined;
  for (const l of body.split('\n').slice(1)) {
    const t = l.replace(/\r$/, '');
    if (t.trim() === '' || t.trim().startsWith('#')) continue;
    const ws = /^[ \t]*/.exec(t)![0];
    if (ws.length > ins.indent.length && (best === undefined || ws.length < best.length)) best = ws;
  }
  return best ?? ins.indent + '    ';
}
