// npm, Yarn (classic and Berry) and pnpm. All three installs here are dependency-only by nature (they install
// node_modules from package.json and the lock file), so they move; what makes them depend on sources is
// refused: lifecycle scripts of the project, local-path dependencies, workspaces that cannot be resolved, and
// options that would let the install rewrite a lock file that the whole copy afterwards would put back.

import { cleanPath } from './context.js';
import { type Ecosystem, type Env, type InstallCommand, type Plan, Refuse, optional, optionalDir, parseArgs, readJson, requireLiteral, toolOf } from './types.js';
import type { OptionSpec } from './types.js';

/** Scripts npm, Yarn and pnpm run for the project itself (and its workspaces) during an install. */
const LIFECYCLE = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare', 'dependencies'];
const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'resolutions', 'overrides'];

interface NodeProject {
  /** package.json files: the root and every workspace member. */
  manifests: string[];
  files: string[];
  dirs: string[];
}

function strings(v: unknown, out: [string, string][] = [], key = ''): [string, string][] {
  if (typeof v === 'string') out.push([key, v]);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) strings(x, out, k);
  return out;
}

/** Workspace member directories for `patterns`, resolved against the context (simple globs only). */
function members(env: Env, patterns: unknown, source: string): string[] {
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string')) throw new Refuse(`${source} lists workspaces in a form this transform cannot read`);
  const dirs = new Set<string>();
  for (const raw of patterns as string[]) {
    const p = raw.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!p || p.startsWith('!') || p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '**' || (/[*?[\]{}!$]/.test(s) && s !== '*'))) {
      throw new Refuse(`workspace pattern "${raw}" in ${source} is not a simple path or "dir/*" glob; the member manifests cannot all be resolved`);
    }
    for (const f of env.ctx.glob(`${p}/package.json`)) dirs.add(f.slice(0, -'/package.json'.length));
  }
  return [...dirs].sort();
}

/** The checks every package.json gets: lifecycle scripts and dependencies that point into the file system. */
function checkPackage(env: Env, rel: string, pkg: Record<string, unknown>, ignoreScripts: boolean, workspaces: boolean, project: NodeProject): void {
  const scripts = (pkg.scripts && typeof pkg.scripts === 'object' ? pkg.scripts : {}) as Record<string, unknown>;
  if (!ignoreScripts) {
    for (const name of LIFECYCLE) {
      const body = scripts[name];
      if (typeof body !== 'string') continue;
      const patch = /^patch-package(?:\s+--(?:patch-dir\s+([\w./-]+)|[\w-]+))*\s*$/.exec(body.trim());
      if (name === 'postinstall' && patch && rel === 'package.json') {
        const dir = cleanPath(patch[1] ?? 'patches');
        if (dir.startsWith('..') || dir.startsWith('/')) throw new Refuse(`the postinstall script "${body}" reads patches outside the build context`);
        optionalDir(env, project.dirs, dir);
        continue;
      }
      throw new Refuse(`${rel} has a "${name}" script ("${body}"), which the install runs and which may need the sources`);
    }
  }
  for (const field of DEP_FIELDS.concat('pnpm')) {
    for (const [name, spec] of strings(pkg[field])) {
      if (/^(file|link|portal):/i.test(spec) || /^(\.{1,2}|~)?\//.test(spec) || /^git\+file:/i.test(spec)) {
        throw new Refuse(`${rel} depends on a local path (${name}: "${spec}")`);
      }
      if (spec.startsWith('workspace:') && !workspaces) throw new Refuse(`${rel} uses the workspace: protocol (${name}) but declares no workspaces`);
      const patch = /^patch:.*#(?:~\/|\.\/)?(.*\.patch)$/.exec(spec);
      if (patch && !/#[a-z]+:/.test(spec)) {
        const file = cleanPath(patch[1]!);
        if (file.startsWith('..') || !env.ctx.has(file)) throw new Refuse(`${rel} applies the patch ${patch[1]} (${name}), which is not in the build context`);
        if (!project.files.includes(file)) project.files.push(file);
      }
    }
  }
  const pnpm = pkg.pnpm as Record<string, unknown> | undefined;
  const patched = pnpm && typeof pnpm === 'object' ? (pnpm.patchedDependencies as Record<string, unknown> | undefined) : undefined;
  for (const [name, file] of strings(patched)) {
    const f = cleanPath(file);
    if (f.startsWith('..') || !env.ctx.has(f)) throw new Refuse(`${rel} patches ${name} with ${file}, which is not in the build context`);
    if (!project.files.includes(f)) project.files.push(f);
  }
}

