// Which commands put files where, read from their words and environment — only what is certain: an option
// whose value cannot be resolved, a directory that depends on something not in the Dockerfile (a project's
// config file, a base image's unknown ENV), gives no destination at all rather than a guess.

import { cleanPath } from '../../src/dockerfile/paths.js';
import type { Cmd, Word } from './commands.js';
import { toolCacheDirs } from '../cache-mounts/managers.js';
import type { ToolEnv } from '../cache-mounts/managers.js';
import type { RunUser } from '../cache-mounts/users.js';
import { pathOf } from './commands.js';

/**
 * - `install`: a destination the author wants in the image (an install prefix, a virtualenv, a built binary, a
 *   copy): lost unless the RUN copies it out of the mount.
 * - `project`: dependencies installed into the project (`node_modules`, `vendor`, `.venv`): often used only
 *   inside the same RUN on purpose, so lost only when something after the RUN reads them.
 * - `output`: intermediate files (build directories, downloads, wheels): lost only when read after the RUN.
 */
export type WriterKind = 'install' | 'project' | 'output';

export interface Writer {
  cmd: Cmd;
  kind: WriterKind;
  /** For messages: `pip install --target=/pip-packages`. */
  what: string;
  /** What ends up there: `the packages`, `the binary`, … */
  noun: string;
  /** Clean absolute destinations. */
  dests: string[];
  /** Words that give the destination (they do not count as other uses of the mount). */
  destWords: Word[];
  /** Source paths of a copy (cp, mv, rsync, install). */
  sources?: string[];
  /** The tool whose own cache directory could replace a mount on the destination. */
  tool?: Tool;
  /** A copy or an extraction (cp, mv, install, rsync, tar -x, unzip). */
  copy?: boolean;
}

/** Facts from outside the RUN that some tools need. */
export interface ToolContext {
  /** The official image the stage chain starts from (`golang`, `rust`, `node`), if any. */
  image?: string;
  /** A `go env -w` ran in the stage before: GOBIN/GOPATH are not known. */
  goEnvWritten?: boolean;
}

export type Tool = 'pip' | 'npm' | 'uv';

export interface Opt {
  name: string;
  value?: string;
  /** The option word and, for `--name value`, the value word. */
  words: Word[];
}

interface Scanned {
  opts: Opt[];
  positionals: Word[];
}

/**
 * Options and positionals of a command line from `start`. `valued`: options that take a value (`--target`,
 * `-t`); `--name=value` always carries one. `bundles`: short options may be bundled (`-fsSLo FILE`, `-oFILE`).
 * `go`: Go-style single-dash long flags (`-o=x`, `-ldflags …`).
 */
export function scan(words: Word[], start: number, valued: ReadonlySet<string>, style: { bundles?: boolean; go?: boolean } = {}): Scanned {
  const opts: Opt[] = [];
  const positionals: Word[] = [];
  for (let i = start; i < words.length; i++) {
    const w = words[i]!;
    const v = w.value;
    if (v === undefined || !v.startsWith('-') || v === '-' || /^-\d/.test(v)) {
      positionals.push(w);
      continue;
    }
    if (v === '--') {
      positionals.push(...words.slice(i + 1));
      break;
    }
    const eq = v.indexOf('=');
    if ((v.startsWith('--') || style.go) && eq > 0) {
      opts.push({ name: v.slice(0, eq), value: v.slice(eq + 1), words: [w] });
      continue;
    }
    const name = style.go && v.startsWith('--') ? v.slice(1) : v;
    if (valued.has(name)) {
      const next = words[i + 1];
      const o: Opt = { name, words: next ? [w, next] : [w] };
      if (next?.value !== undefined) o.value = next.value;
      opts.push(o);
      i++;
      continue;
    }
    if (!v.startsWith('--') && !style.go && v.length > 2) {
      if (valued.has(v.slice(0, 2)) && !style.bundles) {
        opts.push({ name: v.slice(0, 2), value: v.slice(2), words: [w] });
        continue;
      }
      if (style.bundles) {
        let consumed = false;
        for (let k = 1; k < v.length; k++) {
          const letter = `-${v[k]}`;
          if (!valued.has(letter)) {
            opts.push({ name: letter, words: [w] });
            continue;
          }
          if (k + 1 < v.length) opts.push({ name: letter, value: v.slice(k + 1), words: [w] });
          else {
            const next = words[i + 1];
            const o: Opt = { name: letter, words: next ? [w, next] : [w] };
            if (next?.value !== undefined) o.value = next.value;
            opts.push(o);
            i++;
          }
          consumed = true;
          break;
        }
        if (consumed || v.length > 1) continue;
      }
    }
    opts.push({ name, words: [w] });
  }
  return { opts, positionals };
}

const last = (opts: Opt[], ...names: string[]): Opt | undefined => {
  let found: Opt | undefined;
  for (const o of opts) if (names.includes(o.name)) found = o;
  return found;
};
const has = (opts: Opt[], ...names: string[]) => opts.some((o) => names.includes(o.name));
const set = (...names: string[]) => new Set(names);
const text = (words: Word[]) => words.map((w) => w.raw).join(' ');
const env = (cmd: Cmd, name: string): string | undefined => {
  const v = cmd.env.get(name);
  return v === undefined || v === '' ? undefined : v;
};
/** npm reads `npm_config_*` variables whatever their case. */
const npmEnv = (cmd: Cmd, key: string): string | undefined => {
  let found: string | undefined;
  for (const [k, v] of cmd.env) if (k.toLowerCase() === `npm_config_${key}` && v !== undefined && v !== '') found = v;
  return found;
};
const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

