// files-stage: when a stage only copies *context files* out of another stage (buildkit#2120), put those context
// copies in a `FROM scratch` files stage that both the producer and the consumers copy from, so the consumers
// stop depending on (and, with inline or remote cache, rebuilding) the producer and everything above it.
//
// What the rewrite relies on (BuildKit: dockerfile2llb/convert_copy.go, fsutil copy/copy.go):
// - COPY sources resolve from the root of the context or of the `--from` stage; destinations against the
//   stage's WORKDIR, and `.`/trailing `/` make the destination a directory.
// - A copy keeps the source's mode, owner and timestamps unless --chmod/--chown say otherwise; build-context
//   files arrive owned by 0:0 (client/solve.go resetUIDAndGID). A copied directory contributes its *contents*;
//   the destination directory itself is created by MkdirAll (0755 or the --chmod mode, --chown owner) or left
//   as it was. So copying context → files stage → producer gives the producer exactly what context → producer
//   gave, provided the producer's copy repeats --chown/--chmod/--link (parents it creates get the same owner).
// - `--chown=<name>` needs /etc/passwd, which scratch does not have: the files stage copies without it and
//   the producer's copy keeps it; a consumer then only gets the same owner when it sets its own --chown.
//
// Restraint is the job: every copied path must be proven to be a context file (as BuildKit sends the context,
// after .dockerignore) that nothing touched — no RUN/COPY/ADD/WORKDIR after it in the producer's FROM chain
// that may change it, nothing in its place before it. RUN commands are read textually and conservatively (see
// runTouches): what they name, where they run, and which commands write without naming (package managers,
// user tools, build tools, scripts); anything unclear is refused with its reason. The analysis assumes the
// external base image has nothing at the destination, except in the well-known system locations below and
// the image's own WORKDIR, which are refused.

import type { DockerfileModel, FileInfo, Instruction, Span, TransformApi, TransformMeta } from '../src/types.js';
import { buildStageGraph, imageWorkdir } from '../src/dockerfile/stages.js';
import type { StageRef } from '../src/dockerfile/stages.js';
import { sentFiles } from '../src/context/dockerignore.js';
import { basename, cleanAbs, components, contextRel, hasWildcard, isAncestor, isWithin, matchComponent, relation, resolveIn } from '../src/dockerfile/paths.js';

export const meta = {
  name: 'files-stage',
  description:
    'Move context files that other stages only copy out of a heavy stage into a `FROM scratch` files stage, so those consumers stop depending on (and rebuilding) that stage and its ancestors',
  recommended: false,
  safety: 'unsafe',
  docs: 'https://github.com/moby/buildkit/issues/2120',
  readsContext: true,
  options: {
    stageSuffix: {
      type: 'string',
      description: 'Suffix of the files stage name: `<producing stage>-<suffix>` (made unique when taken)',
      default: 'files',
    },
  },
} satisfies TransformMeta;

// ---------------------------------------------------------------------------------------------------
// Locations that base images commonly populate: a copy there may merge with, or land inside, what the image
// already has, which the Dockerfile cannot show.

const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr', '/var', '/root', '/home'];
const SYSTEM_DIRS = ['/', '/etc', '/opt', '/srv', '/tmp', '/mnt', '/media'];
const ETC_TREES = [
  'alternatives', 'apache2', 'apk', 'apt', 'ca-certificates', 'conf.d', 'cron.d', 'default', 'dnf', 'docker', 'fonts', 'httpd', 'init.d',
  'ld.so.conf.d', 'logrotate.d', 'mysql', 'nginx', 'pam.d', 'php', 'pki', 'postgresql', 'profile.d', 'redis', 'security', 'ssh', 'ssl',
  'sudoers.d', 'supervisor', 'sysctl.d', 'systemd', 'yum.repos.d',
];

export function mayExistInBaseImage(p: string): boolean {
  if (SYSTEM_DIRS.includes(p)) return true;
  if (SYSTEM_TREES.some((t) => isWithin(p, t))) return true;
  return ETC_TREES.some((t) => isWithin(p, `/etc/${t}`));
}

/** Directories that base images commonly have: a file copied to one of these (no trailing `/`) lands inside it. */
const KNOWN_DIRS = new Set([
  '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/share', '/usr/include', '/usr/src', '/usr/local', '/usr/local/bin',
  '/usr/local/sbin', '/usr/local/lib', '/usr/local/share', '/usr/local/etc', '/usr/local/include', '/usr/local/src', '/usr/share/nginx',
  '/usr/share/nginx/html', '/usr/share/zoneinfo', '/usr/share/doc', '/usr/share/man', '/usr/local/share/ca-certificates', '/var/lib', '/var/cache',
  '/var/log', '/var/www', '/var/www/html', '/var/run', '/var/tmp', '/var/spool', '/var/opt', '/var/mail', '/var/lib/apt', '/var/lib/dpkg',
  '/etc/nginx/conf.d', '/etc/nginx/sites-available', '/etc/nginx/sites-enabled', '/etc/nginx/modules', '/etc/ssl/certs', '/etc/ssl/private',
  '/etc/apt/sources.list.d', '/etc/apt/apt.conf.d', '/etc/apt/preferences.d', '/etc/cron.daily', '/etc/cron.hourly', '/etc/cron.weekly',
  '/etc/cron.monthly', '/etc/skel', '/etc/opt', '/etc/xdg', '/usr/local/etc/php', '/usr/local/etc/php/conf.d', '/usr/local/etc/php-fpm.d',
  '/usr/local/apache2', '/usr/local/apache2/conf', '/usr/local/apache2/htdocs', '/usr/local/tomcat', '/usr/local/tomcat/conf',
  '/usr/local/tomcat/webapps', '/docker-entrypoint.d', '/docker-entrypoint-initdb.d', '/go', '/go/bin', '/go/src', '/go/pkg',
]);

/** A directory that an external base image is likely to have (its WORKDIR and what lies above it included). */
export function isKnownDirectory(p: string, imageWorkdir?: string): boolean {
  if (SYSTEM_DIRS.includes(p) || SYSTEM_TREES.includes(p) || KNOWN_DIRS.has(p)) return true;
  if (ETC_TREES.some((t) => p === `/etc/${t}`)) return true;
  return imageWorkdir !== undefined && isWithin(imageWorkdir, p);
}

// ---------------------------------------------------------------------------------------------------
// Reading RUN commands. A RUN "may touch" a path P when, in any simple command of it:
// - it names P, something inside P, a directory above P, or `/` itself (`tar -xz -C /`, `cp -a x/. /`),
//   glob-aware; read-only commands (`ls /`) aside;
// - it names P's last component as a word (`cp x config`) or as the last segment of a URL (`curl -O`), whatever
//   the directory;
// - it uses a variable or `~` in a path, or runs in an unknown directory, in P, or in a directory above P
//   other than `/` (a build tool writes where it runs), or unpacks an archive where it runs when that is `/`;
// - P lies in a system location (/etc, /usr, /var, /opt, /root, /home, /tmp, /run, /lib*, /bin, /sbin, /boot)
//   and the command is not one whose writes are confined to the paths it names and the directory it runs in
//   (apk, apt-get, pip, adduser, make, a script: they write system files, /etc/passwd among them) — after the
//   copy for any P, before it for a directory P (a package may fill the directory the copy adds to);
// except commands that only create or re-own directories they name (mkdir, install -d, chown, chmod, chgrp
// before the copy; mkdir after it) when none of those names lies inside P.

