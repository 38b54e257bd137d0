// Package-manager knowledge for cache mounts: which commands install (and so read or fill a download cache),
// where each tool keeps that cache for a given environment (user, HOME, the environment variables that move
// it), and which flags and commands defeat the cache. Pure data and string functions: no model, no editor.
//
// The public entry points, for cache-mounts and cache-mount-pitfalls:
//
//   toolCacheDirs('pip', { vars, home: '/root' })        → { ok: true, dirs: ['/root/.cache/pip'] }
//   toolCacheDirs('npm', { vars, home: undefined })      → { ok: false, reason: 'HOME is not known' }
//   recognise(cmd)                                       → the tool a command uses, and how
//   IMAGE_ENV / IMAGE_USERS / imageEnv(ref) / imageUser(ref, name)
//
// Sources (read for each tool): Docker's "Optimize cache usage in builds" and the Dockerfile reference
// (RUN --mount=type=cache, the apt example), apk-tools database.c (the cache is /etc/apk/cache when that
// directory exists, else only indexes go to /var/cache/apk; `--no-cache` keeps nothing), dnf.conf(5) and
// dnf5 (cachedir /var/cache/dnf, /var/cache/libdnf5; keepcache=0 deletes packages after a transaction),
// pip's docs (PIP_CACHE_DIR, XDG_CACHE_HOME, any PIP_NO_CACHE_DIR value disables the cache), npm-config
// (cache = ~/.npm, npm_config_cache), Yarn 1's user-home-dir (root uses /usr/local/share as home), pnpm's
// store-path (store-dir = $PNPM_HOME/store or $XDG_DATA_HOME/pnpm/store or ~/.local/share/pnpm/store),
// `go help environment` (GOMODCACHE = $GOPATH/pkg/mod, GOCACHE = $XDG_CACHE_HOME/go-build or
// ~/.cache/go-build), Cargo's docs (CARGO_HOME/registry and /git; never target/), Maven's
// maven.repo.local, Gradle's GRADLE_USER_HOME (caches/, wrapper/), Composer's Factory::getCacheDir
// (COMPOSER_CACHE_DIR, COMPOSER_HOME/cache, XDG detection), RubyGems/Bundler ($GEM_HOME/cache) and uv's docs
// (UV_CACHE_DIR, --no-cache).

import { cleanPath } from '../../src/dockerfile/paths.js';
import { expandVars } from '../../src/dockerfile/env.js';
import { officialImageName } from '../../src/dockerfile/stages.js';

export type ToolName = 'apt' | 'apk' | 'dnf' | 'yum' | 'pip' | 'uv' | 'npm' | 'yarn' | 'pnpm' | 'go' | 'cargo' | 'maven' | 'gradle' | 'composer' | 'bundler';

export interface ToolInfo {
  /** As users name it in messages. */
  label: string;
  /** Runs as root (or through sudo): its cache does not depend on the user or HOME. */
  system: boolean;
  /** `sharing=locked`: the tool does not cope with two builds writing the cache at once. */
  locked: boolean;
  /**
   * Set when later steps read what the tool left in its cache directory (apt's package lists, Go's module
   * cache, …): then every RUN of a stage chain that runs the tool needs the same mount, or none may have it.
   * The text says why.
   */
  chained?: string;
  /** Programs of this tool that a CMD/ENTRYPOINT may run, reading the cache at container run time. */
  runtime?: RegExp;
}

export const TOOLS: Record<ToolName, ToolInfo> = {
  apt: {
    label: 'apt',
    system: true,
    locked: true,
    chained: 'with docker-clean disabled an apt RUN without the mounts would leave .deb files and package caches in the image',
  },
  apk: { label: 'apk', system: true, locked: true },
  dnf: { label: 'dnf', system: true, locked: true, chained: 'later dnf commands (`-C`, `makecache` then install) read the metadata it caches' },
  yum: { label: 'yum', system: true, locked: true, chained: 'later yum commands (`-C`, `makecache` then install) read the metadata it caches' },
  pip: { label: 'pip', system: false, locked: false },
  uv: { label: 'uv', system: false, locked: false },
  npm: { label: 'npm', system: false, locked: false },
  yarn: { label: 'Yarn', system: false, locked: true },
  pnpm: { label: 'pnpm', system: false, locked: false, chained: 'a later `pnpm install --offline` reads the packages `pnpm fetch` put in the store' },
  go: { label: 'Go', system: false, locked: false, chained: '`go build` reads the modules an earlier `go mod download` put in the module cache', runtime: /^go$/ },
  cargo: { label: 'Cargo', system: false, locked: false, chained: 'later cargo commands read the crates an earlier `cargo fetch` put in the registry', runtime: /^cargo$/ },
  maven: { label: 'Maven', system: false, locked: true, chained: 'later (offline) Maven runs read the artifacts an earlier one put in the local repository', runtime: /^mvnw?$/ },
  gradle: { label: 'Gradle', system: false, locked: false, chained: 'later (offline) Gradle runs read the dependencies and the wrapper distribution an earlier one cached', runtime: /^gradlew?$/ },
  composer: { label: 'Composer', system: false, locked: false },
  bundler: { label: 'Bundler', system: false, locked: false },
};

// ---------------------------------------------------------------------------------------------------
// Where the caches are

export interface ToolEnv {
  /** ENV values and ARG defaults in effect (values may hold `$VAR`s; they are expanded here). */
  vars: Map<string, string | undefined>;
  /** HOME of the user the command runs as; undefined when it is not known. */
  home?: string;
  /** The command runs as root (uid 0). Yarn 1 keeps root's cache under /usr/local/share. */
  root?: boolean;
}

export type CacheDirs = { ok: true; dirs: string[] } | { ok: false; reason: string };

/** Options a command gives on its own command line (`--cache-dir X`, `-Dmaven.repo.local=X`, …). */
export interface CacheDirOptions {
  /** An explicit cache directory from the command line; `null` when the option is there but not a literal. */
  explicit?: string | null;
  /** Go: which caches the command uses; default both. */
  goParts?: ('mod' | 'build')[];
  /** Gradle: the wrapper distribution directory too (`./gradlew`). */
  gradleWrapper?: boolean;
  /** dnf/yum: the cache directory of the image's dnf (from the base image), when known. */
  rpmCacheDir?: string;
}