// --- pip ------------------------------------------------------------------------------------------------

const PIP_GENERAL = ['--cache-dir', '--log', '--log-file', '--proxy', '--retries', '--timeout', '--exists-action', '--trusted-host', '--cert', '--client-cert', '--python', '--keyring-provider', '--use-feature', '--use-deprecated', '--src', '-i', '--index-url', '--extra-index-url', '-f', '--find-links'];
const PIP_INSTALL = set(...PIP_GENERAL, '-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-t', '--target', '--platform', '--python-version', '--implementation', '--abi', '--root', '--prefix', '--upgrade-strategy', '-C', '--config-settings', '--global-option', '--no-binary', '--only-binary', '--progress-bar', '--root-user-action', '--report', '--group', '-w', '--wheel-dir', '-d', '--dest');

export interface PipCall {
  /** `pip install`, `python3 -m pip wheel`, … */
  label: string;
  sub: string;
  /** Index of the first word after the subcommand. */
  argsAt: number;
  uv: boolean;
}

/** `pip …`, `pip3.12 …`, `python3 -m pip …`, `uv pip …`, with its subcommand. */
export function pipCall(cmd: Cmd): PipCall | undefined {
  const w = cmd.words.map((x) => x.value);
  let at: number;
  let uv = false;
  if (cmd.prog && /^pip(\d+(\.\d+)*)?$/.test(cmd.prog)) at = 1;
  else if (cmd.prog && /^python(\d+(\.\d+)*)?$/.test(cmd.prog) && w[1] === '-m' && w[2] === 'pip') at = 3;
  else if (cmd.prog === 'uv' && w[1] === 'pip') {
    at = 2;
    uv = true;
  } else return undefined;
  for (let i = at; i < w.length; i++) {
    const v = w[i];
    if (v === undefined) return undefined;
    if (v.startsWith('-')) {
      if (!v.includes('=') && PIP_GENERAL.includes(v)) i++;
      continue;
    }
    return { label: `${text(cmd.words.slice(0, at))} ${v}`, sub: v, argsAt: i + 1, uv };
  }
  return undefined;
}

/** How a pip command uses pip's cache: disabled (and why), or the directory. */
export interface PipCacheUse {
  disabled?: { by: 'flag' | 'env'; word?: Word };
  /** `--cache-dir` on the command or PIP_CACHE_DIR, when set. */
  explicitDir?: string;
  /** Resolved cache directory, when known. */
  dir?: string;
}

export function pipCacheUse(cmd: Cmd, call: PipCall): PipCacheUse | undefined {
  if (call.uv || !['install', 'download', 'wheel'].includes(call.sub)) return undefined;
  // General options may come before the subcommand too (`pip --no-cache-dir install …`).
  const all = scan(cmd.words, 1, PIP_INSTALL).opts;
  const use: PipCacheUse = {};
  const flag = last(all, '--no-cache-dir');
  if (flag) use.disabled = { by: 'flag', word: flag.words[0]! };
  else if (env(cmd, 'PIP_NO_CACHE_DIR') !== undefined) use.disabled = { by: 'env' };
  const dirOpt = last(all, '--cache-dir');
  const explicit = dirOpt ? dirOpt.value : env(cmd, 'PIP_CACHE_DIR');
  if (dirOpt && dirOpt.value === undefined) return use; // computed: unknown
  if (explicit !== undefined) {
    use.explicitDir = explicit;
    const p = pathOf(explicit, cmd.cwd);
    if (p !== undefined) use.dir = p;
    return use;
  }
  // pip's default, from the package managers' table shared with cache-mounts.
  const dirs = toolCacheDirs('pip', { vars: cmd.env, ...(cmd.home !== undefined ? { home: cmd.home } : {}) });
  if (dirs.ok) use.dir = dirs.dirs[0]!;
  return use;
}

function pipWriters(cmd: Cmd): Writer[] {
  const call = pipCall(cmd);
  if (!call) return [];
  const { opts } = scan(cmd.words, call.argsAt, PIP_INSTALL);
  const out: Writer[] = [];
  const add = (kind: WriterKind, noun: string, opt: Opt | undefined, envName: string | undefined, make: (v: string) => string | undefined, tool?: Tool) => {
    const value = opt ? opt.value : envName ? env(cmd, envName) : undefined;
    if (value === undefined) return;
    const dest = make(value);
    if (dest === undefined) return;
    const what = opt ? `${call.label} ${text(opt.words)}` : `${call.label} (${envName}=${value})`;
    const w: Writer = { cmd, kind, what, noun, dests: [dest], destWords: opt?.words ?? [] };
    if (tool) w.tool = tool;
    out.push(w);
  };
  const at = (v: string) => pathOf(v, cmd.cwd);
  if (call.sub === 'install') {
    const tool: Tool = call.uv ? 'uv' : 'pip';
    add('install', 'the packages', last(opts, '--target', '-t'), call.uv ? undefined : 'PIP_TARGET', at, tool);
    add('install', 'the packages', last(opts, '--prefix'), call.uv ? undefined : 'PIP_PREFIX', at, tool);
    if (!call.uv) add('install', 'the packages', last(opts, '--root'), 'PIP_ROOT', at, tool);
    if (!call.uv && has(opts, '--user')) {
      const base = env(cmd, 'PYTHONUSERBASE') ?? (cmd.home !== undefined ? `${cmd.home}/.local` : undefined);
      if (base !== undefined) {
        const dest = at(base);
        const o = last(opts, '--user')!;
        if (dest !== undefined) out.push({ cmd, kind: 'install', what: `${call.label} ${text(o.words)}`, noun: 'the packages', dests: [dest], destWords: [], tool: 'pip' });
      }
    }
  } else if (call.sub === 'wheel' && !call.uv) {
    add('output', 'the wheels', last(opts, '--wheel-dir', '-w'), 'PIP_WHEEL_DIR', at);
  } else if (call.sub === 'download' && !call.uv) {
    add('output', 'the downloads', last(opts, '--dest', '-d'), 'PIP_DEST', at);
  }
  return out;
}

