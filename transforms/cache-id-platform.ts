import { cleanPath } from '../src/dockerfile/paths.js';
import { expandVars, stepEnv } from '../src/dockerfile/env.js';
import { buildStageGraph } from '../src/dockerfile/stages.js';
import type { StageGraph } from '../src/dockerfile/stages.js';
import type { DockerfileModel, FileInfo, Instruction, Mount, Stage, TransformApi, TransformMeta } from '../src/types.js';


export const meta = {
  name: 'cache-id-platform',
  description: 'Give platform-specific RUN --mount=type=cache mounts an id scoped by the target platform, so multi-platform builds stop sharing incompatible caches',
  recommended: true,
  safety: 'safe',
  docs: 'https://docs.docker.com/reference/dockerfile/#run---mounttypecache',
  options: {
    platformArg: {
      type: 'string',
      description: 'TARGETPLATFORM (id suffix `${TARGETPLATFORM}`) or TARGETARCH (suffix `${TARGETARCH}${TARGETVARIANT}`, so arm/v6 and arm/v7 stay apart); one scheme for the whole file',
      default: 'TARGETPLATFORM',
    },
    unknownTargets: {
      type: 'string',
      description: 'What to do with cache targets the knowledge table does not know: `scope` them (safety first) or `leave` them shared',
      default: 'scope',
    },
  },
} satisfies TransformMeta;

type CacheClass = 'platform' | 'shared';

interface Knowledge {
  /** Human-readable form of the pattern, for the docs (… = any directory). */
  paths: string;
  pattern: RegExp;
  class: CacheClass;
  why: string;
}

/**
 * What a cache target holds, by its path (absolute, or relative as written). First match wins, so specific
 * entries come first. `platform`: content differs per platform and breaks (or silently mixes binaries) when
 * shared. `shared`: platform-independent downloads, or caches that key their entries by platform themselves.
 */