/**
 * A workspace member's executables and man pages: the install links them into node_modules/.bin (and the man
 * directories) and makes the targets executable (npm's bin-links fixBin: chmod, CRLF shebang rewrite). Without
 * the member's sources the target is missing and the link is silently skipped, so the image would lose the link
 * and the target's mode would stay as the context has it.
 */
function checkMemberLinks(rel: string, pkg: Record<string, unknown>): void {
  const dirs = pkg.directories && typeof pkg.directories === 'object' ? (pkg.directories as Record<string, unknown>) : {};
  const field = pkg.bin !== undefined && pkg.bin !== null && !(typeof pkg.bin === 'object' && Object.keys(pkg.bin as object).length === 0) ? 'bin' : pkg.man !== undefined ? 'man' : dirs.bin !== undefined ? 'directories.bin' : dirs.man !== undefined ? 'directories.man' : undefined;
  if (field) throw new Refuse(`the workspace member ${rel} declares "${field}", which the install links into node_modules and makes executable; its files are not there before the whole copy, so the links would be missing`);
}

function npmrcIgnoresScripts(env: Env): boolean {
  const rc = env.ctx.read('.npmrc');
  return !!rc && /^\s*ignore-scripts\s*=\s*true\s*$/m.test(rc);
}

/** `.npmrc` settings that put npm's files inside the project (a relative cache or prefix). */
function checkNpmrc(env: Env): void {
  const rc = env.ctx.read('.npmrc') ?? '';
  const m = /^\s*(cache|prefix|globalconfig|userconfig)\s*=\s*(\S+)/m.exec(rc);
  if (m && !m[2]!.startsWith('/') && !m[2]!.startsWith('~') && !m[2]!.startsWith('$')) throw new Refuse(`.npmrc sets ${m[1]}=${m[2]}, a path inside the project`);
}

/** package.json, its workspaces (npm/Yarn `workspaces`, or pnpm's list) and the checks on all of them. */
function project(env: Env, ignoreScripts: boolean, pnpmPatterns?: string[]): NodeProject {
  env.ctx.require('package.json');
  const root = readJson(env, 'package.json');
  const proj: NodeProject = { manifests: ['package.json'], files: [], dirs: [] };
  let patterns: unknown = pnpmPatterns;
  if (pnpmPatterns === undefined && root.workspaces !== undefined) {
    const ws = root.workspaces as unknown;
    patterns = Array.isArray(ws) ? ws : ws && typeof ws === 'object' ? (ws as Record<string, unknown>).packages : ws;
  }
  const hasWorkspaces = patterns !== undefined;
  checkPackage(env, 'package.json', root, ignoreScripts, hasWorkspaces, proj);
  if (hasWorkspaces) {
    for (const dir of members(env, patterns, pnpmPatterns ? 'pnpm-workspace.yaml' : 'package.json')) {
      const rel = `${dir}/package.json`;
      if (rel === 'package.json') continue;
      proj.manifests.push(rel);
      const member = readJson(env, rel);
      checkPackage(env, rel, member, ignoreScripts, true, proj);
      checkMemberLinks(rel, member);
    }
  }
  return proj;
}

function outputs(env: Env, proj: NodeProject, extra: string[], tool: string): void {
  const dirs = proj.manifests.map((m) => (m === 'package.json' ? 'node_modules/' : m.replace(/package\.json$/, 'node_modules/')));
  env.ctx.checkOutputs([...dirs, ...extra], tool);
}

function plan(name: string, proj: NodeProject, files: string[], dirs: string[]): Plan {
  return { ecosystem: name, mode: 'move', files: [...proj.manifests, ...files, ...proj.files.filter((f) => !files.includes(f))], dirs: [...dirs, ...proj.dirs] };
}

const COMMON: OptionSpec = {
  '--ignore-scripts': 'flag',
  '--silent': 'flag',
  '-s': 'flag',
  '--loglevel': 'value',
  '--prefer-offline': 'flag',
  '--offline': 'flag',
  '--no-progress': 'flag',
  '--verbose': 'flag',
  '--registry': 'value',
};

// --- npm -------------------------------------------------------------------------------------------