// --- node ------------------------------------------------------------------------------------------------

const NPM_VALUED = set('--prefix', '-C', '--cache', '--registry', '--userconfig', '--globalconfig', '--loglevel', '--omit', '--include', '--location', '--workspace', '-w', '--tag', '--install-strategy', '--cpu', '--os', '--libc', '--before', '--script-shell');
const NPM_INSTALL = new Set(['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add', 'ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean', 'install-ci-test', 'cit', 'clean-install-test', 'sit', 'install-test', 'it', 'update', 'up', 'upgrade', 'udpate']);

function npmWriters(cmd: Cmd, ctx: ToolContext): Writer[] {
  if (cmd.prog !== 'npm') return [];
  const { opts, positionals } = scan(cmd.words, 1, NPM_VALUED);
  const sub = positionals[0]?.value;
  if (sub === undefined || !NPM_INSTALL.has(sub)) return [];
  const globalOpt = opts.find((o) => o.name === '-g' || (o.name === '--global' && (o.value === undefined || truthy(o.value))) || (o.name === '--location' && o.value === 'global'));
  const global = !!globalOpt || truthy(npmEnv(cmd, 'global')) || npmEnv(cmd, 'location') === 'global';
  const prefixOpt = last(opts, '--prefix', '-C');
  if (prefixOpt && prefixOpt.value === undefined) return [];
  const prefixValue = prefixOpt?.value ?? npmEnv(cmd, 'prefix');
  const label = `npm ${sub}`;
  if (global) {
    const prefix = prefixValue !== undefined ? pathOf(prefixValue, cmd.cwd) : ctx.image === 'node' ? '/usr/local' : undefined;
    if (prefix === undefined) return [];
    const what = `${label} ${globalOpt ? text(globalOpt.words) : '(global)'}${prefixOpt ? ' ' + text(prefixOpt.words) : ''}`;
    return [{ cmd, kind: 'install', what, noun: 'the global packages', dests: [`${prefix === '/' ? '' : prefix}/lib/node_modules`, `${prefix === '/' ? '' : prefix}/bin`], destWords: prefixOpt?.words ?? [], tool: 'npm' }];
  }
  const dir = prefixValue !== undefined ? pathOf(prefixValue, cmd.cwd) : cmd.cwd;
  if (dir === undefined) return [];
  const what = `${label}${prefixOpt ? ' ' + text(prefixOpt.words) : ''}`;
  return [{ cmd, kind: 'project', what, noun: 'node_modules', dests: [cleanPath(`${dir}/node_modules`)], destWords: prefixOpt?.words ?? [], tool: 'npm' }];
}

function yarnPnpmWriters(cmd: Cmd): Writer[] {
  const p = cmd.prog;
  if (p !== 'yarn' && p !== 'pnpm' && p !== 'bun') return [];
  const valued = set('--cwd', '--dir', '-C', '--modules-folder', '--cache-folder', '--registry', '--network-timeout', '--mutex', '--store-dir', '--virtual-store-dir', '--filter', '--reporter', '--config');
  const { opts, positionals } = scan(cmd.words, 1, valued);
  const sub = positionals[0]?.value;
  const installs = p === 'yarn' ? sub === undefined || sub === 'install' : ['install', 'i'].includes(sub ?? '');
  if (!installs || has(opts, '-g', '--global')) return [];
  const dirOpt = last(opts, '--cwd', '--dir', '-C');
  if (dirOpt && dirOpt.value === undefined) return [];
  const dir = dirOpt ? pathOf(dirOpt.value, cmd.cwd) : cmd.cwd;
  const modules = last(opts, '--modules-folder');
  const dest = modules ? pathOf(modules.value, dir) : dir !== undefined ? cleanPath(`${dir}/node_modules`) : undefined;
  if (dest === undefined) return [];
  return [{ cmd, kind: 'project', what: `${p}${sub ? ' ' + sub : ''}`, noun: 'node_modules', dests: [dest], destWords: [...(dirOpt?.words ?? []), ...(modules?.words ?? [])] }];
}

// --- Go, Rust, .NET, JVM -----------------------------------------------------------------------------------

const GO_VALUED = set('-o', '-C', '-p', '-tags', '-ldflags', '-gcflags', '-asmflags', '-buildmode', '-mod', '-modfile', '-overlay', '-pkgdir', '-toolexec', '-installsuffix', '-compiler', '-pgo', '-covermode', '-coverpkg', '-gccgoflags', '-buildvcs', '-exec', '-run', '-bench', '-count', '-timeout', '-cpu', '-parallel');