export const KNOWLEDGE: Knowledge[] = [
  { paths: '/var/cache/apk, /etc/apk/cache', pattern: /^\/(var\/cache\/apk|etc\/apk\/cache)(\/|$)/, class: 'platform', why: 'apk keeps per-architecture packages and indexes' },
  { paths: '/var/cache/apt', pattern: /^\/var\/cache\/apt(\/|$)/, class: 'platform', why: 'apt keeps per-architecture .deb archives' },
  { paths: '/var/lib/apt', pattern: /^\/var\/lib\/apt(\/|$)/, class: 'platform', why: 'apt package lists index one architecture' },
  { paths: '/var/cache/dnf, /var/cache/yum, /var/cache/libdnf5, /var/cache/tdnf, /var/lib/dnf', pattern: /^\/var\/(cache\/(dnf|yum|libdnf5|tdnf)|lib\/dnf)(\/|$)/, class: 'platform', why: 'dnf/yum/tdnf keep per-architecture RPMs, repository metadata and system state' },
  { paths: '/var/cache/zypp', pattern: /^\/var\/cache\/zypp(\/|$)/, class: 'platform', why: 'zypper keeps per-architecture RPMs and metadata' },
  { paths: '/var/cache/pacman', pattern: /^\/var\/cache\/pacman(\/|$)/, class: 'platform', why: 'pacman keeps per-architecture packages' },
  { paths: '…/node_modules', pattern: /(^|\/)node_modules(\/|$)/, class: 'platform', why: 'node_modules holds installed packages with native addons built for one platform' },
  { paths: '…/.cache/pypoetry/cache, …/.cache/pypoetry/artifacts', pattern: /(^|\/)\.cache\/pypoetry\/(cache|artifacts)(\/|$)/, class: 'shared', why: "Poetry's download caches hold wheels named by platform tags" },
  { paths: '…/.cache/pypoetry', pattern: /(^|\/)\.cache\/pypoetry(\/|$)/, class: 'platform', why: 'Poetry creates its virtualenvs (compiled extensions) under this directory' },
  { paths: '…/venv, …/.venv, …/.virtualenvs, …/virtualenv', pattern: /(^|\/)(\.?venv|\.virtualenvs?|virtualenv)(\/|$)/, class: 'platform', why: 'a virtualenv holds interpreter links and compiled extensions for one platform' },
  { paths: '…/conda/pkgs, …/micromamba/pkgs', pattern: /(^|\/)(conda|micromamba|mamba)\/pkgs(\/|$)/, class: 'platform', why: 'extracted conda packages are named without their architecture' },
  { paths: '…/bundle/cache, …/.bundle/cache', pattern: /(^|\/)\.?bundle\/cache(\/|$)/, class: 'shared', why: 'cached .gem files are named by platform' },
  { paths: '/usr/local/bundle, …/vendor/bundle, /srv/vendor, /srv/bundle', pattern: /^\/usr\/local\/bundle(\/|$)|(^|\/)vendor\/bundle(\/|$)|^\/srv\/(vendor|bundle)(\/|$)/, class: 'platform', why: 'installed gems include native extensions built for one platform' },
  { paths: '…/ccache, …/.ccache, …/sccache', pattern: /(^|\/)(\.?ccache|sccache)(\/|$)/, class: 'platform', why: 'compiler caches hold object code; separate caches per platform lose no hits and protect setups that do not key by compiler' },
  { paths: '…/.rustup, /usr/local/rustup', pattern: /(^|\/)\.rustup(\/|$)|^\/usr\/local\/rustup(\/|$)/, class: 'platform', why: 'rustup keeps host toolchain binaries and a host-specific default' },
  { paths: '…/cargo/registry, …/cargo/git, …/.cargo/registry, …/.cargo/git', pattern: /(^|\/)\.?cargo\/(registry|git)(\/|$)/, class: 'shared', why: 'the cargo registry and git caches hold crate sources' },
  { paths: '/usr/local/cargo, …/cargo/bin, …/.cargo/bin', pattern: /^\/usr\/local\/cargo(\/|$)|(^|\/)\.?cargo\/bin(\/|$)/, class: 'platform', why: '`cargo install` puts host binaries here' },
  { paths: '…/target', pattern: /(^|\/)target(\/|$)/, class: 'platform', why: 'a build target directory holds compiled artifacts for one platform' },
  { paths: '/tmp/pear', pattern: /^\/tmp\/pear(\/|$)/, class: 'platform', why: '`pecl install` compiles extensions here' },
  { paths: '…/pkg/mod, /go/pkg', pattern: /(^|\/)pkg\/mod(\/|$)|^\/go\/pkg\/?$/, class: 'shared', why: 'the Go module cache holds platform-independent sources' },
  { paths: '…/go-build', pattern: /(^|\/)go-build(\/|$)/, class: 'shared', why: "Go's build cache keys every entry by GOOS/GOARCH itself" },
  { paths: '…/.npm', pattern: /(^|\/)\.npm(\/|$)/, class: 'shared', why: "npm's cache holds registry tarballs (content-addressed)" },
  { paths: '…/.cache/yarn, …/.yarn/cache, …/.yarn/berry/cache', pattern: /(^|\/)(\.cache\/yarn|\.yarn\/cache|\.yarn\/berry\/cache)(\/|$)/, class: 'shared', why: "Yarn's cache holds package archives" },
  { paths: '…/pnpm/store, …/.pnpm-store', pattern: /(^|\/)(pnpm\/store|\.pnpm-store)(\/|$)/, class: 'shared', why: "pnpm's store is content-addressed; built side effects are keyed by platform" },
  { paths: '…/share/pnpm', pattern: /(^|\/)share\/pnpm(\/|$)/, class: 'platform', why: 'PNPM_HOME holds the pnpm executable and global packages for one platform' },
  { paths: '…/.bun/install/cache', pattern: /(^|\/)\.bun\/install\/cache(\/|$)/, class: 'shared', why: "Bun's install cache holds package archives" },
  { paths: '…/.cache/node-gyp', pattern: /(^|\/)\.cache\/node-gyp(\/|$)/, class: 'shared', why: 'node-gyp caches Node.js headers' },
  { paths: '…/.cache/pip', pattern: /(^|\/)\.cache\/pip(\/|$)/, class: 'shared', why: "pip's cache holds HTTP responses and wheels tagged by platform" },
  { paths: '…/.cache/uv', pattern: /(^|\/)\.cache\/uv(\/|$)/, class: 'shared', why: "uv's cache keys wheels and builds by platform tags" },
  { paths: '…/.cache/huggingface', pattern: /(^|\/)\.cache\/huggingface(\/|$)/, class: 'shared', why: 'model and data set downloads are platform-independent' },
  { paths: '…/.m2', pattern: /(^|\/)\.m2(\/|$)/, class: 'shared', why: 'the Maven repository holds jars; native classifiers are separate artifacts' },
  { paths: '…/.gradle', pattern: /(^|\/)\.gradle(\/|$)/, class: 'shared', why: "Gradle's caches hold jars; its native libraries are stored per platform" },
  { paths: '…/.composer/cache, …/.cache/composer', pattern: /(^|\/)(\.composer\/cache|\.cache\/composer)(\/|$)/, class: 'shared', why: "Composer's cache holds package archives" },
  { paths: '…/.nuget, …/NuGet/http-cache, …/NuGet/v3-cache', pattern: /(^|\/)(\.nuget|NuGet\/(http-cache|v3-cache))(\/|$)/, class: 'shared', why: 'NuGet packages carry runtime-specific assets under per-RID folders; its HTTP caches are responses' },
];