const WRAPPERS = new Set(['sudo', 'exec', 'env', 'command', 'time', 'nice', 'nohup', 'then', 'do', 'else', 'if', 'while', 'until', '!']);
const HARMLESS_BEFORE = new Set(['mkdir', 'install', 'chown', 'chmod', 'chgrp', 'set', 'true', ':']);
const HARMLESS_AFTER = new Set(['mkdir', 'set', 'true', ':']);
/** Commands that only read, or only write the paths they name (or their standard output). */
const READ_ONLY = new Set([
  'ls', 'cat', 'echo', 'printf', 'test', '[', '[[', 'stat', 'du', 'df', 'grep', 'egrep', 'fgrep', 'head', 'tail', 'wc', 'sort', 'uniq',
  'cut', 'tr', 'diff', 'cmp', 'file', 'which', 'id', 'whoami', 'uname', 'date', 'sleep', 'nproc', 'readlink', 'realpath', 'basename',
  'dirname', 'sha1sum', 'sha256sum', 'sha512sum', 'md5sum', 'base64', 'jq', 'envsubst', 'printenv', 'true', 'false', ':', 'set', 'export',
  'unset', 'shift', 'exit', 'return', 'umask', 'ulimit', 'wait', 'type', 'hash', 'fi', 'done', 'esac', 'case', 'for', 'in', 'elif',
  'select', 'function',
]);
/** Commands whose writes are confined to the paths they name and the directory they run in (checked by the rules above). */
const CONFINED = new Set([
  ...READ_ONLY, 'cd', 'pushd', 'popd', 'mkdir', 'rmdir', 'touch', 'ln', 'cp', 'mv', 'rm', 'chmod', 'chown', 'chgrp', 'install', 'sed', 'tee',
  'tar', 'bsdtar', 'unzip', 'cpio', '7z', '7za', 'gzip', 'gunzip', 'bzip2', 'bunzip2', 'xz', 'unxz', 'zstd', 'unzstd', 'curl', 'wget',
  'find', 'rsync', 'patch', 'truncate', 'dd', 'awk',
]);
/** Archive tools that unpack into the directory they run in unless told otherwise. */
const EXTRACTORS: Record<string, (words: string[]) => boolean> = {
  tar: (w) =>
    (/^-?[A-Za-z]*x[A-Za-z]*$/.test(w[0] ?? '') || w.some((x) => x === '--extract' || x === '--get' || /^-[A-Za-z]*x[A-Za-z]*$/.test(x))) &&
    !w.some((x) => /^-[A-Za-z]*C|^--directory\b/.test(x)),
  bsdtar: (w) => EXTRACTORS.tar!(w),
  unzip: (w) => !w.some((x) => /^-[A-Za-z]*d/.test(x)),
  cpio: (w) => w.some((x) => /^-[A-Za-z]*i|^--extract/.test(x)) && !w.some((x) => /^-[A-Za-z]*D|^--directory\b/.test(x)),
  '7z': (w) => w[0] === 'x' && !w.some((x) => x.startsWith('-o')),
  '7za': (w) => w[0] === 'x' && !w.some((x) => x.startsWith('-o')),
};
/** Where packages, users and installers write: a command of unknown effect may change anything here. */
const SYSTEM_LOCATIONS = ['/etc', '/usr', '/var', '/opt', '/root', '/home', '/tmp', '/run', '/lib', '/lib32', '/lib64', '/libx32', '/bin', '/sbin', '/boot'];
/** User and group tools write the account databases (and homes, mail spools) only. */
const USER_TOOLS = new Set(['adduser', 'useradd', 'addgroup', 'groupadd', 'usermod', 'groupmod', 'deluser', 'userdel', 'delgroup', 'groupdel', 'chpasswd', 'passwd', 'chsh', 'gpasswd']);
const USER_FILES = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow', '/etc/subuid', '/etc/subgid', '/etc/passwd-', '/etc/group-', '/etc/shadow-', '/etc/gshadow-', '/etc/.pwd.lock', '/etc/login.defs', '/home', '/var/mail', '/var/spool/mail'];
/** Build tools write where they run, the paths they name, and their caches and toolchains in these places. */
const BUILD_TOOLS = new Set([
  'go', 'cargo', 'rustc', 'rustup', 'npm', 'npx', 'yarn', 'pnpm', 'bun', 'mvn', 'mvnw', 'gradle', 'gradlew', 'ant', 'sbt', 'dotnet',
  'gcc', 'g++', 'cc', 'c++', 'clang', 'clang++', 'ld', 'strip', 'upx', 'cmake', 'ninja', 'meson', 'make', 'javac', 'jar', 'tsc', 'webpack',
  'vite', 'esbuild', 'rollup', 'composer', 'hugo',
]);
const TOOL_LOCATIONS = ['/root', '/home', '/tmp', '/var/tmp', '/usr/local', '/go'];
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);
/** OS package managers: what they install lives in directories named after the packages (/etc/nginx, /usr/share/php83). */
const OS_PACKAGE_MANAGERS = new Set(['apk', 'apt-get', 'apt', 'aptitude', 'dnf', 'yum', 'microdnf', 'tdnf', 'zypper', 'pacman', 'emerge', 'xbps-install', 'opkg']);
/** Words too common in package names and paths to tie one to the other. */
const COMMON_WORDS = new Set([
  'etc', 'usr', 'var', 'opt', 'lib', 'libs', 'share', 'local', 'bin', 'sbin', 'dev', 'doc', 'docs', 'common', 'data', 'base', 'core', 'utils',
  'util', 'tools', 'tool', 'conf', 'config', 'd', 'no', 'install', 'recommends', 'update', 'upgrade', 'add', 'cache', 'virtual', 'get', 'y', 'yes',
  'clean', 'all', 'x', 'amd', 'arm', 'aarch', 'noarch', 'el', 'release', 'src', 'app', 'apps', 'main', 'build', 'essential', 'extra', 'extras',
  'full', 'minimal', 'headless', 'runtime', 'server', 'client', 'plugins', 'plugin', 'modules', 'module', 'the', 'and',
]);
const nameWords = (s: string) => s.toLowerCase().split(/[^a-z]+/).filter((t) => t && !COMMON_WORDS.has(t));