function goWriters(cmd: Cmd, ctx: ToolContext): Writer[] {
  if (cmd.prog !== 'go') return [];
  const sub = cmd.words[1]?.value;
  if (sub !== 'build' && sub !== 'install') return [];
  const { opts } = scan(cmd.words, 2, GO_VALUED, { go: true });
  const cOpt = last(opts, '-C');
  if (cOpt && cOpt.value === undefined) return [];
  const dir = cOpt ? pathOf(cOpt.value, cmd.cwd) : cmd.cwd;
  if (sub === 'build') {
    const o = last(opts, '-o');
    if (!o || o.value === undefined || o.value === '/dev/null' || o.value === 'NUL') return [];
    const dest = pathOf(o.value, dir);
    if (dest === undefined) return [];
    return [{ cmd, kind: 'install', what: `go build ${text(o.words)}`, noun: 'the binary', dests: [dest], destWords: o.words }];
  }
  if (ctx.goEnvWritten) return [];
  const gobin = env(cmd, 'GOBIN');
  let bin: string | undefined;
  let because: string;
  if (gobin !== undefined) {
    bin = pathOf(gobin, cmd.cwd);
    because = `GOBIN=${gobin}`;
  } else {
    const gopath = env(cmd, 'GOPATH')?.split(':')[0] ?? (ctx.image === 'golang' ? '/go' : cmd.home !== undefined ? `${cmd.home}/go` : undefined);
    bin = gopath !== undefined && gopath.startsWith('/') ? cleanPath(`${gopath}/bin`) : undefined;
    because = `GOPATH/bin = ${bin}`;
  }
  if (bin === undefined) return [];
  return [{ cmd, kind: 'install', what: `go install (${because})`, noun: 'the binaries', dests: [bin], destWords: [] }];
}

const CARGO_VALUED = set('--root', '--target-dir', '--manifest-path', '--path', '--git', '--branch', '--tag', '--rev', '--version', '--vers', '--index', '--registry', '--features', '-F', '--profile', '--target', '-j', '--jobs', '-p', '--package', '--bin', '--example', '--config', '-Z', '--color', '--message-format', '--exclude', '--test', '--bench', '--lockfile-path');
const CARGO_BUILDS = new Set(['build', 'b', 'test', 't', 'bench', 'run', 'r', 'check', 'c', 'doc', 'd', 'rustc', 'clippy']);

function cargoWriters(cmd: Cmd, ctx: ToolContext): Writer[] {
  if (cmd.prog !== 'cargo') return [];
  let i = 1;
  while (cmd.words[i]?.value?.startsWith('+')) i++; // cargo +nightly …
  const sub = cmd.words[i]?.value;
  if (sub === undefined) return [];
  const { opts } = scan(cmd.words, i + 1, CARGO_VALUED);
  if (sub === 'install') {
    const root = last(opts, '--root');
    if (root && root.value === undefined) return [];
    let base: string | undefined;
    let because: string;
    if (root) {
      base = pathOf(root.value, cmd.cwd);
      because = text(root.words);
    } else {
      const fromEnv = env(cmd, 'CARGO_INSTALL_ROOT') ?? env(cmd, 'CARGO_HOME');
      base = fromEnv !== undefined ? pathOf(fromEnv, cmd.cwd) : ctx.image === 'rust' ? '/usr/local/cargo' : cmd.home !== undefined ? `${cmd.home}/.cargo` : undefined;
      because = env(cmd, 'CARGO_INSTALL_ROOT') !== undefined ? 'CARGO_INSTALL_ROOT' : env(cmd, 'CARGO_HOME') !== undefined ? 'CARGO_HOME' : 'its default root';
      because = `(${because}: ${base})`;
    }
    if (base === undefined) return [];
    return [{ cmd, kind: 'install', what: `cargo install ${because}`, noun: 'the binaries', dests: [cleanPath(`${base}/bin`)], destWords: root?.words ?? [] }];
  }
  if (!CARGO_BUILDS.has(sub)) return [];
  const t = last(opts, '--target-dir');
  if (t && t.value === undefined) return [];
  const value = t?.value ?? env(cmd, 'CARGO_TARGET_DIR');
  if (value === undefined && has(opts, '--manifest-path')) return []; // the workspace root is not known
  const dest = value !== undefined ? pathOf(value, cmd.cwd) : cmd.cwd !== undefined ? cleanPath(`${cmd.cwd}/target`) : undefined;
  if (dest === undefined) return [];
  return [{ cmd, kind: 'output', what: `cargo ${sub}${t ? ' ' + text(t.words) : ''}`, noun: 'the build output', dests: [dest], destWords: t?.words ?? [] }];
}

function dotnetWriters(cmd: Cmd): Writer[] {
  if (cmd.prog !== 'dotnet') return [];
  const sub = cmd.words[1]?.value;
  if (sub !== 'publish' && sub !== 'build') return [];
  const o = last(scan(cmd.words, 2, set('-o', '--output', '-c', '--configuration', '-r', '--runtime', '-f', '--framework', '-a', '--arch', '--os', '-v', '--verbosity', '--version-suffix', '-p', '--property')).opts, '-o', '--output');
  const dest = o ? pathOf(o.value, cmd.cwd) : undefined;
  if (!o || dest === undefined) return [];
  return [{ cmd, kind: sub === 'publish' ? 'install' : 'output', what: `dotnet ${sub} ${text(o.words)}`, noun: sub === 'publish' ? 'the published app' : 'the build output', dests: [dest], destWords: o.words }];
}