function get(env: ToolEnv, name: string): string | undefined | null {
  if (!env.vars.has(name)) return undefined;
  const raw = env.vars.get(name);
  if (raw === undefined) return null;
  const known = new Map<string, string>();
  for (const [k, v] of env.vars) if (v !== undefined) known.set(k, v);
  if (env.home !== undefined && !known.has('HOME')) known.set('HOME', env.home);
  const v = expandVars(raw, known);
  return v === undefined ? null : v;
}

type Dir = { ok: true; dir: string } | { ok: false; reason: string };

/** An environment variable's value as an absolute clean path (undefined when unset). */
function envDir(env: ToolEnv, name: string): Dir | undefined {
  const v = get(env, name);
  if (v === undefined || v === '') return undefined;
  if (v === null) return { ok: false, reason: `${name} uses variables whose values are not known here` };
  const first = name === 'GOPATH' ? v.split(':')[0]! : v;
  if (!first.startsWith('/')) return { ok: false, reason: `${name}=${v} is not an absolute path` };
  return { ok: true, dir: cleanPath(first) };
}

function homeDir(env: ToolEnv, why: string): Dir {
  const h = get(env, 'HOME');
  if (typeof h === 'string' && h.startsWith('/')) return { ok: true, dir: cleanPath(h) };
  if (h === null) return { ok: false, reason: `HOME uses variables whose values are not known here (${why})` };
  if (env.home !== undefined) return { ok: true, dir: cleanPath(env.home) };
  return { ok: false, reason: `the home directory of the user that runs it is not known (${why})` };
}

function under(d: Dir, ...rest: string[]): Dir {
  return d.ok ? { ok: true, dir: cleanPath([d.dir, ...rest].join('/')) } : d;
}

function first(...ds: (Dir | undefined)[]): Dir | undefined {
  return ds.find((d) => d !== undefined);
}

function xdgCache(env: ToolEnv, tool: string, why: string): Dir {
  return first(envDir(env, 'XDG_CACHE_HOME') && under(envDir(env, 'XDG_CACHE_HOME')!, tool)) ?? under(homeDir(env, why), '.cache', tool);
}

function explicitDir(o: CacheDirOptions, what: string): Dir | undefined {
  if (o.explicit === undefined) return undefined;
  if (o.explicit === null) return { ok: false, reason: `its ${what} option is not a literal path` };
  if (!o.explicit.startsWith('/')) return { ok: false, reason: `its ${what} ${o.explicit} is not an absolute path` };
  return { ok: true, dir: cleanPath(o.explicit) };
}

function done(...ds: Dir[]): CacheDirs {
  const bad = ds.find((d) => !d.ok);
  if (bad && !bad.ok) return { ok: false, reason: bad.reason };
  return { ok: true, dirs: [...new Set(ds.map((d) => (d as { dir: string }).dir))] };
}

/**
 * The directories `tool` keeps its download cache in, for a command running with `env` — the directories a
 * cache mount must cover. Refuses (with the reason) when they depend on something not known here.
 */
