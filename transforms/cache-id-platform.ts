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
      description: 'TARGETPLATFORM (id suffix `${TARGETPLATFORM}`) or TARGETARCH (suffix `${TARGETARCH}${TARGETVARIANT}`, so arm/v6 and arm/v7 stay apart)',
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
 * What a cache target holds, by its absolute path. First match wins, so specific entries come first.
 * `platform`: content differs per platform and breaks (or silently corrupts) when shared.
 * `shared`: platform-independent downloads, or caches that key their entries by platform themselves.
 */
export const KNOWLEDGE: Knowledge[] = [
  { paths: '/var/cache/apk, /etc/apk/cache', pattern: /^\/(var\/cache\/apk|etc\/apk\/cache)(\/|$)/, class: 'platform', why: 'apk keeps per-architecture packages and indexes' },
  { paths: '/var/cache/apt', pattern: /^\/var\/cache\/apt(\/|$)/, class: 'platform', why: 'apt keeps per-architecture .deb archives' },
  { paths: '/var/lib/apt', pattern: /^\/var\/lib\/apt(\/|$)/, class: 'platform', why: 'apt package lists index one architecture' },
  { paths: '/var/cache/dnf, /var/cache/yum, /var/cache/libdnf5', pattern: /^\/var\/cache\/(dnf|yum|libdnf5)(\/|$)/, class: 'platform', why: 'dnf/yum keep per-architecture RPMs and repository metadata' },
  { paths: '/var/cache/zypp', pattern: /^\/var\/cache\/zypp(\/|$)/, class: 'platform', why: 'zypper keeps per-architecture RPMs and metadata' },
  { paths: '/var/cache/pacman', pattern: /^\/var\/cache\/pacman(\/|$)/, class: 'platform', why: 'pacman keeps per-architecture packages' },
  { paths: '…/node_modules', pattern: /(^|\/)node_modules(\/|$)/, class: 'platform', why: 'node_modules holds installed packages with native addons built for one platform' },
  { paths: '…/venv, …/.venv, …/.virtualenvs, …/virtualenv', pattern: /(^|\/)(\.?venv|\.virtualenvs?|virtualenv)(\/|$)/, class: 'platform', why: 'a virtualenv holds interpreter links and compiled extensions for one platform' },
  { paths: '…/.cache/pypoetry/virtualenvs', pattern: /(^|\/)(\.cache\/pypoetry\/virtualenvs)(\/|$)/, class: 'platform', why: 'Poetry virtualenvs hold compiled extensions for one platform' },
  { paths: '/usr/local/bundle, …/vendor/bundle', pattern: /^\/usr\/local\/bundle(\/|$)|(^|\/)vendor\/bundle(\/|$)/, class: 'platform', why: 'installed gems include native extensions built for one platform' },
  { paths: '…/ccache, …/.ccache, …/sccache', pattern: /(^|\/)(\.?ccache|sccache)(\/|$)/, class: 'platform', why: 'compiler caches hold object code; under emulation one compiler path builds for several platforms' },
  { paths: '…/.rustup', pattern: /(^|\/)\.rustup(\/|$)/, class: 'platform', why: 'rustup keeps host toolchain binaries' },
  { paths: '…/target', pattern: /(^|\/)target(\/|$)/, class: 'platform', why: 'a build target directory holds compiled artifacts for one platform' },
  { paths: '…/pkg/mod', pattern: /(^|\/)pkg\/mod(\/|$)/, class: 'shared', why: 'the Go module cache holds platform-independent sources' },
  { paths: '…/go-build', pattern: /(^|\/)go-build(\/|$)/, class: 'shared', why: "Go's build cache keys every entry by GOOS/GOARCH itself" },
  { paths: '…/.npm', pattern: /(^|\/)\.npm(\/|$)/, class: 'shared', why: "npm's cache holds registry tarballs (content-addressed)" },
  { paths: '…/.cache/yarn, …/.yarn/cache, …/.yarn/berry/cache', pattern: /(^|\/)(\.cache\/yarn|\.yarn\/cache|\.yarn\/berry\/cache|share\/\.cache\/yarn)(\/|$)/, class: 'shared', why: "Yarn's cache holds package archives" },
  { paths: '…/pnpm/store, …/.pnpm-store, …/share/pnpm', pattern: /(^|\/)(pnpm\/store|\.pnpm-store|share\/pnpm)(\/|$)/, class: 'shared', why: "pnpm's store is content-addressed; built side effects are keyed by platform" },
  { paths: '…/.cache/pip', pattern: /(^|\/)\.cache\/pip(\/|$)/, class: 'shared', why: "pip's cache holds HTTP responses and wheels tagged by platform" },
  { paths: '…/.cache/uv', pattern: /(^|\/)\.cache\/uv(\/|$)/, class: 'shared', why: "uv's cache keys wheels and builds by platform tags" },
  { paths: '…/cargo/registry, …/cargo/git, …/.cargo/registry, …/.cargo/git', pattern: /(^|\/)(cargo|\.cargo)\/(registry|git)(\/|$)/, class: 'shared', why: 'the cargo registry and git caches hold crate sources' },
  { paths: '…/.m2', pattern: /(^|\/)\.m2(\/|$)/, class: 'shared', why: 'the Maven repository holds jars; native classifiers are separate artifacts' },
  { paths: '…/.gradle', pattern: /(^|\/)\.gradle(\/|$)/, class: 'shared', why: "Gradle's caches hold jars; its native libraries are stored per platform" },
  { paths: '…/.composer/cache, …/.cache/composer', pattern: /(^|\/)(\.composer\/cache|\.cache\/composer)(\/|$)/, class: 'shared', why: "Composer's cache holds package archives" },
  { paths: '…/.nuget/packages', pattern: /(^|\/)\.nuget\/packages(\/|$)/, class: 'shared', why: 'NuGet packages carry their runtime-specific assets under per-RID folders' },
  { paths: '…/.bundle/cache', pattern: /(^|\/)\.bundle\/cache(\/|$)/, class: 'shared', why: 'cached .gem files are named by platform' },
];