function jvmWriters(cmd: Cmd): Writer[] {
  const p = cmd.prog;
  if (p === 'mvn' || p === 'mvnw') {
    const { opts, positionals } = scan(cmd.words, 1, set('-f', '--file', '-s', '--settings', '-P', '--activate-profiles', '-pl', '--projects', '-T', '--threads', '-D', '-gs', '-t', '-l', '-rf', '-b', '-e'));
    if (has(opts, '-f', '--file') || cmd.cwd === undefined) return [];
    if (!positionals.some((w) => ['package', 'install', 'verify', 'deploy'].includes(w.value ?? ''))) return [];
    return [{ cmd, kind: 'output', what: `${p} ${positionals.map((w) => w.raw).join(' ')}`, noun: 'the build output', dests: [cleanPath(`${cmd.cwd}/target`)], destWords: [] }];
  }
  if (p === 'gradle' || p === 'gradlew') {
    const { opts, positionals } = scan(cmd.words, 1, set('-p', '--project-dir', '-b', '--build-file', '-c', '--settings-file', '-g', '--gradle-user-home', '-x', '--exclude-task', '-D', '-P', '-I', '--init-script'));
    if (has(opts, '-p', '--project-dir', '-b', '--build-file') || cmd.cwd === undefined || positionals.length === 0) return [];
    return [{ cmd, kind: 'output', what: `${p} ${positionals.map((w) => w.raw).join(' ')}`, noun: 'the build output', dests: [cleanPath(`${cmd.cwd}/build`)], destWords: [] }];
  }
  return [];
}

// --- Python environments, Ruby, PHP -----------------------------------------------------------------------

function venvWriters(cmd: Cmd): Writer[] {
  const w = cmd.words.map((x) => x.value);
  let at: number | undefined;
  let label: string;
  let valued: Set<string>;
  if (cmd.prog && /^python(\d+(\.\d+)*)?$/.test(cmd.prog) && w[1] === '-m' && (w[2] === 'venv' || w[2] === 'virtualenv')) {
    at = 3;
    label = `${cmd.words[0]!.raw} -m ${w[2]}`;
    valued = set('--prompt', '-p', '--python', '--creator', '--seeder', '--activators', '--app-data', '--discovery', '--extra-search-dir', '--pip', '--setuptools', '--wheel');
  } else if (cmd.prog === 'virtualenv') {
    at = 1;
    label = 'virtualenv';
    valued = set('--prompt', '-p', '--python', '--creator', '--seeder', '--activators', '--app-data', '--discovery', '--extra-search-dir', '--pip', '--setuptools', '--wheel');
  } else if (cmd.prog === 'uv' && w[1] === 'venv') {
    at = 2;
    label = 'uv venv';
    valued = set('-p', '--python', '--prompt', '--index-url', '--extra-index-url', '-f', '--find-links', '--index-strategy', '--keyring-provider', '--exclude-newer', '--link-mode', '--cache-dir', '--index', '--default-index', '--directory', '--project', '--config-file');
  } else return [];
  const { positionals } = scan(cmd.words, at, valued);
  if (positionals.some((p) => p.value === undefined)) return [];
  let targets = positionals.map((p) => pathOf(p.value, cmd.cwd));
  if (cmd.prog === 'uv' && positionals.length === 0) targets = [cmd.cwd !== undefined ? cleanPath(`${cmd.cwd}/.venv`) : undefined];
  const dests = targets.filter((t): t is string => t !== undefined);
  if (dests.length === 0 || dests.length !== targets.length) return [];
  return [{ cmd, kind: 'install', what: `${label} ${positionals.map((p) => p.raw).join(' ')}`.trim(), noun: 'the virtualenv', dests, destWords: positionals }];
}

/** Settings that earlier commands of the same RUN made (`poetry config …`, `bundle config set path …`). */
export interface RunState {
  poetryInProject?: boolean;
  poetryNoVenv?: boolean;
  bundlePath?: string;
}

export function updateState(cmd: Cmd, state: RunState): void {
  const w = cmd.words.map((x) => x.value);
  if (cmd.prog === 'poetry' && w[1] === 'config') {
    const key = w.slice(2).find((v) => v !== undefined && !v.startsWith('-'));
    const value = w[w.indexOf(key) + 1];
    if (key === 'virtualenvs.in-project') state.poetryInProject = truthy(value);
    if (key === 'virtualenvs.create') state.poetryNoVenv = value !== undefined && /^(false|0)$/i.test(value);
  }
  if (cmd.prog === 'bundle' && w[1] === 'config') {
    const rest = w.slice(2).filter((v) => v !== '--local' && v !== '--global');
    const args = rest[0] === 'set' ? rest.slice(1) : rest;
    if (args[0] === 'path' && args[1] !== undefined) state.bundlePath = args[1];
  }
}