export function toolCacheDirs(tool: ToolName, env: ToolEnv, o: CacheDirOptions = {}): CacheDirs {
  switch (tool) {
    case 'apt':
      // Package archives (and pkgcache.bin) and the package lists. Not all of /var/lib/apt: it also holds
      // extended_states, the image's record of automatically installed packages, which must stay in the image.
      return done({ ok: true, dir: '/var/cache/apt' }, { ok: true, dir: '/var/lib/apt/lists' });
    case 'apk':
      // apk caches packages and indexes in /etc/apk/cache when that directory exists (the mount makes it exist).
      return done({ ok: true, dir: '/etc/apk/cache' });
    case 'dnf':
    case 'yum':
      if (!o.rpmCacheDir) return { ok: false, reason: `which ${tool} the base image has (dnf 4 keeps its cache in /var/cache/dnf, dnf 5 in /var/cache/libdnf5, yum 3 in /var/cache/yum) is not known` };
      return done({ ok: true, dir: o.rpmCacheDir });
    case 'pip':
      return done(explicitDir(o, '--cache-dir') ?? envDir(env, 'PIP_CACHE_DIR') ?? xdgCache(env, 'pip', 'pip caches in ~/.cache/pip'));
    case 'uv':
      return done(explicitDir(o, '--cache-dir') ?? envDir(env, 'UV_CACHE_DIR') ?? xdgCache(env, 'uv', 'uv caches in ~/.cache/uv'));
    case 'npm':
      return done(explicitDir(o, '--cache') ?? envDir(env, 'npm_config_cache') ?? envDir(env, 'NPM_CONFIG_CACHE') ?? under(homeDir(env, 'npm caches in ~/.npm'), '.npm'));
    case 'yarn': {
      // Yarn 1: YARN_CACHE_FOLDER, else $XDG_CACHE_HOME/yarn, else <home>/.cache/yarn — where root's home is
      // /usr/local/share (yarn/src/util/user-home-dir.js).
      const explicit = explicitDir(o, '--cache-folder') ?? envDir(env, 'YARN_CACHE_FOLDER');
      if (explicit) return done(explicit);
      const xdg = envDir(env, 'XDG_CACHE_HOME');
      if (xdg) return done(under(xdg, 'yarn'));
      if (env.root) return done({ ok: true, dir: '/usr/local/share/.cache/yarn' });
      return done(under(homeDir(env, 'Yarn caches in ~/.cache/yarn'), '.cache', 'yarn'));
    }
    case 'pnpm': {
      const explicit = explicitDir(o, '--store-dir') ?? envDir(env, 'npm_config_store_dir') ?? envDir(env, 'NPM_CONFIG_STORE_DIR');
      if (explicit) return done(explicit);
      const pnpmHome = envDir(env, 'PNPM_HOME');
      if (pnpmHome) return done(under(pnpmHome, 'store'));
      const data = envDir(env, 'XDG_DATA_HOME');
      if (data) return done(under(data, 'pnpm', 'store'));
      return done(under(homeDir(env, 'pnpm keeps its store in ~/.local/share/pnpm/store'), '.local', 'share', 'pnpm', 'store'));
    }
    case 'go': {
      const parts = o.goParts ?? ['mod', 'build'];
      const out: Dir[] = [];
      if (parts.includes('mod')) {
        const gopath = envDir(env, 'GOPATH') ?? under(homeDir(env, 'GOPATH defaults to ~/go'), 'go');
        out.push(envDir(env, 'GOMODCACHE') ?? under(gopath, 'pkg', 'mod'));
      }
      if (parts.includes('build')) {
        const gocache = get(env, 'GOCACHE');
        if (gocache === 'off') return { ok: false, reason: 'GOCACHE=off' };
        out.push(envDir(env, 'GOCACHE') ?? xdgCache(env, 'go-build', 'Go caches builds in ~/.cache/go-build'));
      }
      return done(...out);
    }
    case 'cargo': {
      const home = envDir(env, 'CARGO_HOME') ?? under(homeDir(env, 'CARGO_HOME defaults to ~/.cargo'), '.cargo');
      return done(under(home, 'registry'), under(home, 'git'));
    }
    case 'maven': {
      // The repository only: ~/.m2 itself may hold a copied settings.xml.
      const fromEnv = ['MAVEN_OPTS', 'MAVEN_ARGS'].map((n) => get(env, n)).find((x) => x === null || (typeof x === 'string' && x.includes('maven.repo.local')));
      if (fromEnv === null) return { ok: false, reason: 'MAVEN_OPTS or MAVEN_ARGS uses variables whose values are not known here' };
      const envRepo = fromEnv === undefined ? undefined : mavenRepoLocal(fromEnv.split(/\s+/));
      return done(explicitDir(o, '-Dmaven.repo.local') ?? explicitDir({ explicit: envRepo }, 'maven.repo.local in MAVEN_OPTS') ?? under(homeDir(env, 'Maven keeps its repository in ~/.m2/repository'), '.m2', 'repository'));
    }
    case 'gradle': {
      const opts = get(env, 'GRADLE_OPTS');
      if (opts === null) return { ok: false, reason: 'GRADLE_OPTS uses variables whose values are not known here' };
      const prop = opts?.split(/\s+/).find((w) => w.startsWith('-Dgradle.user.home='));
      const guh = explicitDir(o, '--gradle-user-home') ?? (prop !== undefined ? explicitDir({ explicit: prop.slice('-Dgradle.user.home='.length) }, 'gradle.user.home in GRADLE_OPTS') : undefined) ?? envDir(env, 'GRADLE_USER_HOME') ?? under(homeDir(env, 'Gradle keeps its caches in ~/.gradle'), '.gradle');
      // caches/ and the wrapper's distributions, not the whole user home (gradle.properties, init.d scripts).
      return o.gradleWrapper ? done(under(guh, 'caches'), under(guh, 'wrapper')) : done(under(guh, 'caches'));
    }
    case 'composer': {
      const cacheDir = get(env, 'COMPOSER_CACHE_DIR');
      if (cacheDir === '/dev/null') return { ok: false, reason: 'COMPOSER_CACHE_DIR=/dev/null disables its cache' };
      const explicit = envDir(env, 'COMPOSER_CACHE_DIR');
      if (explicit) return done(explicit);
      const home = envDir(env, 'COMPOSER_HOME');
      if (home) return done(under(home, 'cache'));
      const xdg = envDir(env, 'XDG_CACHE_HOME');
      if (xdg) return done(under(xdg, 'composer'));
      // Otherwise Composer picks ~/.cache/composer or ~/.composer/cache depending on whether /etc/xdg exists
      // in the image and which of its directories already exist.
      return { ok: false, reason: 'without COMPOSER_HOME or COMPOSER_CACHE_DIR its cache directory depends on the image (~/.composer/cache or, when /etc/xdg exists, ~/.cache/composer)' };
    }
    case 'bundler': {
      if (get(env, 'BUNDLE_PATH') !== undefined) return { ok: false, reason: 'BUNDLE_PATH puts gems (and their cache) under a Ruby-version directory that is not known here' };
      if (get(env, 'BUNDLE_DEPLOYMENT') !== undefined) return { ok: false, reason: 'BUNDLE_DEPLOYMENT installs into vendor/bundle under a Ruby-version directory' };
      const gemHome = envDir(env, 'GEM_HOME');
      if (!gemHome) return { ok: false, reason: 'GEM_HOME is not set, so the gem directory (and its cache) depends on the Ruby version' };
      return done(under(gemHome, 'cache'));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// What images bring

/** Environment set by official images that moves a cache (Docker Hub library images, by name). */
export const IMAGE_ENV: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  golang: { GOPATH: '/go' },
  rust: { CARGO_HOME: '/usr/local/cargo', RUSTUP_HOME: '/usr/local/rustup' },
  composer: { COMPOSER_HOME: '/tmp' },
  ruby: { GEM_HOME: '/usr/local/bundle', BUNDLE_APP_CONFIG: '/usr/local/bundle' },
};

/**
 * Well-known images outside the Docker Hub library, by repository: the official image they are built on (so
 * they share its default user and environment).
 */
export const DERIVED_IMAGES: Readonly<Record<string, string>> = {
  'lukemathwalker/cargo-chef': 'rust',
  'docker.io/lukemathwalker/cargo-chef': 'rust',
  'public.ecr.aws/amazonlinux/amazonlinux': 'amazonlinux',
  'public.ecr.aws/docker/library/amazonlinux': 'amazonlinux',
  'ghcr.io/oracle/oraclelinux': 'oraclelinux',
};

/** The Docker Hub library name of an image, or of the library image a well-known image is built on. */
function libraryName(ref: string): string | undefined {
  const name = officialImageName(ref);
  if (name !== undefined) return name;
  const repo = ref.split('@')[0]!.replace(/:[^/]*$/, '').toLowerCase();
  return DERIVED_IMAGES[repo];
}

/** The environment an external base image sets, as far as it matters here; undefined = not known. */
export function imageEnv(ref: string): Record<string, string> | undefined {
  const name = libraryName(ref);
  if (name === undefined) return undefined;
  if (name === 'ruby' && /^2(\.|-|$)/.test(imageTag(ref) ?? '')) return undefined; // Ruby 2 images also set BUNDLE_PATH
  return { ...(IMAGE_ENV[name] ?? {}) };
}

export interface ImageUser {
  uid: number;
  gid?: number;
  home: string;
}

/** Users that official images create (USER node in a node image). */
export const IMAGE_USERS: Readonly<Record<string, Readonly<Record<string, ImageUser>>>> = {
  node: { node: { uid: 1000, gid: 1000, home: '/home/node' } },
  gradle: { gradle: { uid: 1000, gid: 1000, home: '/home/gradle' } },
};

export function imageUser(ref: string, name: string): ImageUser | undefined {
  const image = libraryName(ref);
  return image === undefined ? undefined : IMAGE_USERS[image]?.[name];
}

/**
 * Official images whose default user is root. A stage without USER whose chain starts at one of these runs
 * as root; other images may set a USER of their own, which is not known here.
 */
export const ROOT_IMAGES = new Set([
  'alpine', 'busybox', 'debian', 'ubuntu', 'fedora', 'centos', 'rockylinux', 'almalinux', 'amazonlinux', 'oraclelinux',
  'archlinux', 'opensuse', 'photon', 'clearlinux', 'buildpack-deps', 'python', 'pypy', 'node', 'golang', 'rust', 'ruby',
  'php', 'composer', 'maven', 'gradle', 'eclipse-temurin', 'openjdk', 'amazoncorretto', 'ibmjava', 'ibm-semeru-runtimes',
  'sapmachine', 'perl', 'gcc', 'haskell', 'elixir', 'erlang', 'julia', 'r-base', 'swift', 'dart', 'clojure', 'groovy',
  'nginx', 'httpd', 'tomcat', 'bash', 'docker', 'mono', 'crystal', 'nim', 'bun', 'denoland',
]);

export function imageRunsAsRoot(ref: string): boolean {
  const name = libraryName(ref);
  return name !== undefined && ROOT_IMAGES.has(name);
}

function imageTag(ref: string): string | undefined {
  const r = ref.split('@')[0]!;
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  return colon > slash ? r.slice(colon + 1) : undefined;
}

/**
 * The cache directory of the dnf/yum that `program` runs in an image, for well-known RPM-based images:
 * dnf 5 (Fedora 41 and later) keeps it in /var/cache/libdnf5, dnf 4 (and `yum`, a link to it, on EL 8+,
 * Amazon Linux 2023, Fedora up to 40) in /var/cache/dnf, yum 3 (EL 7, Amazon Linux 2) in /var/cache/yum.
 * Undefined when the image (or its version) is not known.
 */
export function rpmCacheDir(ref: string, program: string): string | undefined {
  if (program === 'dnf5') return '/var/cache/libdnf5';
  if (program === 'dnf-3') return '/var/cache/dnf';
  const lower = ref.toLowerCase();
  const tag = imageTag(lower) ?? 'latest';
  const major = /^(\d+)/.exec(tag)?.[1];
  let family: 'dnf5' | 'dnf4' | 'yum3' | undefined;
  const name = libraryName(lower);
  if (name === 'fedora') family = tag === 'latest' || tag === 'rawhide' ? 'dnf5' : major === undefined ? undefined : Number(major) >= 41 ? 'dnf5' : Number(major) >= 22 ? 'dnf4' : undefined;
  else if (name === 'rockylinux' || name === 'almalinux') family = major !== undefined && Number(major) >= 8 ? 'dnf4' : undefined;
  else if (name === 'centos') family = major === '7' ? 'yum3' : major === '8' ? 'dnf4' : undefined;
  else if (name === 'oraclelinux') family = major === '7' ? 'yum3' : major === '8' || major === '9' || major === '10' ? 'dnf4' : undefined;
  else if (name === 'amazonlinux') family = tag.startsWith('2023') ? 'dnf4' : major === '2' ? 'yum3' : undefined;
  else if (/^quay\.io\/centos\/centos:stream(8|9|10)/.test(lower)) family = 'dnf4';
  else if (/^(registry\.access\.redhat\.com|registry\.redhat\.io)\/ubi(8|9)(\/ubi|\/ubi-init)?(:|@|$)/.test(lower) || /^(docker\.io\/)?redhat\/ubi(8|9)(:|@|$)/.test(lower)) family = 'dnf4';
  else if (/^rockylinux\/rockylinux:(8|9)/.test(lower) || /^almalinux\/(8|9)-base/.test(lower)) family = 'dnf4';
  if (family === undefined) return undefined;
  if (family === 'dnf5') return program === 'dnf' || program === 'yum' ? '/var/cache/libdnf5' : undefined;
  if (family === 'dnf4') return '/var/cache/dnf';
  return program === 'yum' ? '/var/cache/yum' : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Recognising commands

/** A simple command as the recogniser sees it: literal word values (undefined where a word expands). */
export interface CommandWords {
  /** Every word, the program at `at`. */
  argv: (string | undefined)[];
  at: number;
  /** Base name of the program. */
  prog: string;
  /** `NAME=value` prefix assignments and `env NAME=value` words (value undefined when it expands). */
  assigns: Map<string, string | undefined>;
  /** Run through sudo/doas; `sudoUser` is the -u value (null when not literal). */
  sudo: boolean;
  sudoUser?: string | null;
}

export type UseKind = 'cache' | 'clean';

export interface ToolUse {
  tool: ToolName;
  kind: UseKind;
  /** The subcommand (`install`, `update`, …), when the tool has them. */
  sub?: string;
  /** Options that locate the cache on the command line. */
  dirs: CacheDirOptions;
  /** The command only works with what an earlier command cached (`mvn -o`, `cargo --offline`, `apt-get install` needs lists). */
  offline?: boolean;
  /** apt: writes the package lists (`apt-get update` and commands that run it). */
  updatesLists?: boolean;
  /** apt: reads the package lists. */
  needsLists?: boolean;
  /** Words (indexes into argv) that defeat the cache: removed, or replaced by `replace`. */
  defeats: { index: number; replace?: string; what: string }[];
  /** Prefix assignments that defeat the cache (PIP_NO_CACHE_DIR=1 pip …). */
  defeatAssigns: string[];
  /** dnf/yum: insert `--setopt=keepcache=1` after the program word (packages are deleted otherwise). */
  keepcache?: boolean;
  /** The command cannot get a mount for this reason (`apk --root`, `apt-get -o Dir::Cache=…`). */
  refuse?: string;
  /** A clean command that empties only the tool's cache (safe to drop when the cache is mounted). */
  cleansCacheOnly?: boolean;
}

const VALUE = Symbol('value');
type OptionTable = Record<string, typeof VALUE>;

/** Index of the first operand after `from` (skipping options and the values of `valueOpts`). */
function operandIndex(argv: (string | undefined)[], from: number, valueOpts: OptionTable): number | undefined {
  for (let i = from; i < argv.length; i++) {
    const w = argv[i];
    if (w === undefined) return i;
    if (w === '--') return i + 1 < argv.length ? i + 1 : undefined;
    if (!w.startsWith('-') || w === '-') return i;
    if (!w.includes('=') && valueOpts[w] === VALUE) i++;
  }
  return undefined;
}

function has(argv: (string | undefined)[], from: number, ...names: string[]): boolean {
  return argv.slice(from).some((w) => w !== undefined && names.some((n) => w === n || w.startsWith(n + '=')));
}

/** The value of `--name=V` or `--name V` (`null` when it is there but not literal; undefined when absent). */
function optionValue(argv: (string | undefined)[], from: number, names: string[]): string | null | undefined {
  for (let i = from; i < argv.length; i++) {
    const w = argv[i];
    if (w === undefined) continue;
    for (const n of names) {
      if (w === n) return argv[i + 1] === undefined ? null : argv[i + 1]!;
      if (w.startsWith(n + '=')) return w.slice(n.length + 1);
    }
  }
  return undefined;
}

function indexesOf(argv: (string | undefined)[], from: number, pred: (w: string) => boolean): number[] {
  const out: number[] = [];
  for (let i = from; i < argv.length; i++) if (argv[i] !== undefined && pred(argv[i]!)) out.push(i);
  return out;
}

const v = (names: string[]): OptionTable => Object.fromEntries(names.map((n) => [n, VALUE]));

const APT_VALUES = v(['-o', '--option', '-c', '--config-file', '-t', '--target-release', '--default-release', '-a', '--host-architecture']);
const APT_CLEAN = new Set(['clean', 'autoclean', 'auto-clean']);
const APT_LISTS_READERS = new Set(['install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep', 'source', 'download', 'reinstall', 'satisfy', 'policy', 'show', 'showsrc', 'search', 'madison', 'depends', 'rdepends', 'list', 'changelog']);
const APK_VALUES = v(['-p', '--root', '-X', '--repository', '--keys-dir', '--cache-dir', '--arch', '--cache-max-age', '--timeout', '--wait', '--repositories-file', '-t', '--virtual']);
const DNF_VALUES = v(['-c', '--config', '--installroot', '--releasever', '-x', '--exclude', '--enablerepo', '--disablerepo', '--repo', '--repoid', '--setopt', '-d', '--debuglevel', '-e', '--errorlevel', '--forcearch', '--downloaddir', '--destdir', '--color', '--comment', '-R', '--randomwait', '--rpmverbosity', '--installonly-limit', '--use-host-config']);
const DNF_DOWNLOADS = new Set(['install', 'in', 'update', 'up', 'upgrade', 'reinstall', 'rei', 'downgrade', 'dg', 'distro-sync', 'dsync', 'distrosync', 'groupinstall', 'groupupdate', 'group', 'groups', 'module', 'builddep', 'localinstall', 'swap', 'upgrade-minimal', 'up-min', 'update-minimal', 'install-n', 'install-na', 'install-nevra', 'download']);
const PIP_VALUES = v(['--cache-dir', '--log', '--proxy', '--retries', '--timeout', '--exists-action', '--trusted-host', '--cert', '--client-cert', '--python', '--root-user-action', '--use-feature', '--use-deprecated', '--keyring-provider']);
const UV_VALUES = v(['--cache-dir', '--directory', '--project', '-p', '--python', '--color', '--config-file', '--index-url', '--default-index', '--index', '--extra-index-url', '--allow-insecure-host']);
const NPM_VALUES = v(['--cache', '--prefix', '--registry', '--userconfig', '--globalconfig', '-w', '--workspace', '--loglevel', '--omit', '--include', '--install-strategy']);
const YARN_VALUES = v(['--cwd', '--cache-folder', '--modules-folder', '--registry', '--network-timeout', '--mutex', '--global-folder', '--link-folder', '--use-yarnrc', '--network-concurrency', '--preferred-cache-folder']);
const PNPM_VALUES = v(['-C', '--dir', '--filter', '-F', '--store-dir', '--reporter', '--loglevel', '--registry', '--workspace-concurrency', '--virtual-store-dir', '--modules-dir', '--lockfile-dir']);
const CARGO_VALUES = v(['--config', '-Z', '-C', '--color']);
const COMPOSER_VALUES = v(['-d', '--working-dir']);

const NPM_INSTALLS = new Set(['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add', 'ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean', 'update', 'up', 'upgrade', 'udpate', 'install-test', 'it', 'install-ci-test', 'cit']);
const YARN_INSTALLS = new Set(['install', 'add', 'upgrade', 'up', 'global', 'import', 'upgrade-interactive']);
const PNPM_INSTALLS = new Set(['install', 'i', 'add', 'update', 'up', 'upgrade', 'fetch', 'import', 'deploy', 'install-test', 'it', 'dlx']);
const GO_BUILDS = new Set(['build', 'install', 'test', 'run', 'vet', 'generate', 'list']);
const GO_MOD_ONLY = new Set(['mod', 'get', 'work', 'download']);
const CARGO_USES = new Set(['build', 'b', 'check', 'c', 'test', 't', 'run', 'r', 'install', 'fetch', 'vendor', 'update', 'generate-lockfile', 'bench', 'doc', 'd', 'clippy', 'rustc', 'rustdoc', 'chef', 'metadata', 'tree', 'publish', 'package', 'auditable', 'nextest', 'zigbuild', 'deb']);
const COMPOSER_INSTALLS = new Set(['install', 'i', 'update', 'u', 'upgrade', 'require', 'r', 'create-project', 'global', 'reinstall', 'remove', 'rm', 'bump', 'outdated']);
const COMPOSER_CLEAN = new Set(['clear-cache', 'clearcache', 'cc']);

function use(tool: ToolName, kind: UseKind, extra: Partial<ToolUse> = {}): ToolUse {
  return { tool, kind, dirs: {}, defeats: [], defeatAssigns: [], ...extra };
}

/** The tool a command uses and how, or undefined when it is not a package-manager command handled here. */
export function recognise(c: CommandWords): ToolUse | undefined {
  const { argv, at, prog } = c;
  const arg = (i: number) => argv[i];
  switch (prog) {
    case 'apt-get':
    case 'apt':
    case 'aptitude':
    case 'apt-cache':
    case 'apt-mark':
    case 'apt-fast': {
      if (has(argv, at + 1, '--version', '-v', '--help', '-h')) return undefined;
      const i = operandIndex(argv, at + 1, APT_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      const opts = [...indexesOf(argv, at + 1, (w) => w === '-o' || w === '--option' || w.startsWith('-o') || w.startsWith('--option='))].map((k) => {
        const w = argv[k]!;
        return w === '-o' || w === '--option' ? argv[k + 1] : w.replace(/^(-o|--option=)/, '');
      });
      const moved = opts.find((o) => o === undefined || /^Dir(::|$)/i.test(o));
      const refuse = has(argv, at + 1, '-c', '--config-file') ? 'it reads its own apt configuration file (-c)' : moved !== undefined || opts.some((o) => o === undefined) ? 'it sets apt directories with -o' : undefined;
      if (prog !== 'apt-cache' && prog !== 'apt-mark' && sub !== undefined && APT_CLEAN.has(sub)) return use('apt', 'clean', { sub, cleansCacheOnly: true });
      const u = use('apt', 'cache', {
        updatesLists: sub === 'update',
        needsLists: prog === 'apt-cache' ? sub !== undefined && sub !== 'gencaches' : sub !== undefined && APT_LISTS_READERS.has(sub),
      });
      if (sub !== undefined) u.sub = sub;
      if (refuse) u.refuse = refuse;
      return u;
    }
    case 'add-apt-repository':
    case 'apt-add-repository':
      // Runs `apt-get update` unless -n/--no-update.
      return use('apt', 'cache', { updatesLists: !has(argv, at + 1, '-n', '--no-update'), sub: prog });
    case 'install_packages':
      return use('apt', 'cache', { updatesLists: true, needsLists: true, sub: prog, refuse: 'install_packages deletes /var/lib/apt/lists itself, which is the cache mount' });
    case 'apk': {
      if (has(argv, at + 1, '--version', '-V', '--help', '-h')) return undefined;
      const i = operandIndex(argv, at + 1, APK_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      if (sub === undefined || !['add', 'update', 'upgrade', 'fix', 'cache'].includes(sub)) return undefined;
      if (sub === 'cache') return arg(i! + 1) === 'clean' || arg(i! + 1) === 'purge' ? use('apk', 'clean', { sub: 'cache clean', cleansCacheOnly: true }) : undefined;
      const u = use('apk', 'cache', { sub });
      const noCache = indexesOf(argv, at + 1, (w) => w === '--no-cache');
      const updates = sub === 'update' || has(argv, at + 1, '-U', '--update-cache') || argv.slice(at + 1).some((w) => w !== undefined && /^-[a-zA-Z]*U[a-zA-Z]*$/.test(w));
      noCache.forEach((index, k) => u.defeats.push(k === 0 && !updates ? { index, replace: '--update-cache', what: '--no-cache' } : { index, what: '--no-cache' }));
      if (has(argv, at + 1, '-p', '--root')) u.refuse = 'it installs into another root (--root)';
      else if (has(argv, at + 1, '--cache-dir')) u.refuse = 'it names its own --cache-dir';
      return u;
    }
    case 'dnf':
    case 'yum':
    case 'dnf5':
    case 'dnf-3': {
      if (has(argv, at + 1, '--version', '--help', '-h')) return undefined;
      const tool: ToolName = prog === 'yum' ? 'yum' : 'dnf';
      const i = operandIndex(argv, at + 1, DNF_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      if (sub === undefined) return undefined;
      if (sub === 'clean') return use(tool, 'clean', { sub, cleansCacheOnly: true });
      if (['history', 'repolist', 'config-manager', 'versionlock', 'mark', 'alias', 'help', 'autoremove-n'].includes(sub)) return undefined;
      const u = use(tool, 'cache', { sub });
      if (has(argv, at + 1, '--installroot')) u.refuse = 'it installs into another root (--installroot)';
      else if (has(argv, at + 1, '-c', '--config')) u.refuse = 'it reads its own configuration file (-c)';
      else if (argv.slice(at + 1).some((w) => w === undefined ? false : /cachedir/i.test(w))) u.refuse = 'it sets its own cachedir';
      if (has(argv, at + 1, '-C', '--cacheonly')) u.offline = true;
      if (DNF_DOWNLOADS.has(sub) && !argv.some((w) => w !== undefined && /keepcache/i.test(w))) u.keepcache = true;
      return u;
    }
    case 'pip':
    case 'pip3':
    default: {
      if (/^pip3?(\.\d+)?$/.test(prog) || (/^python(\d+(\.\d+)?)?$/.test(prog) && arg(at + 1) === '-m' && /^pip3?$/.test(arg(at + 2) ?? ''))) {
        const from = /^pip/.test(prog) ? at + 1 : at + 3;
        const i = operandIndex(argv, from, PIP_VALUES);
        const sub = i === undefined ? undefined : arg(i);
        if (sub === 'cache' && (arg(i! + 1) === 'purge' || arg(i! + 1) === 'remove')) return use('pip', 'clean', { sub: 'cache purge', cleansCacheOnly: arg(i! + 1) === 'purge' });
        if (sub !== 'install' && sub !== 'download' && sub !== 'wheel') return undefined;
        const u = use('pip', 'cache', { sub });
        const dir = optionValue(argv, from, ['--cache-dir']);
        if (dir !== undefined) u.dirs.explicit = dir;
        for (const index of indexesOf(argv, from, (w) => w === '--no-cache-dir')) u.defeats.push({ index, what: '--no-cache-dir' });
        if (c.assigns.has('PIP_NO_CACHE_DIR')) u.defeatAssigns.push('PIP_NO_CACHE_DIR');
        return u;
      }
      return recogniseMore(c);
    }
  }
}

function recogniseMore(c: CommandWords): ToolUse | undefined {
  const { argv, at, prog } = c;
  const arg = (i: number) => argv[i];
  switch (prog) {
    case 'uv': {
      const i = operandIndex(argv, at + 1, UV_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      if (sub === undefined) return undefined;
      if (sub === 'cache') return arg(i! + 1) === 'clean' || arg(i! + 1) === 'prune' ? use('uv', 'clean', { sub: `cache ${arg(i! + 1)}`, cleansCacheOnly: true }) : undefined;
      const next = arg(i! + 1);
      const ok = ['sync', 'add', 'lock', 'run', 'remove', 'export', 'tree', 'build'].includes(sub) || (sub === 'pip' && ['install', 'sync', 'compile'].includes(next ?? '')) || (sub === 'tool' && ['install', 'upgrade', 'run'].includes(next ?? ''));
      if (!ok) return undefined;
      const u = use('uv', 'cache', { sub: sub === 'pip' || sub === 'tool' ? `${sub} ${next}` : sub });
      const dir = optionValue(argv, at + 1, ['--cache-dir']);
      if (dir !== undefined) u.dirs.explicit = dir;
      for (const index of indexesOf(argv, at + 1, (w) => w === '--no-cache' || w === '-n')) u.defeats.push({ index, what: argv[index]! });
      if (c.assigns.has('UV_NO_CACHE')) u.defeatAssigns.push('UV_NO_CACHE');
      if (has(argv, at + 1, '--offline')) u.offline = true;
      return u;
    }
    case 'npm': {
      const i = operandIndex(argv, at + 1, NPM_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      if (sub === 'cache' && (arg(i! + 1) === 'clean' || arg(i! + 1) === 'clear' || arg(i! + 1) === 'rm')) return use('npm', 'clean', { sub: 'cache clean', cleansCacheOnly: !has(argv, at + 1, '--cache') });
      if (sub === undefined || !NPM_INSTALLS.has(sub)) return undefined;
      const u = use('npm', 'cache', { sub });
      const dir = optionValue(argv, at + 1, ['--cache']);
      if (dir !== undefined) u.dirs.explicit = dir;
      if (has(argv, at + 1, '--offline')) u.offline = true;
      return u;
    }
    case 'yarn':
    case 'yarnpkg': {
      const i = operandIndex(argv, at + 1, YARN_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      if (sub === 'cache') return arg(i! + 1) === 'clean' ? use('yarn', 'clean', { sub: 'cache clean', cleansCacheOnly: !has(argv, at + 1, '--cache-folder') }) : undefined;
      if (sub !== undefined && !YARN_INSTALLS.has(sub)) return undefined;
      if (has(argv, at + 1, '--version', '-v', '--help', '-h')) return undefined;
      const u = use('yarn', 'cache', { sub: sub ?? 'install' });
      const dir = optionValue(argv, at + 1, ['--cache-folder']);
      if (dir !== undefined) u.dirs.explicit = dir;
      return u;
    }
    case 'pnpm': {
      const i = operandIndex(argv, at + 1, PNPM_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      if (sub === 'store') return arg(i! + 1) === 'prune' ? use('pnpm', 'clean', { sub: 'store prune', cleansCacheOnly: true }) : undefined;
      if (sub === undefined || !PNPM_INSTALLS.has(sub)) return undefined;
      const u = use('pnpm', 'cache', { sub });
      const dir = optionValue(argv, at + 1, ['--store-dir']);
      if (dir !== undefined) u.dirs.explicit = dir;
      if (has(argv, at + 1, '--offline')) u.offline = true;
      return u;
    }
    case 'go': {
      let i = at + 1;
      if (arg(i) === '-C') i += 2;
      else if (arg(i)?.startsWith('-C=')) i += 1;
      const sub = arg(i);
      if (sub === undefined) return undefined;
      if (sub === 'clean') {
        const flags = argv.slice(i + 1);
        const parts: ('mod' | 'build')[] = [];
        if (flags.includes('-modcache')) parts.push('mod');
        if (flags.includes('-cache')) parts.push('build');
        if (parts.length === 0) return undefined;
        const only = flags.every((f) => f === '-modcache' || f === '-cache' || f === '-testcache' || f === '-fuzzcache' || f === '-x' || f === '-n');
        return use('go', 'clean', { sub: 'clean', dirs: { goParts: parts }, cleansCacheOnly: only });
      }
      if (sub === 'env' || sub === 'version' || sub === 'help' || sub === 'doc' || sub === 'fmt' || sub === 'tool' || sub === 'telemetry') return undefined;
      if (!GO_BUILDS.has(sub) && !GO_MOD_ONLY.has(sub) && sub !== 'fix') return undefined;
      const u = use('go', 'cache', { sub, dirs: { goParts: GO_MOD_ONLY.has(sub) ? ['mod'] : ['mod', 'build'] } });
      if (c.assigns.get('GOPROXY') === 'off') u.offline = true;
      return u;
    }
    case 'cargo': {
      let i = at + 1;
      while (arg(i)?.startsWith('+')) i++;
      const j = operandIndex(argv, i, CARGO_VALUES);
      const sub = j === undefined ? undefined : arg(j);
      if (sub === undefined || !CARGO_USES.has(sub) || has(argv, j! + 1, '--version', '-V', '--help', '-h')) return undefined;
      const u = use('cargo', 'cache', { sub });
      if (has(argv, at + 1, '--offline', '--frozen') || c.assigns.get('CARGO_NET_OFFLINE') === 'true') u.offline = true;
      return u;
    }
    case 'mvn':
    case 'mvnw':
    case 'mvnd': {
      if (argv.length === at + 1 || has(argv, at + 1, '--version', '-v', '-version', '--help', '-h')) return undefined;
      const u = use('maven', 'cache', { sub: prog });
      const repo = mavenRepoLocal(argv.slice(at + 1));
      if (repo !== undefined) u.dirs.explicit = repo;
      if (argv.slice(at + 1).some((w) => w === '-o' || w === '--offline')) u.offline = true;
      return u;
    }
    case 'gradle':
    case 'gradlew': {
      if (has(argv, at + 1, '--version', '-v', '--help', '-h', '-?')) return undefined;
      const u = use('gradle', 'cache', { sub: prog, dirs: { gradleWrapper: prog === 'gradlew' } });
      const guh = optionValue(argv, at + 1, ['-g', '--gradle-user-home']);
      const prop = argv.slice(at + 1).find((w) => w?.startsWith('-Dgradle.user.home='));
      if (guh !== undefined) u.dirs.explicit = guh;
      else if (prop !== undefined) u.dirs.explicit = prop.slice('-Dgradle.user.home='.length);
      if (has(argv, at + 1, '--offline')) u.offline = true;
      return u;
    }
    case 'composer':
    case 'composer.phar':
    case 'php': {
      let from = at + 1;
      if (prog === 'php') {
        if (!/(^|\/)composer(\.phar)?$/.test(arg(at + 1) ?? '')) return undefined;
        from = at + 2;
      }
      const i = operandIndex(argv, from, COMPOSER_VALUES);
      const sub = i === undefined ? undefined : arg(i);
      if (sub === undefined) return undefined;
      if (COMPOSER_CLEAN.has(sub)) return use('composer', 'clean', { sub, cleansCacheOnly: true });
      if (!COMPOSER_INSTALLS.has(sub)) return undefined;
      const u = use('composer', 'cache', { sub });
      for (const index of indexesOf(argv, from, (w) => w === '--no-cache')) u.defeats.push({ index, what: '--no-cache' });
      return u;
    }
    case 'bundle':
    case 'bundler': {
      const i = operandIndex(argv, at + 1, v(['--gemfile', '--jobs', '-j', '--retry', '--without', '--with', '--binstubs', '--path', '--standalone', '--trust-policy', '--shebang']));
      const sub = i === undefined ? undefined : arg(i);
      if (sub !== undefined && !['install', 'update', 'add', 'i'].includes(sub)) return undefined;
      if (has(argv, at + 1, '--version', '-v', '--help', '-h')) return undefined;
      const u = use('bundler', 'cache', { sub: sub ?? 'install' });
      if (has(argv, at + 1, '--path', '--deployment', '--standalone', '--system')) u.refuse = 'it chooses where gems go on its command line (--path, --deployment, --standalone, --system)';
      if (has(argv, at + 1, '--local')) u.offline = true;
      return u;
    }
    case 'gem': {
      const sub = arg(at + 1);
      if (sub !== 'install' && sub !== 'update') return undefined;
      const u = use('bundler', 'cache', { sub: `gem ${sub}` });
      if (has(argv, at + 2, '-i', '--install-dir', '--user-install')) u.refuse = 'it installs into its own directory (--install-dir, --user-install)';
      if (has(argv, at + 2, '--local', '-l')) u.offline = true;
      return u;
    }
    default:
      return undefined;
  }
}

/** `-Dmaven.repo.local=X` (or `-D maven.repo.local=X`) among Maven arguments (null: there, but not literal). */
export function mavenRepoLocal(words: (string | undefined)[]): string | null | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] === '-D' ? words[i + 1] : words[i]?.startsWith('-D') ? words[i]!.slice(2) : undefined;
    if (w?.startsWith('maven.repo.local=')) return w.slice('maven.repo.local='.length) || null;
  }
  return undefined;
}

/**
 * Programs of package managers this transform does not handle, for an informative note (their caches differ
 * by version or configuration, or they install into the cache itself).
 */
export const UNHANDLED = new Map<string, string>([
  ['microdnf', 'microdnf'],
  ['tdnf', 'tdnf'],
  ['zypper', 'zypper'],
  ['pacman', 'pacman'],
  ['poetry', 'Poetry (its cache directory also holds its virtualenvs)'],
  ['pipenv', 'Pipenv'],
  ['conda', 'conda'],
  ['mamba', 'mamba'],
  ['micromamba', 'micromamba'],
  ['bun', 'Bun'],
  ['dotnet', '.NET (NuGet)'],
  ['sbt', 'sbt'],
]);

/** Subcommands of UNHANDLED programs that download packages (the note is given only for those). */
export function unhandledInstall(prog: string, argv: (string | undefined)[], at: number): boolean {
  const sub = argv.slice(at + 1).find((w) => w !== undefined && !w.startsWith('-'));
  switch (prog) {
    case 'microdnf':
    case 'tdnf':
    case 'zypper':
      return sub !== undefined && /^(install|in|update|up|upgrade|dup|dist-upgrade|reinstall|refresh|ref|makecache)$/.test(sub);
    case 'pacman':
      return argv.slice(at + 1).some((w) => w !== undefined && /^-S/.test(w));
    case 'poetry':
    case 'pipenv':
      return sub === 'install' || sub === 'sync' || sub === 'add' || sub === 'lock';
    case 'conda':
    case 'mamba':
    case 'micromamba':
      return sub === 'install' || sub === 'create' || sub === 'update' || sub === 'env';
    case 'bun':
      return sub === 'install' || sub === 'i' || sub === 'add';
    case 'dotnet':
      return sub === 'restore' || sub === 'publish' || sub === 'build';
    case 'sbt':
      return true;
    default:
      return false;
  }
}