/** A package manager's packages that may own a directory on the path `p` (undefined: none; a string: which). */
function packageFor(rest: string[], p: string): string | undefined {
  const pathWords = new Set(components(p).flatMap(nameWords));
  for (const w of rest) {
    if (w.startsWith('-')) continue;
    if (/[$`]/.test(w) || /\.(txt|deb|rpm|apk|list)$/.test(w)) return w; // packages this file does not name
    if (nameWords(w).some((t) => pathWords.has(t))) return w;
  }
  return undefined;
}

/** Where a command that does not name the path may still write: nothing beyond its names and working directory, or these trees. */
function implicitWrites(name: string, rest: string[]): { what: string; where: string[] } | undefined {
  if (!name || CONFINED.has(name)) return undefined;
  if (USER_TOOLS.has(name)) return { what: name, where: USER_FILES };
  if (BUILD_TOOLS.has(name)) {
    const global = rest.some((w) => w === '-g' || w === '--global' || w === 'global' || w === '--install' || w === 'install' && ['go', 'cargo', 'make', 'ninja', 'dotnet'].includes(name));
    if (!global) return { what: name, where: TOOL_LOCATIONS };
  }
  return { what: name, where: SYSTEM_LOCATIONS };
}

export function inSystemLocation(p: string): boolean {
  return SYSTEM_LOCATIONS.some((t) => isWithin(p, t));
}

type Phase = 'before' | 'after';

function splitCommands(text: string, escape: string): string[] {
  const esc = escape === '`' ? '`' : '\\\\';
  const joined = text.replace(new RegExp(`${esc}[ \\t]*\\r?\\n`, 'g'), ' ');
  const lines = joined.split(/\r?\n/).filter((l) => !/^\s*#/.test(l));
  return lines.join('\n').split(/\n|;|&&|\|\||\||&|\(|\)|\{|\}/).map((c) => c.trim()).filter(Boolean);
}

function pathTokens(word: string): string[] {
  const out: string[] = [];
  for (let t of word.replace(/["']/g, '').split(/[=,:<>]/)) {
    if (!t || t.includes('://')) continue;
    if (t.startsWith('-')) {
      const slash = t.indexOf('/');
      if (slash < 0) continue;
      t = t.slice(slash);
    }
    out.push(t);
  }
  return out;
}

/** Absolute paths that ENV instructions hand to programs (`HOME=/srv/app`, `PATH=/opt/x/bin:$PATH`), with their lines. */
function envPaths(instructions: Instruction[]): { path: string; line: number }[] {
  const out: { path: string; line: number }[] = [];
  for (const ins of instructions) {
    if (ins.keyword !== 'ENV') continue;
    for (const a of ins.args) for (const t of pathTokens(a.value)) if (t.startsWith('/') && !t.includes('$')) out.push({ path: cleanAbs(t), line: ins.startLine });
  }
  return out;
}

function runTouches(model: DockerfileModel, ins: Instruction, p: string, kind: 'file' | 'dir', phase: Phase, startCwd: string | undefined, env: { path: string; line: number }[] = []): string | undefined {
  const line = ins.startLine;
  const base = basename(p);
  const harmlessSet = phase === 'before' ? HARMLESS_BEFORE : HARMLESS_AFTER;
  // --mount targets and sources: a mount at or above P, during the RUN.
  for (const f of ins.flags) {
    for (const t of pathTokens(f.value ?? '')) {
      if (t.includes('$')) return `RUN at line ${line} uses a variable in --${f.name}`;
      const abs = t.startsWith('/') ? t : startCwd !== undefined ? resolveIn(startCwd, t) : undefined;
      if (abs && relation(abs, p)) return `RUN at line ${line} mounts ${t}`;
    }
  }
  // Exec form: the decoded elements (quotes and brackets would otherwise stick to the paths).
  const args = ins.jsonForm ? ins.args.map((a) => a.value).join(' ') : ins.argsSpan ? withoutHeredocMarkers(model.source.text, ins) : '';
  let cwd = startCwd;
  // A command that may write P without naming it: reported only when nothing more specific is found.
  let implicit: string | undefined;
  for (const cmd of splitCommands(args, model.escape)) {
    const words = cmd.split(/\s+/).filter(Boolean);
    let k = 0;
    const bare = (w: string | undefined) => (w ?? '').replace(/^["'[]+|["'\]]+$/g, '').replace(/^.*\//, '');
    for (;;) {
      while (k < words.length && (WRAPPERS.has(words[k]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k]!))) k++;
      // `sh -c "…"`: the command is the string (already split into simple commands).
      const c = SHELLS.has(bare(words[k])) ? words.findIndex((w, i) => i > k && /^-[a-z]*c[a-z]*$/.test(w)) : -1;
      if (c < 0) break;
      k = c + 1;
    }
    const name = bare(words[k]);
    const rest = words.slice(k + 1);
    if (name === 'cd' || name === 'pushd') {
      const target = rest.find((w) => !w.startsWith('-'))?.replace(/["']/g, '');
      cwd = target === undefined || target.includes('$') || target.startsWith('~') || cwd === undefined && !target.startsWith('/') ? undefined : resolveIn(cwd ?? '/', target);
      continue;
    }
    if (name === 'popd') {
      cwd = undefined;
      continue;
    }
    const redirect = /[<>]/.test(cmd.replace(/\d?>\s*\/dev\/null|\d?>&\d/g, ''));
    const resolved: { word: string; abs?: string; variable: boolean }[] = [];
    for (const w of rest) {
      for (const t of pathTokens(w)) {
        const variable = t.includes('$') || t.startsWith('~');
        const abs = variable ? undefined : t.startsWith('/') ? cleanAbs(t) : cwd !== undefined ? resolveIn(cwd, t) : undefined;
        resolved.push({ word: t, abs, variable });
      }
    }
    const installDir = name !== 'install' || rest.some((w) => w === '-d' || w === '--directory' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(w));
    if (harmlessSet.has(name) && installDir && !redirect) {
      // Creating or re-owning directories by name: fine unless a name lies inside P (or, for a file, is P).
      const bad = resolved.find((r) => {
        if (r.word.startsWith('-') || /^[0-7]{3,4}$|^[ugoa]*[+=-][rwxXst]*$/.test(r.word)) return false;
        if (r.variable || r.abs === undefined) return true;
        return relation(r.abs, p) === 'within' && (r.abs !== p || (phase === 'before' && kind === 'file'));
      });
      if (!bad) continue;
      return `RUN at line ${line} (${name} ${bad.word}) may create or change ${p}`;
    }
    const writes = phase === 'after' || kind === 'dir' ? implicitWrites(name, rest) : undefined;
    const zone = writes?.where.find((t) => isWithin(p, t) || isAncestor(p, t));
    // A program told through ENV where to work (HOME, a config path) may write there without naming it.
    const told = writes ? env.find((e) => e.path !== '/' && relation(e.path, p)) : undefined;
    if (writes && told && implicit === undefined) implicit = `RUN at line ${line} runs ${writes.what}, and ENV at line ${told.line} points it at ${told.path}`;
    if (writes && zone && implicit === undefined) {
      if (phase === 'after') implicit = `RUN at line ${line} runs ${writes.what}, which may change ${zone === p ? p : `files in ${zone}`}`;
      else if (!OS_PACKAGE_MANAGERS.has(name)) implicit = `RUN at line ${line} runs ${writes.what}, which may put files in ${p}`;
      else {
        const pkg = packageFor(rest, p);
        if (pkg !== undefined) implicit = `RUN at line ${line} installs ${pkg} with ${name}, which may put files in ${p}`;
      }
    }
    if (cwd === undefined) return `RUN at line ${line} runs in a directory this file does not determine`;
    if (isWithin(cwd, p)) return `RUN at line ${line} runs in ${cwd}`;
    if (cwd !== '/' && isAncestor(cwd, p)) return `RUN at line ${line} runs in ${cwd}, above ${p}`;
    if (cwd === '/' && Object.hasOwn(EXTRACTORS, name) && EXTRACTORS[name]!(rest)) return `RUN at line ${line} unpacks an archive into / (${name} runs in /)`;
    for (const r of resolved) {
      if (r.variable) {
        if (hasPathShape(r.word)) return `RUN at line ${line} uses the path ${r.word}, which this file does not determine`;
        continue;
      }
      const findReads = name === 'find' && !rest.some((w) => /^-(delete|exec|execdir|ok|okdir|fprint\w*|fls)$/.test(w));
      if (r.abs === '/' && !READ_ONLY.has(name) && !findReads) return `RUN at line ${line} names / (${name} … ${r.word}), so it may change anything`;
      if (r.abs !== undefined && relation(r.abs, p)) return `RUN at line ${line} names ${r.word}`;
      if (base && r.word.split('/').some((c) => c === base || (hasWildcard(c) && matchComponent(c, base)))) {
        if (!r.word.startsWith('/')) return `RUN at line ${line} names ${r.word}`;
      }
    }
    // A download without an output name lands in the working directory under the URL's last segment.
    for (const w of rest) {
      const url = /^["']?[a-z][a-z0-9+.-]*:\/\/[^/\s"']+\/(?:[^\s"']*\/)?([^/\s"'?#]+)/i.exec(w);
      if (url && base && url[1] === base) return `RUN at line ${line} downloads ${url[1]}`;
    }
  }
  return implicit;
}

/** The RUN's text from its arguments on, with `<<EOT` markers and terminator lines blanked (a bare `RUN <<EOT` runs its body). */
function withoutHeredocMarkers(text: string, ins: Instruction): string {
  const start = ins.argsSpan!.start;
  const out = text.slice(start, ins.span.end).split('');
  for (const h of ins.heredocs) {
    for (const sp of [h.markerSpan, h.terminatorSpan]) for (let i = Math.max(sp.start, start); i < sp.end && i < ins.span.end; i++) out[i - start] = ' ';
  }
  return out.join('');
}

function hasPathShape(word: string): boolean {
  return word.includes('/') || word.startsWith('~') || /^\$\{?\w+\}?$/.test(word);
}

// ---------------------------------------------------------------------------------------------------

interface Entry {
  /** Absolute path in the producing stage (and in the files stage). */
  path: string;
  kind: 'file' | 'dir';
  /** Context-relative source ('' = the context root). */
  ctx: string;
}

interface Candidate {
  ins: Instruction;
  stage: number;
  absDest: string;
  dirForm: boolean;
  entries: Entry[];
  /** Why it cannot be moved at all. */
  problem?: string;
  /** `entries` lists everything the copy writes (the sources were all found). */
  complete: boolean;
  /** Several or wildcard sources: what they match changes with the context, so the copy owns its whole destination directory. */
  spread: boolean;
  /** Sources of the producer's copy back from the files stage. */
  back: string[];
  /** --chown by name: the files stage cannot resolve it. */
  chownName?: string;
  filesFlags: string[];
  backFlags: string[];
  json: boolean;
  sources: string[];
  dest: string;
}

type Coverage =
  | { kind: 'ok'; cand: Candidate; entry: Entry }
  | { kind: 'none'; path: string }
  | { kind: 'refused'; reason: string };

const UNSAFE_CHARS = /[$"'`\\]/;
const ALLOWED_FLAGS = new Set(['chown', 'chmod', 'link', 'exclude']);

export default function transform(file: FileInfo, api: TransformApi, options: Record<string, unknown>): string | undefined {
  const suffix = String(options.stageSuffix ?? meta.options.stageSuffix.default);
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(suffix)) throw new Error(`--stage-suffix must be lower-case letters, digits, "-", "_" or ".", got "${suffix}"`);
  const model = api.model;
  if (model.stages.length < 2) return undefined;
  const graph = buildStageGraph(model);
  const text = model.source.text;
  const editor = api.edit();

  const messages = new Set<string>();
  const skip = (reason: string, at?: Span) => {
    const key = `${reason}@${at?.start}`;
    if (messages.has(key)) return;
    messages.add(key);
    api.skip(reason, at);
  };
  // Unnamed stages by line: their indices change when a stage is inserted.
  const show = (i: number) => (model.stages[i]!.name ? graph.display(i) : `${graph.display(i)} (line ${model.stages[i]!.from.startLine})`);

  // Consumer references worth looking at: COPY --from=<stage>.
  const copyRefs = graph.nodes.flatMap((n) => n.refs.filter((r) => r.kind === 'copy' && !r.trigger && r.target !== undefined && r.target < r.stage));
  if (copyRefs.length === 0) return undefined;

  // --- the producing side -------------------------------------------------------------------------

  const chainInstructions = (r: number): Instruction[] => graph.chain(r).flatMap((i) => model.stages[i]!.instructions.filter((ins) => ins.keyword !== 'FROM'));

  /** Already a files stage: scratch plus context copies, all the way up its FROM chain. Nothing to gain. */
  const isFilesStage = (r: number): boolean =>
    graph.root(r).kind === 'scratch' &&
    graph.chain(r).every((i) => model.stages[i]!.instructions.every((ins) => ins.keyword === 'FROM' || (ins.keyword === 'COPY' && !ins.flags.some((f) => f.name.toLowerCase() === 'from')) || ['ARG', 'LABEL', 'ENV'].includes(ins.keyword)));

  const chainProblemCache = new Map<number, string | undefined>();
  const chainProblem = (r: number): string | undefined => {
    if (chainProblemCache.has(r)) return chainProblemCache.get(r);
    let why: string | undefined;
    const ids = graph.chain(r);
    const root = graph.root(r);
    if (root.kind === 'arg') why = `the FROM chain of ${show(r)} starts from a build argument (${graph.nodes[ids[0]!]!.stage.base})`;
    for (const i of ids) {
      for (const ins of model.stages[i]!.instructions) {
        if (why) break;
        if (ins.keyword === 'ONBUILD' && i !== r) why = `ONBUILD at line ${ins.startLine} runs in the stage built from ${show(i)}`;
        if (ins.keyword === 'SHELL') why = `SHELL at line ${ins.startLine} changes how RUN commands are read`;
      }
    }
    chainProblemCache.set(r, why);
    return why;
  };

  // The build context as BuildKit sends it (after `<Dockerfile>.dockerignore` or `.dockerignore`), read once and
  // only when a copy has to be classified.
  let listing: { files: Set<string>; dirs: Set<string>; all: Set<string>; ignoreName: string; ignoreProblem?: string } | undefined;
  const dirsOf = (files: Iterable<string>) => {
    const dirs = new Set<string>();
    for (const f of files) for (let i = f.indexOf('/'); i !== -1; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
    return dirs;
  };
  const context = () => {
    if (listing) return listing;
    const raw = api.context.list();
    const all = new Set([...raw, ...dirsOf(raw)]);
    const df = api.context.dockerfile;
    const specific = df && !df.startsWith('../') && !df.startsWith('/') ? `${df}.dockerignore` : undefined;
    const ignoreName = specific !== undefined && api.context.exists(specific) ? specific : '.dockerignore';
    const ignoreText = api.context.read(ignoreName);
    let sent = raw;
    let ignoreProblem: string | undefined;
    if (ignoreText !== undefined) {
      try {
        sent = sentFiles(raw, ignoreText);
      } catch (e) {
        ignoreProblem = `${ignoreName} cannot be read (${e instanceof Error ? e.message : String(e)})`;
        sent = [];
      }
    }
    return (listing = { files: new Set(sent), dirs: dirsOf(sent), all, ignoreName, ignoreProblem });
  };

  /** What kind of thing a context source is, as BuildKit sees it. */
  const classify = (rel: string): 'file' | 'dir' | 'missing' | 'unknown' | 'unreadable' => {
    const { files, dirs, all, ignoreProblem } = context();
    if (ignoreProblem) return 'unreadable';
    if (rel === '') return 'dir';
    if (files.has(rel)) return 'file';
    if (dirs.has(rel)) return 'dir';
    if (all.has(rel)) return 'missing'; // in the directory, but left out by the ignore file
    return api.context.exists(rel) ? 'unknown' : 'missing';
  };

  const expand = (pattern: string): string[] => {
    const parts = pattern.split('/');
    const paths = [...context().files, ...context().dirs];
    return paths.filter((p) => {
      const c = p.split('/');
      return c.length === parts.length && c.every((x, i) => matchComponent(parts[i]!, x));
    }).sort();
  };

  const candidates = new Map<Instruction, Candidate>();
  const candidateOf = (ins: Instruction): Candidate | undefined => {
    if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') return undefined;
    if (ins.flags.some((f) => f.name.toLowerCase() === 'from')) return undefined; // from a stage or image
    if (ins.heredocs.length) return undefined; // inline files, not context files
    const hit = candidates.get(ins);
    if (hit) return hit;
    const args = ins.args.map((a) => a.value);
    const dest = args[args.length - 1] ?? '';
    const sources = args.slice(0, -1);
    const cand: Candidate = { ins, stage: ins.stage, absDest: '', dirForm: false, entries: [], complete: false, spread: false, back: [], filesFlags: [], backFlags: [], json: ins.jsonForm, sources, dest };
    candidates.set(ins, cand);
    const fail = (why: string) => {
      cand.problem = why;
      return cand;
    };
    if (ins.keyword === 'ADD') return fail(`ADD at line ${ins.startLine} is not moved (it may unpack archives)`);
    if (sources.length === 0) return fail(`COPY at line ${ins.startLine} has no source`);
    for (const f of ins.flags) {
      const name = f.name.toLowerCase();
      if (!ALLOWED_FLAGS.has(name)) return fail(`COPY --${f.name} at line ${ins.startLine} is not moved`);
      if (f.quoted || (f.value !== undefined && UNSAFE_CHARS.test(f.value))) return fail(`COPY --${f.name} at line ${ins.startLine} uses quotes or variables`);
      const flagText = text.slice(f.span.start, f.span.end);
      if (f.crossesLines) return fail(`COPY --${f.name} at line ${ins.startLine} continues over lines`);
      if (name === 'chown') {
        const numeric = /^\d+(:\d+)?$/.test(f.value ?? '');
        if (numeric) cand.filesFlags.push(flagText);
        else cand.chownName = f.value;
        cand.backFlags.push(flagText);
      } else if (name === 'chmod' || name === 'link') {
        cand.filesFlags.push(flagText);
        cand.backFlags.push(flagText);
      } else cand.filesFlags.push(flagText); // --exclude: applied once, in the files stage
    }
    if (ins.flags.some((f) => f.name.toLowerCase() === 'parents')) return fail(`COPY --parents at line ${ins.startLine} is not moved`);
    if (args.some((a) => UNSAFE_CHARS.test(a) || /^[A-Za-z]:/.test(a))) return fail(`COPY at line ${ins.startLine} uses quotes, variables, escapes or a drive letter`);
    if (api.isSuppressed(ins)) return fail(`COPY at line ${ins.startLine} is suppressed by "# dockshift-ignore"`);
    const prot = editor.protectedReason({ start: ins.lineStart, end: ins.span.end });
    if (prot) return fail(prot);
    if (model.comments.some((c) => c.insideInstruction && c.span.start > ins.span.start && c.span.end <= ins.span.end)) return fail(`COPY at line ${ins.startLine} has comments between its lines`);
    if (ins.args.some((a) => a.crossesLines)) return fail(`COPY at line ${ins.startLine} splits a path over lines`);

    const wd = dest.startsWith('/') ? '/' : graph.workdirAt(ins.stage, ins.index);
    if (wd === undefined) return fail(`the destination ${dest} of COPY at line ${ins.startLine} is relative and the WORKDIR of ${show(ins.stage)} is not known from this file`);
    cand.absDest = resolveIn(wd, dest);
    const wild = sources.some(hasWildcard);
    cand.dirForm = dest === '.' || dest === '' || dest.endsWith('/') || sources.length > 1 || wild;
    if (!(dest === '.' || dest.endsWith('/')) && (sources.length > 1 || wild)) return fail(`COPY at line ${ins.startLine} has several or wildcard sources and a destination without a trailing /`);

    const ignoreProblem = context().ignoreProblem;
    if (ignoreProblem) return fail(ignoreProblem);
    const matched: { rel: string; kind: 'file' | 'dir' }[] = [];
    for (const s of sources) {
      const rel = contextRel(s);
      const found = hasWildcard(rel) ? expand(rel) : [rel];
      for (const m of found) {
        const k = classify(m);
        if (k === 'unreadable') return fail(context().ignoreProblem!);
        if (k === 'missing') {
          const ignored = context().all.has(m) ? `: ${context().ignoreName} leaves it out` : '';
          return fail(`${s} (COPY at line ${ins.startLine}) is not in the build context${ignored}`);
        }
        if (k === 'unknown') return fail(`${s} (COPY at line ${ins.startLine}) is an empty or linked directory in the build context`);
        matched.push({ rel: m, kind: k });
      }
    }
    if (matched.length === 1 && !wild) {
      const m = matched[0]!;
      if (m.kind === 'dir') cand.entries.push({ path: cand.absDest, kind: 'dir', ctx: m.rel });
      else cand.entries.push({ path: cand.dirForm ? resolveIn(cand.absDest, basename('/' + m.rel)) : cand.absDest, kind: 'file', ctx: m.rel });
      cand.back = [cand.entries[0]!.path];
    } else {
      // The files stage's destination directory is copied back whole: files the pattern matches tomorrow
      // come along, and nothing else may be in that directory (checked below, and by later copies' checks).
      cand.spread = true;
      cand.back = [cand.absDest];
      for (const m of matched) {
        if (m.kind === 'dir') return fail(`COPY at line ${ins.startLine} copies several sources including the directory ${m.rel}`);
        cand.entries.push({ path: resolveIn(cand.absDest, basename('/' + m.rel)), kind: 'file', ctx: m.rel });
      }
    }
    if (cand.entries.length === 0) return fail(`COPY at line ${ins.startLine} matches nothing in the build context`);
    cand.complete = true;

    // A file copied to a path without a trailing / lands *inside* that path when it is a directory (in scratch it
    // does not): refused where base images commonly have a directory.
    if (!cand.dirForm && cand.entries[0]!.kind === 'file') {
      const root = graph.root(ins.stage);
      if (root.kind !== 'scratch' && isKnownDirectory(cand.absDest, root.kind === 'image' ? imageWorkdir(root.ref) : undefined)) {
        return fail(`${cand.absDest} is a directory in common base images, so COPY at line ${ins.startLine} puts the file inside it`);
      }
    }
    // Nothing in place before it.
    const chain = chainInstructions(ins.stage);
    const before = chain.slice(0, chain.indexOf(ins));
    for (const e of cand.spread ? [{ path: cand.absDest, kind: 'dir' as const, ctx: '' }, ...cand.entries] : cand.entries) {
      const why = earlierProblem(before, e);
      if (why) return fail(`${why} (before COPY at line ${ins.startLine})`);
    }
    return cand;
  };

  /** The absolute paths an instruction may write, or undefined when unknown. */
  const regionsOf = (ins: Instruction): string[] | undefined => {
    if (ins.keyword === 'WORKDIR') {
      const wd = graph.workdirAt(ins.stage, ins.index + 1);
      return wd === undefined ? undefined : [wd];
    }
    const cand = candidateOf(ins);
    if (cand?.complete) return cand.spread ? [cand.absDest] : cand.entries.map((e) => e.path);
    const dest = ins.args[ins.args.length - 1]?.value;
    if (dest === undefined || UNSAFE_CHARS.test(dest)) return undefined;
    const wd = dest.startsWith('/') ? '/' : graph.workdirAt(ins.stage, ins.index);
    return wd === undefined ? undefined : [resolveIn(wd, dest)];
  };

  function earlierProblem(before: Instruction[], e: Entry): string | undefined {
    for (const ins of before) {
      switch (ins.keyword) {
        case 'WORKDIR': {
          const wd = regionsOf(ins)?.[0];
          if (wd === undefined) return `WORKDIR at line ${ins.startLine} is not known from this file`;
          if (isAncestor(e.path, wd)) return `WORKDIR at line ${ins.startLine} creates ${wd} inside ${e.path}`;
          if (wd === e.path && e.kind === 'file') return `${e.path} is a directory (WORKDIR at line ${ins.startLine})`;
          break;
        }
        case 'COPY':
        case 'ADD': {
          const regions = regionsOf(ins);
          if (!regions) return `${ins.keyword} at line ${ins.startLine} writes to a path this file does not determine`;
          const r = regions.find((p) => isWithin(p, e.path) || isWithin(e.path, p));
          if (r) return `${ins.keyword} at line ${ins.startLine} already writes ${r}`;
          break;
        }
        case 'RUN': {
          const why = runTouches(model, ins, e.path, e.kind, 'before', graph.workdirAt(ins.stage, ins.index), envPaths(before.slice(0, before.indexOf(ins))));
          if (why) return why;
          break;
        }
      }
    }
    return undefined;
  }

  function laterProblem(chain: Instruction[], after: Instruction[], p: string, line: number): string | undefined {
    const why = laterProblemOf(chain, after, p);
    return why && `${why} (after COPY at line ${line})`;
  }

  function laterProblemOf(chain: Instruction[], after: Instruction[], p: string): string | undefined {
    for (const ins of after) {
      switch (ins.keyword) {
        case 'WORKDIR': {
          const wd = regionsOf(ins)?.[0];
          if (wd === undefined) return `WORKDIR at line ${ins.startLine} is not known from this file`;
          if (isAncestor(p, wd)) return `WORKDIR at line ${ins.startLine} creates ${wd} inside ${p}`;
          break;
        }
        case 'COPY':
        case 'ADD': {
          const regions = regionsOf(ins);
          if (!regions) return `${ins.keyword} at line ${ins.startLine} writes to a path this file does not determine`;
          const r = regions.find((q) => isWithin(q, p) || isWithin(p, q));
          if (r) return `${ins.keyword} at line ${ins.startLine} writes ${r}`;
          break;
        }
        case 'RUN': {
          const why = runTouches(model, ins, p, 'dir', 'after', graph.workdirAt(ins.stage, ins.index), envPaths(chain.slice(0, chain.indexOf(ins))));
          if (why) return why;
          break;
        }
      }
    }
    return undefined;
  }

  /** Is path `s` of stage `r` a context file that nothing touched? */
  const coverage = (r: number, s: string, wildcard: boolean): Coverage => {
    const chain = chainInstructions(r);
    let found: { cand: Candidate; entry: Entry } | undefined;
    const prefix = wildcard ? '/' + components(s).slice(0, components(s).findIndex(hasWildcard)).join('/') : s;
    for (let i = chain.length - 1; i >= 0 && !found; i--) {
      const ins = chain[i]!;
      if ((ins.keyword !== 'COPY' && ins.keyword !== 'ADD') || ins.flags.some((f) => f.name.toLowerCase() === 'from') || ins.heredocs.length) continue;
      // Cheap prefilter on the destination before asking the context.
      const dest = ins.args[ins.args.length - 1]?.value ?? '';
      const wd = dest.startsWith('/') ? '/' : graph.workdirAt(ins.stage, ins.index);
      if (wd !== undefined && !UNSAFE_CHARS.test(dest)) {
        const abs = resolveIn(wd, dest);
        if (!isWithin(prefix, abs) && !isWithin(abs, prefix)) continue;
      }
      const cand = candidateOf(ins)!;
      let entry = cand.complete ? cand.entries.find((e) => (wildcard ? e.kind === 'dir' && isWithin(prefix, e.path) : e.path === s || (e.kind === 'dir' && isWithin(s, e.path)))) : undefined;
      // A copy with several or wildcard sources owns its destination directory: that directory, as a whole, is its.
      if (!entry && cand.complete && cand.spread && !wildcard && s === cand.absDest) entry = { path: cand.absDest, kind: 'dir', ctx: '' };
      if (entry) found = { cand, entry };
      else if (!cand.complete && cand.problem) {
        // The copy could not be read (ADD, unknown WORKDIR, missing source, …): when it plausibly wrote this
        // path, that is a refusal to report, not a build output.
        const names = [dest, ...cand.sources].map((x) => basename('/' + x));
        const plausible = wd !== undefined && !UNSAFE_CHARS.test(dest) ? isWithin(prefix, resolveIn(wd, dest)) : names.includes(basename(prefix));
        if (plausible) return { kind: 'refused', reason: cand.problem };
      }
    }
    if (!found) return { kind: 'none', path: s };
    const { cand, entry } = found;
    // Only a path that exists in the context is a context file; anything else under the copy is a build output.
    if (!wildcard && s !== entry.path) {
      const rel = (entry.ctx ? entry.ctx + '/' : '') + s.slice(entry.path === '/' ? 1 : entry.path.length + 1);
      const k = classify(rel);
      if (k === 'missing') return { kind: 'none', path: s };
    }
    const chainProb = chainProblem(r);
    if (chainProb) return { kind: 'refused', reason: chainProb };
    const root = graph.root(cand.stage);
    if (root.kind !== 'scratch' && entry.kind === 'dir' && mayExistInBaseImage(entry.path)) {
      return { kind: 'refused', reason: `the base image may already have files in ${entry.path}` };
    }
    const imageWd = root.kind === 'image' ? imageWorkdir(root.ref) : undefined;
    if (entry.kind === 'dir' && imageWd !== undefined && imageWd !== '/' && isWithin(imageWd, entry.path)) {
      return { kind: 'refused', reason: `the base image ${(root as { ref: string }).ref} already has files in ${imageWd}, its WORKDIR (COPY at line ${cand.ins.startLine} adds to them)` };
    }
    if (cand.problem) return { kind: 'refused', reason: cand.problem };
    const after = chain.slice(chain.indexOf(cand.ins) + 1);
    const why = laterProblem(chain, after, wildcard ? prefix : s, cand.ins.startLine);
    if (why) return { kind: 'refused', reason: why };
    return { kind: 'ok', cand, entry };
  };

  // --- the consuming side -------------------------------------------------------------------------

  interface Pair {
    consumer: number;
    producer: number;
    /** consumer COPY → producing stage whose files stage it will copy from. */
    rewrites: Map<Instruction, number>;
    moved: Set<Candidate>;
  }

  const pairs: Pair[] = [];
  const byPair = new Map<string, StageRef[]>();
  for (const ref of copyRefs) {
    const key = `${ref.stage}:${ref.target}`;
    byPair.set(key, [...(byPair.get(key) ?? []), ref]);
  }

  for (const [key, refs] of byPair) {
    const [c, r] = key.split(':').map(Number) as [number, number];
    if (isFilesStage(r)) continue;
    const results: { ref: StageRef; cov: Coverage[] }[] = [];
    for (const ref of refs) {
      const ins = ref.instruction;
      const cov: Coverage[] = [];
      const sources = ins.heredocs.length ? [] : ins.args.slice(0, -1);
      if (ins.heredocs.length) cov.push({ kind: 'none', path: '<<heredoc' });
      for (const a of sources) {
        if (UNSAFE_CHARS.test(a.value)) {
          cov.push({ kind: 'none', path: a.value });
          continue;
        }
        const s = cleanAbs('/' + a.value);
        cov.push(coverage(r, s, hasWildcard(s)));
      }
      results.push({ ref, cov });
    }
    const interesting = results.some((x) => x.cov.some((v) => v.kind !== 'none'));
    if (!interesting) continue;
    const first = results[0]!.ref.instruction;
    const leave = (why: string, at: Span = first.span) => skip(`${show(c)} still copies from ${show(r)}: ${why}`, at);

    // A build output keeps the dependency whatever else could be moved: that is the reason worth giving.
    const outputs = results.flatMap((x) => x.cov.filter((v): v is Extract<Coverage, { kind: 'none' }> => v.kind === 'none'));
    if (outputs.length) {
      leave(`it also copies ${outputs.map((o) => o.path).join(', ')}, which ${outputs.length > 1 ? 'are not context files' : 'is not a context file'}, so it would still depend on ${show(r)}`);
      continue;
    }
    const refused = results.flatMap((x) => x.cov.filter((v): v is Extract<Coverage, { kind: 'refused' }> => v.kind === 'refused').map((v) => ({ v, ins: x.ref.instruction })));
    if (refused.length) {
      leave(refused[0]!.v.reason, refused[0]!.ins.span);
      continue;
    }
    let problem: string | undefined;
    const rewrites = new Map<Instruction, number>();
    const moved = new Set<Candidate>();
    for (const { ref, cov } of results) {
      const ins = ref.instruction;
      const oks = cov as Extract<Coverage, { kind: 'ok' }>[];
      const producers = new Set(oks.map((o) => o.cand.stage));
      const flag = ref.flag!;
      if (producers.size > 1) problem = `COPY at line ${ins.startLine} takes files copied in several stages (${[...producers].map(show).join(', ')})`;
      else if (api.isSuppressed(ins)) problem = `COPY at line ${ins.startLine} is suppressed by "# dockshift-ignore"`;
      else if (flag.quoted || flag.crossesLines || !flag.valueSpan) problem = `the --from of COPY at line ${ins.startLine} uses quotes or continues over lines`;
      else if (editor.protectedReason(flag.span)) problem = editor.protectedReason(flag.span);
      else if (ins.flags.some((f) => f.name.toLowerCase() === 'parents')) problem = `COPY --parents at line ${ins.startLine} copies parent directories, whose owners differ in a files stage`;
      else {
        const named = oks.find((o) => o.cand.chownName !== undefined);
        if (named && !ins.flags.some((f) => f.name.toLowerCase() === 'chown')) {
          problem = `${named.entry.path} is copied with --chown=${named.cand.chownName} (line ${named.cand.ins.startLine}), a user name a scratch stage cannot resolve, and COPY at line ${ins.startLine} keeps the owner`;
        }
      }
      if (problem) break;
      rewrites.set(ins, [...producers][0]!);
      for (const o of oks) moved.add(o.cand);
    }
    if (problem) {
      leave(problem);
      continue;
    }
    pairs.push({ consumer: c, producer: r, rewrites, moved });
  }

  // Keep only the rewrites that actually cut the dependency (other rewrites may be needed for that: iterate).
  let active = [...pairs];
  for (let changed = true; changed; ) {
    changed = false;
    const rewritten = new Set(active.flatMap((p) => [...p.rewrites.keys()]));
    const ignore = (ref: StageRef) => ref.kind === 'copy' && !ref.trigger && rewritten.has(ref.instruction);
    for (const p of active) {
      const deps = graph.dependencies(p.consumer, ignore);
      if (deps.unknown) {
        skip(`${show(p.consumer)} still copies from ${show(p.producer)}: its dependencies include a FROM or --from that uses a build argument`, [...p.rewrites.keys()][0]!.span);
      } else if (deps.stages.has(p.producer)) {
        const direct = graph.nodes[p.consumer]!.refs.filter((ref) => !ignore(ref) && ref.target !== undefined && (ref.target === p.producer || graph.dependencies(ref.target).stages.has(p.producer)));
        const via = direct.map((ref) => (ref.target === p.producer ? `${ref.kind === 'base' ? 'FROM' : ref.kind === 'mount' ? 'RUN --mount' : 'COPY'} at line ${ref.instruction.startLine}` : show(ref.target!)));
        skip(`${show(p.consumer)} still copies from ${show(p.producer)}: it would still depend on it (${[...new Set(via)].join(', ')})`, [...p.rewrites.keys()][0]!.span);
      } else continue;
      active = active.filter((x) => x !== p);
      changed = true;
      break;
    }
  }
  if (active.length === 0) return undefined;

  // --- edits ----------------------------------------------------------------------------------------

  const moved = new Map<number, Candidate[]>();
  for (const p of active) for (const cand of p.moved) {
    const list = moved.get(cand.stage) ?? [];
    if (!list.includes(cand)) list.push(cand);
    moved.set(cand.stage, list);
  }

  // Names: unique among stages, every --from / mount from / FROM base in the file (an image name there must
  // not become a stage), and each other.
  const taken = new Set<string>();
  for (const n of graph.nodes) {
    if (n.name) taken.add(n.name);
    taken.add(n.stage.base.toLowerCase());
    for (const ref of n.refs) taken.add(ref.value.toLowerCase());
  }
  for (const ins of model.instructions) {
    for (const f of [...ins.flags, ...(ins.trigger?.flags ?? [])]) if (f.name.toLowerCase() === 'from' && f.value) taken.add(f.value.toLowerCase());
    for (const m of [...ins.mounts, ...(ins.trigger?.mounts ?? [])]) if (m.get('from')?.value) taken.add(m.get('from')!.value!.toLowerCase());
  }
  const filesName = new Map<number, string>();
  for (const s of [...moved.keys()].sort((a, b) => a - b)) {
    const stem = `${(graph.nodes[s]!.name ?? `stage-${s}`)}-${suffix}`;
    let name = stem;
    for (let k = 2; taken.has(name); k++) name = `${stem}-${k}`;
    taken.add(name);
    filesName.set(s, name);
  }

  // Numeric --from values after an inserted stage move up.
  const inserted = [...moved.keys()];
  const shift = (n: number) => n + inserted.filter((s) => s <= n).length;
  const rewrittenCopies = new Map<Instruction, number>();
  for (const p of active) for (const [ins, s] of p.rewrites) rewrittenCopies.set(ins, s);
  for (const ins of model.instructions) {
    const targets = ins.keyword === 'ONBUILD' && ins.trigger ? [ins.trigger] : [ins];
    for (const t of targets) {
      if (t.keyword !== 'COPY' || rewrittenCopies.has(ins)) continue;
      const f = t.flags.find((x) => x.name.toLowerCase() === 'from');
      if (!f?.value || !/^\d+$/.test(f.value) || shift(Number(f.value)) === Number(f.value)) continue;
      const blocked = ins.keyword === 'ONBUILD'
        ? `ONBUILD at line ${ins.startLine} copies from stage index ${f.value}, which inserting a stage would change`
        : f.quoted || f.crossesLines || !f.valueSpan ? `COPY --from=${f.value} at line ${ins.startLine} cannot be renumbered` : editor.protectedReason(f.span);
      if (blocked) {
        skip(`no files stage added: ${blocked}`, ins.span);
        return undefined;
      }
      editor.replace(f.valueSpan!, String(shift(Number(f.value))));
    }
  }

  const eol = model.source.eol;
  for (const [s, list] of moved) {
    list.sort((a, b) => a.ins.index - b.ins.index);
    const stage = model.stages[s]!;
    const name = filesName.get(s)!;
    const from = stage.from;
    const fromKw = text.slice(from.keywordSpan.start, from.keywordSpan.end);
    const asTok = from.args.length === 3 ? from.args[1]!.value : fromKw === fromKw.toLowerCase() ? 'as' : 'AS';
    const lines = [`${fromKw} scratch ${asTok} ${name}`];
    for (const cand of list) {
      const kw = text.slice(cand.ins.keywordSpan.start, cand.ins.keywordSpan.end);
      const destText = cand.dirForm ? (cand.absDest === '/' ? '/' : cand.absDest + '/') : cand.absDest;
      const paths = cand.json ? JSON.stringify([...cand.sources, destText]).replace(/","/g, '", "') : [...cand.sources, destText].join(' ');
      lines.push([kw, ...cand.filesFlags, paths].join(' '));
      const back = cand.back;
      const backPaths = cand.json ? JSON.stringify([...back, cand.dest]).replace(/","/g, '", "') : [...back, cand.dest].join(' ');
      editor.replace({ start: cand.ins.keywordSpan.end, end: cand.ins.span.end }, ' ' + [`--from=${name}`, ...cand.backFlags, backPaths].join(' '));
    }
    // Before the producing stage's own comment block; a blank line after it when stages are set apart so.
    const firstComment = from.leadingComments[0];
    const at = Math.max(firstComment ? text.lastIndexOf('\n', firstComment.span.start - 1) + 1 : from.lineStart, model.bodyStart);
    const prevLineStart = text.lastIndexOf('\n', at - 2) + 1;
    const blankBefore = at <= model.directivesEnd || text.slice(prevLineStart, at).trim() === '';
    const indent = from.indent.replace(/\ufeff/g, ''); // the first line's "indent" holds a BOM
    const block = lines.map((l) => indent + l + eol).join('') + (blankBefore ? eol : '');
    const blocked = editor.protectedReason({ start: at, end: at });
    if (blocked) {
      skip(`no files stage added before ${show(s)}: ${blocked}`, from.span);
      return undefined;
    }
    editor.insert(at, block);
  }

  for (const [ins, s] of rewrittenCopies) {
    const f = ins.flags.find((x) => x.name.toLowerCase() === 'from')!;
    editor.replace(f.valueSpan!, filesName.get(s)!);
  }

  // Say what changed, consumer by consumer.
  const rewrittenSet = new Set(rewrittenCopies.keys());
  const ignoreAll = (ref: StageRef) => ref.kind === 'copy' && !ref.trigger && rewrittenSet.has(ref.instruction);
  for (const c of [...new Set(active.map((p) => p.consumer))].sort((a, b) => a - b)) {
    const beforeDeps = graph.dependencies(c).stages;
    const afterDeps = graph.dependencies(c, ignoreAll).stages;
    const gone = [...beforeDeps].filter((d) => !afterDeps.has(d)).sort((a, b) => a - b);
    const at = active.find((p) => p.consumer === c)!.rewrites.keys().next().value!.span;
    api.report(`${show(c)} no longer depends on ${gone.map(show).join(', ')}`, at);
  }
  for (const [s, list] of moved) {
    api.report(`files stage ${filesName.get(s)} holds the context files that ${show(s)} copies at line${list.length > 1 ? 's' : ''} ${list.map((c) => c.ins.startLine).join(', ')}`, model.stages[s]!.from.span);
  }
  return editor.apply();
}