function projectEnvWriters(cmd: Cmd, state: RunState): Writer[] {
  const w = cmd.words.map((x) => x.value);
  if (cmd.prog === 'uv' && w[1] === 'sync') {
    const { opts } = scan(cmd.words, 2, set('--directory', '--project', '-p', '--python', '--extra', '--group', '--package', '--index-url', '--extra-index-url', '--cache-dir', '--config-file', '--no-install-package'));
    if (has(opts, '--directory', '--project') || has(opts, '--active') || cmd.cwd === undefined) return [];
    const v = env(cmd, 'UV_PROJECT_ENVIRONMENT');
    const dest = v !== undefined ? pathOf(v, cmd.cwd) : cleanPath(`${cmd.cwd}/.venv`);
    if (dest === undefined) return [];
    return [{ cmd, kind: 'project', what: `uv sync${v !== undefined ? ` (UV_PROJECT_ENVIRONMENT=${v})` : ''}`, noun: "the project's virtualenv", dests: [dest], destWords: [], tool: 'uv' }];
  }
  if (cmd.prog === 'poetry' && (w[1] === 'install' || w[1] === 'sync')) {
    const createOff = state.poetryNoVenv || /^(false|0)$/i.test(env(cmd, 'POETRY_VIRTUALENVS_CREATE') ?? '');
    if (createOff || cmd.cwd === undefined || has(scan(cmd.words, 2, set('-C', '--directory', '-P', '--project')).opts, '-C', '--directory', '-P', '--project')) return [];
    const inProject = state.poetryInProject ?? truthy(env(cmd, 'POETRY_VIRTUALENVS_IN_PROJECT'));
    if (inProject) return [{ cmd, kind: 'project', what: `poetry ${w[1]} (virtualenvs.in-project)`, noun: "the project's virtualenv", dests: [cleanPath(`${cmd.cwd}/.venv`)], destWords: [] }];
    const path = env(cmd, 'POETRY_VIRTUALENVS_PATH');
    const dest = path !== undefined ? pathOf(path, cmd.cwd) : undefined;
    if (dest !== undefined) return [{ cmd, kind: 'project', what: `poetry ${w[1]} (POETRY_VIRTUALENVS_PATH=${path})`, noun: "the project's virtualenv", dests: [dest], destWords: [] }];
    return [];
  }
  if (cmd.prog === 'bundle' && w[1] === 'install') {
    const { opts } = scan(cmd.words, 2, set('--path', '--gemfile', '--jobs', '-j', '--retry', '--without', '--with', '--binstubs', '--standalone', '--shebang', '--trust-policy'));
    if (has(opts, '--gemfile') || cmd.cwd === undefined) return [];
    const p = last(opts, '--path');
    const deployment = has(opts, '--deployment') || truthy(env(cmd, 'BUNDLE_DEPLOYMENT'));
    const value = p?.value ?? env(cmd, 'BUNDLE_PATH') ?? state.bundlePath ?? (deployment ? 'vendor/bundle' : undefined);
    if (value === undefined) return [];
    const dest = pathOf(value, cmd.cwd);
    if (dest === undefined) return [];
    const why = p ? text(p.words) : env(cmd, 'BUNDLE_PATH') !== undefined ? `(BUNDLE_PATH=${value})` : state.bundlePath !== undefined ? `(bundle config path ${value})` : '--deployment';
    return [{ cmd, kind: 'project', what: `bundle install ${why}`, noun: 'the gems', dests: [dest], destWords: p?.words ?? [] }];
  }
  if (cmd.prog === 'gem' && w[1] === 'install') {
    const { opts } = scan(cmd.words, 2, set('-i', '--install-dir', '-n', '--bindir', '-v', '--version', '--platform', '-s', '--source', '-P', '--trust-policy', '--document'));
    const i = last(opts, '-i', '--install-dir');
    const value = i ? i.value : env(cmd, 'GEM_HOME');
    const dest = value !== undefined ? pathOf(value, cmd.cwd) : undefined;
    if (dest === undefined) return [];
    return [{ cmd, kind: 'install', what: `gem install ${i ? text(i.words) : `(GEM_HOME=${value})`}`, noun: 'the gems', dests: [dest], destWords: i?.words ?? [] }];
  }
  if (cmd.prog === 'composer' || cmd.prog === 'composer.phar') {
    const { opts, positionals } = scan(cmd.words, 1, set('-d', '--working-dir', '--prefer-install', '--ignore-platform-req'));
    const sub = positionals[0]?.value;
    if (!['install', 'i', 'update', 'u', 'upgrade', 'require', 'r', 'req'].includes(sub ?? '')) return [];
    const d = last(opts, '-d', '--working-dir');
    const dir = d ? pathOf(d.value, cmd.cwd) : cmd.cwd;
    const vendor = env(cmd, 'COMPOSER_VENDOR_DIR') ?? 'vendor';
    const dest = dir !== undefined ? pathOf(vendor, dir) : undefined;
    if (dest === undefined) return [];
    return [{ cmd, kind: 'project', what: `composer ${sub}${d ? ' ' + text(d.words) : ''}`, noun: 'the vendor directory', dests: [dest], destWords: d?.words ?? [] }];
  }
  return [];
}

// --- copies, archives, downloads ------------------------------------------------------------------------

const COPY_VALUED: Record<string, Set<string>> = {
  cp: set('-t', '--target-directory', '-S', '--suffix'),
  mv: set('-t', '--target-directory', '-S', '--suffix'),
  install: set('-t', '--target-directory', '-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group'),
  rsync: set('-e', '--rsh', '--exclude', '--include', '--filter', '-f', '--exclude-from', '--include-from', '--files-from', '--chown', '--chmod', '--rsync-path', '-M', '--remote-option', '--log-file', '-T', '--temp-dir', '--partial-dir', '--compare-dest', '--copy-dest', '--link-dest', '--backup-dir', '--suffix', '--max-size', '--min-size', '--timeout', '--port', '--password-file', '--bwlimit', '-B', '--block-size', '--out-format', '--iconv', '--info', '--debug'),
};