const NPM_CI = new Set(['ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean']);
const NPM_INSTALL = new Set(['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall']);
const NPM_OPTS: OptionSpec = {
  ...COMMON,
  '--omit': 'value',
  '--include': 'value',
  '--production': 'flag',
  '--only': 'value',
  '--no-audit': 'flag',
  '--no-fund': 'flag',
  '--legacy-peer-deps': 'flag',
  '--strict-peer-deps': 'flag',
  '--prefer-online': 'flag',
  '--no-optional': 'flag',
  '--quiet': 'flag',
  '-q': 'flag',
  '-d': 'flag',
  '--unsafe-perm': 'flag',
  '--no-update-notifier': 'flag',
  '--foreground-scripts': 'flag',
  '--engine-strict': 'flag',
  '--cache': 'value',
  '--fetch-retries': 'value',
  '--fetch-timeout': 'value',
  '--maxsockets': 'value',
};

export const npm: Ecosystem = {
  name: 'npm',
  primary: ['package.json'],
  hint: /\bnpm\s+(ci|install|i|clean-install)\b/,
  identify(cmd) {
    if (toolOf(cmd) !== 'npm') return false;
    const sub = cmd.argv[1];
    if (sub === undefined || !(NPM_CI.has(sub) || NPM_INSTALL.has(sub))) return false;
    // `npm install express` adds a package and `npm install -g x` installs a tool: not the project's install.
    const rest = cmd.argv.slice(2);
    return !rest.some((a) => a !== undefined && (a === '-g' || a === '--global' || a.startsWith('--location') || a === '--prefix' || !a.startsWith('-')));
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'npm');
    const sub = argv[1]!;
    const args = parseArgs(argv.slice(2), NPM_OPTS, `npm ${sub}`);
    if (args.positionals.length) throw new Refuse(`npm ${sub} with package arguments changes package.json`);
    for (const c of args.options.get('--cache') ?? []) if (!c.startsWith('/')) throw new Refuse(`npm --cache ${c} is inside the project`);
    checkNpmrc(env);
    const ignoreScripts = args.options.has('--ignore-scripts') || npmrcIgnoresScripts(env);
    const proj = project(env, ignoreScripts);
    const files: string[] = [];
    optional(env, files, 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc');
    if (NPM_INSTALL.has(sub) && files.some((f) => f !== '.npmrc')) {
      throw new Refuse(`npm ${sub} may rewrite ${files[0]}, and the whole copy afterwards would put the old one back (use npm ci, which never writes the lock file)`);
    }
    outputs(env, proj, [], `npm ${sub}`);
    return plan('npm', proj, files, []);
  },
};

// --- Yarn ------------------------------------------------------------------------------------------

const YARN_CLASSIC_OPTS: OptionSpec = {
  ...COMMON,
  '--frozen-lockfile': 'flag',
  '--pure-lockfile': 'flag',
  '--production': 'flag',
  '--prod': 'flag',
  '--non-interactive': 'flag',
  '--ignore-engines': 'flag',
  '--ignore-optional': 'flag',
  '--ignore-platform': 'flag',
  '--network-timeout': 'value',
  '--network-concurrency': 'value',
  '--check-files': 'flag',
  '--cache-folder': 'value',
  '--mutex': 'value',
  '--link-duplicates': 'flag',
  '--no-default-rc': 'flag',
  '--no-bin-links': 'flag',
};
const YARN_BERRY_OPTS: OptionSpec = {
  '--immutable': 'flag',
  '--immutable-cache': 'flag',
  '--check-cache': 'flag',
  '--inline-builds': 'flag',
  '--mode': 'value',
  '--json': 'flag',
};

function isBerry(env: Env): boolean {
  if (env.ctx.has('.yarnrc.yml')) return true;
  if (/^__metadata:/m.test(env.ctx.read('yarn.lock') ?? '')) return true;
  const pm = (() => {
    try {
      return readJson(env, 'package.json').packageManager;
    } catch {
      return undefined;
    }
  })();
  return typeof pm === 'string' && /^yarn@([2-9]|\d\d)/.test(pm);
}