export function classify(target: string): Knowledge | undefined {
  return KNOWLEDGE.find((k) => k.pattern.test(target));
}

const TARGET_VAR_RE = /\$\{?TARGET(PLATFORM|OS|ARCH|VARIANT)\b/;

/** Platform variables a string references (`$TARGETARCH`, `${TARGETPLATFORM}`, `${BUILDARCH:-x}` …). */
function platformVars(s: string): Set<string> {
  const out = new Set<string>();
  for (const m of s.matchAll(/\$\{?((?:TARGET|BUILD)(?:PLATFORM|OS|ARCH|VARIANT))\b/g)) out.add(m[1]!);
  return out;
}

function hasOtherVars(s: string): boolean {
  return [...s.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].some((m) => !/^(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)$/.test(m[1]!));
}

/** Where a stage runs: for the target platform, always the build platform, a fixed platform, or unknown. */
type StagePlatform = { kind: 'target' } | { kind: 'build' } | { kind: 'fixed'; platform: string } | { kind: 'unknown'; platform: string };

function stagePlatform(graph: StageGraph, index: number): StagePlatform {
  const node = graph.nodes[index]!;
  const p = node.stage.platform;
  if (p === undefined) return node.base.kind === 'stage' ? stagePlatform(graph, node.base.index) : { kind: 'target' };
  if (/\$\{?BUILD(PLATFORM|OS|ARCH|VARIANT)\b/.test(p)) return { kind: 'build' };
  if (/^(\$\{?TARGET(PLATFORM|OS|ARCH|VARIANT)\}?|\/)+$/.test(p)) return { kind: 'target' };
  if (!p.includes('$')) return { kind: 'fixed', platform: p };
  return { kind: 'unknown', platform: p };
}

interface DeclaredArgs {
  /** Declared without a default before the instruction. */
  plain: Set<string>;
  /** Given a default value before the instruction (overrides the build's automatic value). */
  withDefault: Set<string>;
}

function argsDeclaredBefore(instructions: Instruction[], beforeIndex: number, onbuild: boolean): DeclaredArgs {
  const plain = new Set<string>();
  const withDefault = new Set<string>();
  for (const i of instructions) {
    if (i.index >= beforeIndex) break;
    const arg = onbuild ? (i.keyword === 'ONBUILD' && i.trigger?.keyword === 'ARG' ? i.trigger : undefined) : i.keyword === 'ARG' ? i : undefined;
    for (const a of arg?.args ?? []) {
      const eq = a.value.indexOf('=');
      if (eq < 0) plain.add(a.value);
      else withDefault.add(a.value.slice(0, eq));
    }
  }
  return { plain, withDefault };
}

/** `docker/dockerfile:1.2` and friends: is variable expansion in --mount (frontend 1.3+) available? */
export function syntaxSupportsMountVariables(syntax: string | undefined): boolean | undefined {
  if (syntax === undefined) return undefined;
  const m = /(?:^|\/)dockerfile(?:-upstream)?:([^@\s]+)/.exec(syntax);
  if (!m) return undefined; // a custom frontend: nothing known
  const tag = m[1]!;
  if (tag === 'experimental') return false;
  const v = /^(\d+)(?:\.(\d+))?/.exec(tag);
  if (!v) return true; // master, latest, labs
  const major = Number(v[1]);
  if (v[2] === undefined) return major >= 1;
  return major > 1 || (major === 1 && Number(v[2]) >= 3);
}

interface Change {
  mount: Mount;
  /** The new id, or undefined when the id is right and only ARG declarations are missing. */
  id?: string;
  /** ARGs the id needs declared. */
  needs: string[];
  ins: Instruction;
}

interface Scheme {
  /** The platform ARGs the id suffix uses. */
  schemeVars: string[];
  /** The id suffix: `${TARGETPLATFORM}` or `${TARGETARCH}${TARGETVARIANT}`. */
  scheme: string;
  unknownTargets: 'scope' | 'leave';
}

function readOptions(options: Record<string, unknown>): Scheme {
  const platformArg = String(options.platformArg ?? meta.options.platformArg.default).toUpperCase();
  if (platformArg !== 'TARGETPLATFORM' && platformArg !== 'TARGETARCH') throw new Error(`--platform-arg must be TARGETPLATFORM or TARGETARCH, got "${String(options.platformArg)}"`);
  const unknownTargets = String(options.unknownTargets ?? meta.options.unknownTargets.default);
  if (unknownTargets !== 'scope' && unknownTargets !== 'leave') throw new Error(`--unknown-targets must be scope or leave, got "${unknownTargets}"`);
  // One scheme for the whole file (and for every file of a run), so one cache never gets two ids per platform.
  const schemeVars = platformArg === 'TARGETPLATFORM' ? ['TARGETPLATFORM'] : ['TARGETARCH', 'TARGETVARIANT'];
  return { schemeVars, scheme: schemeVars.map((n) => `\${${n}}`).join(''), unknownTargets };
}

export type PlatformId = { ok: true; id?: string; declare: string[] } | { ok: false; reason: string };

/**
 * What this transform would do to a new cache mount, without an id of its own, on `target` (absolute and clean)
 * in the RUN `outer`: the id it would give it (undefined when none is needed) and the platform ARGs the stage
 * would still have to declare before `outer` (after its FROM). Transforms that add cache mounts (cache-mounts)
 * build them with it, so that running this transform after them changes nothing. Same options as this
 * transform (`platformArg`, `unknownTargets`); `ok: false` when this transform would leave such a mount alone
 * with a reason.
 */
export function platformIdFor(model: DockerfileModel, graph: StageGraph, outer: Instruction, target: string, options: Record<string, unknown>): PlatformId {
  const { schemeVars, scheme, unknownTargets } = readOptions(options);
  const stage = model.stages[outer.stage];
  if (!stage) return { ok: true, declare: [] };
  const ins = outer.keyword === 'ONBUILD' ? outer.trigger : outer;
  if (!ins || outer.keyword === 'ONBUILD') return { ok: false, reason: 'ONBUILD triggers are not scoped here' };
  const known = classify(cleanPath(target));
  if (known?.class === 'shared') return { ok: true, declare: [] };
  if (!known && unknownTargets === 'leave') return { ok: true, declare: [] };
  const where = stagePlatform(graph, stage.index);
  const runUsesTarget = TARGET_VAR_RE.test(model.source.text.slice(ins.argsSpan?.start ?? ins.span.end, ins.span.end));
  let suffix: string;
  let suffixVars: string[];
  if (where.kind === 'unknown') return { ok: false, reason: `stage platform "${where.platform}" is not understood` };
  if (where.kind === 'build' && !runUsesTarget) return { ok: true, declare: [] };
  if (where.kind === 'fixed') {
    suffix = where.platform + (runUsesTarget ? `-${scheme}` : '');
    suffixVars = runUsesTarget ? schemeVars : [];
  } else {
    suffix = scheme;
    suffixVars = schemeVars;
  }
  const declared = argsDeclaredBefore(stage.instructions, outer.index, false);
  const overridden = suffixVars.filter((n) => declared.withDefault.has(n));
  if (overridden.length) return { ok: false, reason: `the stage gives ${overridden.join(', ')} a default value before it` };
  return { ok: true, id: `${cleanPath(target)}-${suffix}`, declare: suffixVars.filter((n) => !declared.plain.has(n)).sort(argOrder) };
}

export default function transform(file: FileInfo, api: TransformApi, options: Record<string, unknown>): string | undefined {
  const model = api.model;
  const { schemeVars, scheme, unknownTargets } = readOptions(options);

  const editor = api.edit();
  const changes: Change[] = [];
  const graph = buildStageGraph(model);
  for (const outer of model.instructions) {
    const onbuild = outer.keyword === 'ONBUILD';
    const ins = onbuild ? outer.trigger : outer;
    if (!ins || ins.keyword !== 'RUN' || !ins.mounts.some((m) => m.type === 'cache')) continue;
    const stage = model.stages[outer.stage];
    if (!stage || api.isSuppressed(outer)) continue;
    // An ONBUILD trigger runs in the downstream build's stage: for its target platform.
    const where: StagePlatform = onbuild ? { kind: 'target' } : stagePlatform(graph, stage.index);
    const runText = file.source.slice(ins.argsSpan?.start ?? ins.span.end, ins.span.end);
    const runUsesTarget = TARGET_VAR_RE.test(runText);
    const env = stepEnv(graph, stage.index, outer.index).vars;

    for (const mount of ins.mounts) {
      if (mount.type !== 'cache') continue;
      const target = mount.get('target')?.value;
      if (!target) continue; // BuildKit rejects a cache mount without a target
      const idOption = mount.get('id');
      // BuildKit's default cache id is path.Clean(target), taken before a relative target is resolved.
      const baseId = idOption?.value || cleanPath(target);

      // 1. What the cache holds (classify first: a shared cache needs nothing, not even a warning).
      const expanded = expandVars(target, env);
      let known = expanded !== undefined ? classify(cleanPath(expanded)) : undefined;
      if (!known && expanded !== undefined && !expanded.startsWith('/')) {
        const dir = graph.workdirAt(stage.index, outer.index);
        if (dir !== undefined) known = classify(cleanPath(`${dir}/${expanded}`));
      }
      if (known?.class === 'shared') continue;
      if (!known && unknownTargets === 'leave') continue;

      // 2. Which platform the content depends on.
      let suffix: string;
      let suffixVars: string[];
      if (where.kind === 'unknown') {
        api.report({ level: 'warning', message: `stage platform "${where.platform}" is not understood; cache mount ${target} left alone`, at: mount.flag.span });
        continue;
      } else if (where.kind === 'build' && !runUsesTarget) {
        continue; // runs natively on the builder, the same platform for every target
      } else if (where.kind === 'fixed') {
        // Cache ids are global to the builder: a fixed-platform stage gets its literal platform.
        suffix = where.platform + (runUsesTarget ? `-${scheme}` : '');
        suffixVars = runUsesTarget ? schemeVars : [];
      } else {
        suffix = scheme;
        suffixVars = schemeVars;
      }

      // 3. Is the id already separated per platform?
      if (idOption?.value && hasOtherVars(idOption.value)) {
        api.skip(`cache mount ${target} left alone: its id "${idOption.value}" uses variables whose values are not known here`, mount.flag.span);
        continue;
      }
      const vars = platformVars(baseId);
      let id: string | undefined;
      let needs: string[];
      if (where.kind === 'fixed' && !runUsesTarget ? baseId.includes(where.platform) : vars.has('TARGETPLATFORM') || (vars.has('TARGETARCH') && vars.has('TARGETVARIANT'))) {
        needs = [...vars].filter((v) => v.startsWith('TARGET'));
      } else if (vars.has('TARGETARCH') && !vars.has('TARGETPLATFORM') && where.kind !== 'fixed') {
        id = `${baseId}\${TARGETVARIANT}`; // arm/v6 and arm/v7 must not share; empty on amd64/arm64, so those keep their cache
        needs = [...vars, 'TARGETVARIANT'].filter((v) => v.startsWith('TARGET'));
      } else {
        id = `${baseId}-${suffix}`;
        needs = [...new Set([...[...vars].filter((v) => v.startsWith('TARGET')), ...suffixVars])];
      }

      // 4. Can it be done here? (Checked only when there is something to do: the checks cost a cross-parse.)
      const declared = argsDeclaredBefore(stage.instructions, outer.index, onbuild);
      const missing = needs.filter((n) => !declared.plain.has(n));
      if (id === undefined && missing.length === 0) continue;
      const overridden = needs.filter((n) => declared.withDefault.has(n));
      const blocked = overridden.length
        ? `the stage gives ${overridden.join(', ')} a default value before it`
        : (mount.flag.quoted ? 'the mount uses quotes or escapes' : undefined) ?? (id !== undefined && idOption?.crossesLines ? 'its id continues over lines' : undefined) ?? editor.protectedReason(mount.flag.span);
      if (blocked) {
        api.skip(`cache mount ${target} left alone: ${blocked}`, mount.flag.span);
        continue;
      }
      if (!known && id !== undefined) api.report(`cache target ${target} is not in the knowledge table: scoped by platform to be safe (--unknown-targets=leave keeps such caches shared)`, mount.flag.span);
      changes.push({ mount, needs: missing, ins: outer, ...(id !== undefined ? { id } : {}) });
    }
  }
  if (changes.length === 0) return undefined;

  const syntax = model.directives.find((d) => d.name === 'syntax');
  if (syntaxSupportsMountVariables(syntax?.value) === false && changes.some((c) => c.id?.includes('$'))) {
    api.skip(`# syntax=${syntax!.value} predates variable expansion in --mount (docker/dockerfile 1.3); cache ids were left alone — use docker/dockerfile:1`, syntax!.span);
    return undefined;
  }

  // One declaration per stage, right after its FROM (before every use; ARGs are stage-scoped); an ONBUILD
  // trigger gets `ONBUILD ARG` right above it, because it runs in the downstream build.
  const declare = new Map<Instruction, Set<string>>();
  for (const c of changes) {
    if (c.id !== undefined) editor.setMountOption(c.mount, 'id', c.id);
    if (c.needs.length === 0) continue;
    const at = c.ins.keyword === 'ONBUILD' ? c.ins : model.stages[c.ins.stage]!.from;
    const set = declare.get(at) ?? new Set<string>();
    for (const n of c.needs) set.add(n);
    declare.set(at, set);
  }
  for (const [at, names] of declare) {
    const list = [...names].sort(argOrder).join(' ');
    if (at.keyword === 'ONBUILD') editor.insertLinesBefore(at, [`ONBUILD ARG ${list}`]);
    else editor.insertLinesAfter(at, [`ARG ${list}`]);
  }
  return editor.apply();
}

const ARG_ORDER = ['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT'];
const argOrder = (a: string, b: string) => ARG_ORDER.indexOf(a) - ARG_ORDER.indexOf(b);