function copyWriters(cmd: Cmd): Writer[] {
  const p = cmd.prog;
  if (p === 'cp' || p === 'mv' || p === 'install' || p === 'rsync') {
    const { opts, positionals } = scan(cmd.words, 1, COPY_VALUED[p]!);
    if (p === 'install' && has(opts, '-d', '--directory')) return [];
    const t = last(opts, '-t', '--target-directory');
    const destWord = t ? undefined : positionals[positionals.length - 1];
    const sourceWords = t ? positionals : positionals.slice(0, -1);
    if (sourceWords.length === 0) return [];
    const destValue = t ? t.value : destWord?.value;
    if (destValue === undefined || (p === 'rsync' && /^[^/]*:/.test(destValue))) return [];
    const dest = pathOf(destValue, cmd.cwd);
    if (dest === undefined) return [];
    const sources = sourceWords.map((w) => pathOf(w.value, cmd.cwd)).filter((s): s is string => s !== undefined);
    return [{ cmd, kind: 'install', what: `${p} … ${t ? text(t.words) : destWord!.raw}`, noun: 'the copied files', dests: [dest], destWords: t ? t.words : [destWord!], sources, copy: true }];
  }
  if (p === 'tar' || p === 'bsdtar') {
    const first = cmd.words[1]?.value ?? '';
    const oldStyle = /^[A-Za-z]+$/.test(first);
    const extract = (oldStyle && first.includes('x')) || cmd.words.some((w) => /^-[A-Za-z]*x[A-Za-z]*$/.test(w.value ?? '') || w.value === '--extract' || w.value === '--get');
    if (!extract) return [];
    let dir: Word[] | undefined;
    let value: string | undefined;
    for (let i = 1; i < cmd.words.length; i++) {
      const v = cmd.words[i]!.value;
      if (v === '-C' || v === '--directory') {
        dir = cmd.words.slice(i, i + 2);
        value = cmd.words[i + 1]?.value;
        i++;
      } else if (v?.startsWith('--directory=')) {
        dir = [cmd.words[i]!];
        value = v.slice('--directory='.length);
      }
    }
    if (dir && value === undefined) return [];
    const dest = value !== undefined ? pathOf(value, cmd.cwd) : cmd.cwd;
    if (dest === undefined) return [];
    return [{ cmd, kind: 'install', what: `tar${dir ? ' … ' + text(dir) : ' (extracting in ' + dest + ')'}`, noun: 'the extracted files', dests: [dest], destWords: dir ?? [], copy: true }];
  }
  if (p === 'unzip') {
    const i = cmd.words.findIndex((w) => w.value === '-d');
    const value = i > 0 ? cmd.words[i + 1]?.value : undefined;
    if (i > 0 && value === undefined) return [];
    const dest = value !== undefined ? pathOf(value, cmd.cwd) : cmd.cwd;
    if (dest === undefined) return [];
    return [{ cmd, kind: 'install', what: `unzip${i > 0 ? ' … -d ' + cmd.words[i + 1]!.raw : ' (in ' + dest + ')'}`, noun: 'the extracted files', dests: [dest], destWords: i > 0 ? cmd.words.slice(i, i + 2) : [], copy: true }];
  }
  return [];
}

function downloadWriters(cmd: Cmd): Writer[] {
  const p = cmd.prog;
  const out: Writer[] = [];
  const push = (what: string, value: string | undefined, words: Word[], dir?: string) => {
    const dest = value !== undefined ? pathOf(value, dir ?? cmd.cwd) : undefined;
    if (dest !== undefined) out.push({ cmd, kind: 'output', what, noun: 'the download', dests: [dest], destWords: words });
  };
  if (p === 'curl') {
    const { opts } = scan(cmd.words, 1, set('-o', '--output', '--output-dir', '-H', '--header', '-d', '--data', '-u', '--user', '-X', '--request', '-A', '--user-agent', '-e', '--referer', '-w', '--write-out', '--retry', '--retry-delay', '--retry-max-time', '--connect-timeout', '-m', '--max-time', '--proto', '--proto-redir', '--cacert', '--capath', '-E', '--cert', '--key', '-x', '--proxy', '-r', '--range', '-b', '--cookie', '-c', '--cookie-jar', '-F', '--form', '-T', '--upload-file', '-K', '--config', '--resolve', '-z', '--time-cond', '-Y', '--speed-limit', '-y', '--speed-time', '--limit-rate', '--data-binary', '--data-raw', '--data-urlencode'), { bundles: true });
    const dirOpt = last(opts, '--output-dir');
    const dir = dirOpt ? pathOf(dirOpt.value, cmd.cwd) : cmd.cwd;
    for (const o of opts) {
      if ((o.name === '-o' || o.name === '--output') && o.value !== '-') push(`curl ${text(o.words)}`, o.value, o.words, dir);
      if (o.name === '-O' || o.name === '--remote-name' || o.name === '--remote-name-all') {
        if (dir !== undefined) out.push({ cmd, kind: 'output', what: `curl ${o.name} (into ${dir})`, noun: 'the download', dests: [dir], destWords: dirOpt?.words ?? [] });
      }
    }
  } else if (p === 'wget') {
    const { opts } = scan(cmd.words, 1, set('-O', '--output-document', '-P', '--directory-prefix', '-o', '--output-file', '-a', '--append-output', '-t', '--tries', '-T', '--timeout', '--header', '-U', '--user-agent', '--user', '--password', '-e', '--execute', '-i', '--input-file', '-w', '--wait', '-Q', '--quota', '--limit-rate', '-l', '--level', '-A', '--accept', '-R', '--reject', '-D', '--domains', '--ca-certificate', '--certificate', '--private-key'), { bundles: true });
    const o = last(opts, '-O', '--output-document');
    const dir = last(opts, '-P', '--directory-prefix');
    if (o) {
      if (o.value !== '-') push(`wget ${text(o.words)}`, o.value, o.words);
    } else if (dir) push(`wget ${text(dir.words)}`, dir.value, dir.words);
  } else if (p === 'git' && cmd.words[1]?.value === 'clone') {
    const { positionals } = scan(cmd.words, 2, set('-b', '--branch', '--depth', '-o', '--origin', '-c', '--config', '--reference', '--reference-if-able', '--separate-git-dir', '--filter', '-j', '--jobs', '--template', '-u', '--upload-pack', '--shallow-since', '--shallow-exclude', '--bundle-uri', '--server-option'));
    const [repo, dirWord] = positionals;
    if (dirWord) push(`git clone … ${dirWord.raw}`, dirWord.value, [dirWord]);
    else if (repo?.value !== undefined) {
      const name = repo.value.replace(/\/+$/, '').split(/[/:]/).pop()?.replace(/\.git$/, '');
      if (name) push(`git clone ${repo.raw}`, name, []);
    }
  }
  return out;
}