export const yarn: Ecosystem = {
  name: 'Yarn',
  primary: ['package.json'],
  hint: /\byarn(\s+install)?\b/,
  identify(cmd) {
    if (toolOf(cmd) !== 'yarn') return false;
    const sub = cmd.argv[1];
    return sub === undefined || sub === 'install' || (sub.startsWith('-') && !['-v', '--version', '-h', '--help'].includes(sub));
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'yarn');
    const rest = argv[1] === 'install' ? argv.slice(2) : argv.slice(1);
    const berry = isBerry(env);
    const args = parseArgs(rest, berry ? YARN_BERRY_OPTS : YARN_CLASSIC_OPTS, 'yarn install');
    if (args.positionals.length) throw new Refuse('yarn install with arguments is not the project install');
    const files: string[] = [];
    const dirs: string[] = [];
    if (berry) {
      const mode = args.options.get('--mode')?.[0];
      if (mode !== undefined && mode !== 'skip-build') throw new Refuse(`yarn install --mode=${mode} may rewrite the lock file`);
      const rc = env.ctx.read('.yarnrc.yml') ?? '';
      const immutable = args.options.has('--immutable') || /^enableImmutableInstalls:\s*true\s*$/m.test(rc) || /^(true|1)$/.test(env.setting(cmd, 'YARN_ENABLE_IMMUTABLE_INSTALLS') ?? '');
      if (!immutable && env.ctx.has('yarn.lock')) throw new Refuse('yarn install may rewrite yarn.lock, and the whole copy afterwards would put the old one back (use yarn install --immutable)');
      const custom = /^(cacheFolder|globalFolder|installStatePath|pnpDataPath|pnpUnpluggedFolder|virtualFolder|patchFolder|pnpEnableInlining|injectEnvironmentFiles):/m.exec(rc);
      if (custom) throw new Refuse(`.yarnrc.yml sets ${custom[1]}, which this transform does not follow`);
      for (const m of rc.matchAll(/^\s*(?:-\s+)?path:\s*["']?([^"'\s#]+)/gm)) {
        if (!cleanPath(m[1]!).startsWith('.yarn/')) throw new Refuse(`.yarnrc.yml loads a plugin from ${m[1]}, outside .yarn/`);
      }
      const yarnPath = /^yarnPath:\s*["']?([^"'\s#]+)/m.exec(rc)?.[1];
      optional(env, files, 'yarn.lock', '.yarnrc.yml', '.env.yarn');
      for (const d of ['.yarn/releases', '.yarn/plugins', '.yarn/patches']) optionalDir(env, dirs, d);
      if (yarnPath) {
        const p = cleanPath(yarnPath);
        if (p.startsWith('..') || p.startsWith('/') || !env.ctx.has(p)) throw new Refuse(`.yarnrc.yml runs yarn from ${yarnPath}, which is not in the build context`);
        if (!dirs.some((d) => p.startsWith(d + '/'))) files.push(p);
      }
      const proj = project(env, false);
      outputs(env, proj, ['.pnp.cjs', '.pnp.loader.mjs', '.pnp.data.json', '.yarn/install-state.gz', '.yarn/build-state.yml', '.yarn/cache/', '.yarn/unplugged/', '.yarn/__virtual__/'], 'yarn install');
      return plan('Yarn', proj, files, dirs);
    }
    for (const c of args.options.get('--cache-folder') ?? []) if (!c.startsWith('/')) throw new Refuse(`yarn --cache-folder ${c} is inside the project`);
    const frozen = args.options.has('--frozen-lockfile') || args.options.has('--pure-lockfile');
    if (!frozen && env.ctx.has('yarn.lock')) throw new Refuse('yarn install may rewrite yarn.lock, and the whole copy afterwards would put the old one back (use yarn install --frozen-lockfile)');
    const yarnrc = env.ctx.read('.yarnrc') ?? '';
    const moved = /^\s*(--modules-folder|yarn-path|yarn-offline-mirror|--cache-folder|cache-folder)\b/m.exec(yarnrc);
    if (moved) throw new Refuse(`.yarnrc sets ${moved[1]}, which this transform does not follow`);
    optional(env, files, 'yarn.lock', '.yarnrc', '.npmrc');
    const proj = project(env, args.options.has('--ignore-scripts'));
    outputs(env, proj, [], 'yarn install');
    return plan('Yarn', proj, files, dirs);
  },
};

// --- pnpm ------------------------------------------------------------------------------------------

const PNPM_OPTS: OptionSpec = {
  ...COMMON,
  '--frozen-lockfile': 'flag',
  '--prod': 'flag',
  '-P': 'flag',
  '--production': 'flag',
  '--dev': 'flag',
  '-D': 'flag',
  '--no-optional': 'flag',
  '--shamefully-hoist': 'flag',
  '--reporter': 'value',
  '--store-dir': 'value',
  '--recursive': 'flag',
  '-r': 'flag',
  '--network-concurrency': 'value',
  '--child-concurrency': 'value',
  '--unsafe-perm': 'flag',
  '--ignore-pnpmfile': 'flag',
};

/** `packages:` of pnpm-workspace.yaml (block list form only). */
function pnpmWorkspace(env: Env, files: string[]): string[] | undefined {
  const text = env.ctx.read('pnpm-workspace.yaml');
  if (text === undefined) return undefined;
  files.push('pnpm-workspace.yaml');
  if (/\b(file|link):/.test(text)) throw new Refuse('pnpm-workspace.yaml points at a local path (file: or link:)');
  const lines = text.split(/\r?\n/);
  const patterns: string[] = [];
  let inPackages = false;
  let inPatched = false;
  for (const line of lines) {
    if (/^\S/.test(line)) {
      inPackages = /^packages:\s*(#.*)?$/.test(line);
      inPatched = /^patchedDependencies:\s*(#.*)?$/.test(line);
      if (/^packages:\s*\S/.test(line) && !/^packages:\s*#/.test(line)) throw new Refuse('pnpm-workspace.yaml lists packages in a form this transform cannot read');
      continue;
    }
    if (inPackages) {
      const m = /^\s+-\s+(?:'([^']*)'|"([^"]*)"|([^\s#'"]+))\s*(#.*)?$/.exec(line);
      if (m) patterns.push(m[1] ?? m[2] ?? m[3]!);
      else if (line.trim() && !line.trim().startsWith('#')) throw new Refuse('pnpm-workspace.yaml lists packages in a form this transform cannot read');
    }
    if (inPatched) {
      const m = /:\s*['"]?([^'"\s#]+\.patch)['"]?\s*$/.exec(line);
      if (m) {
        const f = cleanPath(m[1]!);
        if (f.startsWith('..') || !env.ctx.has(f)) throw new Refuse(`pnpm-workspace.yaml patches a dependency with ${m[1]}, which is not in the build context`);
        files.push(f);
      }
    }
  }
  return patterns;
}

export const pnpm: Ecosystem = {
  name: 'pnpm',
  primary: ['package.json', 'pnpm-lock.yaml'],
  hint: /\bpnpm\s+(install|i|fetch)\b/,
  identify(cmd) {
    if (toolOf(cmd) !== 'pnpm') return false;
    return ['install', 'i', 'fetch'].includes(cmd.argv[1] ?? '');
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'pnpm');
    const sub = argv[1]!;
    const args = parseArgs(argv.slice(2), PNPM_OPTS, `pnpm ${sub}`);
    if (args.positionals.length) throw new Refuse(`pnpm ${sub} with arguments is not the project install`);
    for (const s of args.options.get('--store-dir') ?? []) if (!s.startsWith('/')) throw new Refuse(`pnpm --store-dir ${s} is inside the project`);
    const npmrc = env.ctx.read('.npmrc') ?? '';
    const moved = /^\s*(pnpmfile|global-pnpmfile|virtual-store-dir|modules-dir|lockfile-dir)\s*=/m.exec(npmrc);
    if (moved) throw new Refuse(`.npmrc sets ${moved[1]}, which moves files this transform does not follow`);
    const store = /^\s*store-dir\s*=\s*(\S+)/m.exec(npmrc)?.[1];
    if (store !== undefined && !store.startsWith('/')) throw new Refuse(`.npmrc puts the pnpm store at ${store}, inside the project`);
    const files: string[] = [];
    optional(env, files, 'pnpm-lock.yaml', '.npmrc', '.pnpmfile.cjs', '.pnpmfile.mjs');
    const workspace = pnpmWorkspace(env, files);
    if (sub === 'fetch') {
      // pnpm fetch reads only the lock file (and configuration): made for exactly this layering.
      env.ctx.require('pnpm-lock.yaml');
      env.ctx.checkOutputs(['node_modules/'], 'pnpm fetch');
      return { ecosystem: 'pnpm', mode: 'move', files, dirs: [] };
    }
    if (!args.options.has('--frozen-lockfile') && env.ctx.has('pnpm-lock.yaml')) throw new Refuse('pnpm install may rewrite pnpm-lock.yaml, and the whole copy afterwards would put the old one back (use pnpm install --frozen-lockfile)');
    const proj = project(env, args.options.has('--ignore-scripts') || /^\s*ignore-scripts\s*=\s*true\s*$/m.test(npmrc), workspace);
    outputs(env, proj, [], `pnpm ${sub}`);
    return plan('pnpm', proj, files, []);
  },
};

export const NODE: Ecosystem[] = [npm, yarn, pnpm];

/** A readable name for a command that must not run after the whole copy when the install needs it. */
export function nodeSetupHint(cmd: InstallCommand): string | undefined {
  const t = toolOf(cmd);
  if (t === 'corepack') return 'corepack';
  if (t === 'npm' && cmd.argv.some((a) => a === '-g' || a === '--global')) return 'a global npm install';
  return undefined;
}