const PLATFORM_VAR = /\$\{?(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)\b/;

export function classify(target: string): Knowledge | undefined {
  return KNOWLEDGE.find((k) => k.pattern.test(target));
}

/** Where a stage runs: for the target platform, always the build platform, a fixed platform, or unknown. */
type StagePlatform = 'target' | 'build' | 'fixed' | 'unknown';

function stagePlatform(model: DockerfileModel, stage: Stage, seen = new Set<number>()): StagePlatform {
  const p = stage.platform;
  if (p === undefined) {
    const base = findStage(model, stage.base, stage.index);
    if (!base || seen.has(base.index)) return 'target';
    seen.add(stage.index);
    return stagePlatform(model, base, seen);
  }
  if (/\$\{?BUILD(PLATFORM|OS|ARCH|VARIANT)\b/.test(p)) return 'build';
  if (/^\$\{?TARGETPLATFORM\}?$/.test(p)) return 'target';
  if (!p.includes('$')) return 'fixed';
  return /^(\$\{?TARGET(OS|ARCH|VARIANT)\}?|\/)+$/.test(p) ? 'target' : 'unknown';
}

function findStage(model: DockerfileModel, name: string, before: number): Stage | undefined {
  const lower = name.toLowerCase();
  return model.stages.slice(0, before).reverse().find((s) => s.name?.toLowerCase() === lower);
}

/** The stage's working directory before instruction `beforeIndex`, when the Dockerfile alone determines it (no variables, no unknown image WORKDIR). */
function workdirAt(model: DockerfileModel, stage: Stage, beforeIndex: number, depth = 0): string | undefined {
  const own = stage.instructions.filter((i) => i.keyword === 'WORKDIR' && i.index < beforeIndex);
  const firstAbsolute = own.findIndex((i) => i.args[0]?.value.startsWith('/'));
  let dir: string;
  if (firstAbsolute < 0) {
    const base = findStage(model, stage.base, stage.index);
    if (!base || depth > 20) return undefined; // an external image's WORKDIR is unknown here
    const inherited = workdirAt(model, base, Number.MAX_SAFE_INTEGER, depth + 1);
    if (inherited === undefined) return undefined;
    dir = inherited;
  } else dir = '/';
  for (const w of own.slice(Math.max(firstAbsolute, 0))) {
    const value = w.args.map((a) => a.value).join(' ');
    if (value.includes('$') || w.args.length !== 1) return undefined;
    dir = value.startsWith('/') ? value : `${dir}/${value}`;
  }
  return normalize(dir);
}

function normalize(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

interface DeclaredArgs {
  names: Set<string>;
  withDefault: Set<string>;
}

function argsDeclaredBefore(stage: Stage, ins: Instruction): DeclaredArgs {
  const names = new Set<string>();
  const withDefault = new Set<string>();
  for (const i of stage.instructions) {
    if (i.index >= ins.index) break;
    if (i.keyword !== 'ARG') continue;
    for (const a of i.args) {
      const eq = a.value.indexOf('=');
      const name = eq < 0 ? a.value : a.value.slice(0, eq);
      names.add(name);
      if (eq >= 0) withDefault.add(name);
    }
  }
  return { names, withDefault };
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

interface Plan {
  mount: Mount;
  id: string;
}

export default function transform(file: FileInfo, api: TransformApi, options: Record<string, unknown>): string | undefined {
  const model = api.model;
  const platformArg = String(options.platformArg ?? meta.options.platformArg.default).toUpperCase();
  if (platformArg !== 'TARGETPLATFORM' && platformArg !== 'TARGETARCH') throw new Error(`--platform-arg must be TARGETPLATFORM or TARGETARCH, got "${String(options.platformArg)}"`);
  const unknownTargets = String(options.unknownTargets ?? meta.options.unknownTargets.default);
  if (unknownTargets !== 'scope' && unknownTargets !== 'leave') throw new Error(`--unknown-targets must be scope or leave, got "${unknownTargets}"`);

  const cacheRuns = model.instructions.filter((i) => i.mounts.some((m) => m.type === 'cache') || i.trigger?.mounts.some((m) => m.type === 'cache'));
  if (cacheRuns.length === 0) return undefined;
  const syntax = model.directives.find((d) => d.name === 'syntax');
  if (syntaxSupportsMountVariables(syntax?.value) === false) {
    api.skip(`# syntax=${syntax!.value} predates variable expansion in --mount (docker/dockerfile 1.3); cache ids were left alone — use docker/dockerfile:1`, syntax!.span);
    return undefined;
  }

  const editor = api.edit();
  const plans = new Map<Stage, Plan[]>();
  for (const ins of cacheRuns) {
    if (ins.keyword === 'ONBUILD') {
      api.skip('ONBUILD RUN cache mount left alone: the platform ARG would have to be declared in the downstream build', ins.span);
      continue;
    }
    const stage = model.stages[ins.stage];
    if (!stage || api.isSuppressed(ins)) continue;
    const where = stagePlatform(model, stage);
    if (where !== 'target') {
      if (where === 'unknown') api.report({ level: 'warning', message: `stage platform "${stage.platform}" is not understood; cache mounts left alone`, at: ins.span });
      continue; // build-platform and fixed-platform stages always run on one platform per builder
    }
    for (const mount of ins.mounts) {
      if (mount.type !== 'cache') continue;
      const id = mount.get('id');
      const target = mount.get('target');
      if (PLATFORM_VAR.test(id?.value ?? '') || PLATFORM_VAR.test(target?.value ?? '')) continue; // already scoped
      if (!target?.value) continue; // BuildKit rejects a cache mount without target; nothing to key
      const blocked = editor.protectedReason(mount.flag.span) ?? (mount.flag.quoted ? 'the mount uses quotes or escapes' : undefined) ?? (id?.crossesLines ? 'its id continues over lines' : undefined);
      if (blocked) {
        api.skip(`cache mount ${target.value} left alone: ${blocked}`, mount.flag.span);
        continue;
      }
      let absolute = target.value;
      if (!absolute.startsWith('/') && !absolute.startsWith('$')) {
        const dir = workdirAt(model, stage, ins.index);
        if (dir === undefined) {
          api.skip(`cache mount target "${target.value}" is relative and the stage's WORKDIR is not known from this file; left alone`, mount.flag.span);
          continue;
        }
        absolute = normalize(`${dir}/${absolute}`);
      }
      const known = classify(absolute);
      if (known?.class === 'shared') continue;
      if (!known) {
        if (unknownTargets === 'leave') continue;
        api.report(`cache target ${absolute} is not in the knowledge table: scoped by platform to be safe (--unknown-targets=leave keeps such caches shared)`, mount.flag.span);
      }
      const list = plans.get(stage) ?? [];
      list.push({ mount, id: id?.value ?? absolute });
      plans.set(stage, list);
    }
  }

  for (const [stage, list] of plans) {
    const first = list[0]!.mount.flag.span;
    const declared = argsDeclaredBefore(stage, model.instructions.find((i) => i.span.start <= first.start && first.start < i.span.end)!);
    // Reuse what the stage already declares; TARGETARCH always travels with TARGETVARIANT (arm/v6 ≠ arm/v7).
    const wanted = declared.names.has('TARGETPLATFORM')
      ? ['TARGETPLATFORM']
      : declared.names.has('TARGETARCH') || platformArg === 'TARGETARCH'
        ? ['TARGETARCH', 'TARGETVARIANT']
        : ['TARGETPLATFORM'];
    const overridden = wanted.filter((n) => declared.withDefault.has(n));
    if (overridden.length) {
      api.skip(`stage ${stage.name ?? stage.index} gives ${overridden.join(', ')} a default value; its cache mounts were left alone`, stage.from.span);
      continue;
    }
    const suffix = wanted.map((n) => `\${${n}}`).join('');
    for (const { mount, id } of list) editor.setMountOption(mount, 'id', `${id}-${suffix}`);
    const missing = wanted.filter((n) => !declared.names.has(n));
    if (missing.length) editor.insertAtStageStart(stage, [`ARG ${missing.join(' ')}`]);
  }
  return editor.size ? editor.apply() : undefined;
}