/** Where the tool of a writer keeps its download cache for that very command, and whether the cache is off. */
export function toolCache(w: Writer, who: RunUser): { dir?: string; reason?: string; off?: string } {
  const cmd = w.cmd;
  const vars = new Map(cmd.env);
  if (!cmd.homeKnown) vars.delete('HOME'); // assumed for finding paths, not good enough to move a mount to
  const toolEnv: ToolEnv = { vars, root: who.kind === 'root' };
  if (who.kind !== 'unknown' && who.home !== undefined) toolEnv.home = who.home;
  let explicit: string | null | undefined;
  let off: string | undefined;
  if (w.tool === 'pip') {
    const use = pipCacheUse(cmd, pipCall(cmd)!);
    if (use?.disabled) off = use.disabled.by === 'flag' ? 'pip runs with --no-cache-dir, so a mount on its cache would do nothing' : "PIP_NO_CACHE_DIR turns pip's cache off, so a mount on it would do nothing";
    const o = last(scan(cmd.words, 1, PIP_INSTALL).opts, '--cache-dir');
    if (o) explicit = o.value === undefined ? null : pathOf(o.value, cmd.cwd) ?? null;
  } else if (w.tool === 'npm') {
    const o = last(scan(cmd.words, 1, NPM_VALUED).opts, '--cache');
    if (o) explicit = o.value === undefined ? null : pathOf(o.value, cmd.cwd) ?? null;
  } else if (w.tool === 'uv') {
    const { opts } = scan(cmd.words, 1, set('--cache-dir', '--directory', '--project', '-p', '--python', '--target', '--prefix', '-r', '--requirement', '-c', '--constraint', '--index-url', '--extra-index-url', '--config-file', '--extra', '--group', '--package'));
    const o = last(opts, '--cache-dir');
    if (o) explicit = o.value === undefined ? null : pathOf(o.value, cmd.cwd) ?? null;
    if (has(opts, '--no-cache', '-n') || truthy(env(cmd, 'UV_NO_CACHE'))) off = 'uv runs without its cache (--no-cache, UV_NO_CACHE), so a mount on it would do nothing';
  } else return {};
  const dirs = toolCacheDirs(w.tool, toolEnv, explicit !== undefined ? { explicit } : {});
  const out: { dir?: string; reason?: string; off?: string } = {};
  if (dirs.ok && dirs.dirs.length === 1) out.dir = dirs.dirs[0]!;
  else if (!dirs.ok) out.reason = who.kind === 'unknown' ? who.reason : `${who.kind === 'user' ? `USER ${who.label}: ` : ''}${dirs.reason}`;
  if (off !== undefined) out.off = off;
  return out;
}

/** Everything `cmd` writes somewhere certain, given what earlier commands of its RUN set up. */
export function writersOf(cmd: Cmd, ctx: ToolContext, state: RunState): Writer[] {
  return [
    ...pipWriters(cmd),
    ...npmWriters(cmd, ctx),
    ...yarnPnpmWriters(cmd),
    ...goWriters(cmd, ctx),
    ...cargoWriters(cmd, ctx),
    ...dotnetWriters(cmd),
    ...jvmWriters(cmd),
    ...venvWriters(cmd),
    ...projectEnvWriters(cmd, state),
    ...copyWriters(cmd),
    ...downloadWriters(cmd),
  ];
}

/** Commands that can carry files out of a directory into another place (so a write into a mount may be saved). */
export const SAVERS = new Set(['cp', 'mv', 'rsync', 'install', 'tar', 'bsdtar', 'cpio', 'zip', 'unzip', 'find', 'xargs', 'sh', 'bash', 'ash', 'dash', 'cat', 'dd', 'ditto', 'uv', 'npm', 'gem', 'dpkg', 'apk', 'rpm']);

export function isSaver(cmd: Cmd): boolean {
  const p = cmd.prog;
  if (p === undefined) return true;
  return SAVERS.has(p) || pipCall(cmd) !== undefined;
}
