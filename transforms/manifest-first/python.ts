// pip (requirements files and what they include), Poetry, uv and Pipenv.

import { cleanPath } from './context.js';
import { type Ecosystem, type Env, type InstallCommand, type OptionSpec, type Plan, Refuse, isLocalPath, optional, optionWordIndexes, parseArgs, requireLiteral, toolOf, variantOf } from './types.js';

/** Where a Python tool's arguments start: `pip install`, `python -m pip install`, `uv pip install`. */
function python(cmd: InstallCommand, tool: string, subs: string[]): { sub: string; at: number } | undefined {
  const t = toolOf(cmd);
  let i: number;
  if (t !== undefined && (t === tool || (tool === 'pip' && /^pip3(\.\d+)?$/.test(t)))) i = 1;
  else if (t !== undefined && /^python(\d+(\.\d+)?)?$/.test(t) && cmd.argv[1] === '-m' && cmd.argv[2] === tool) i = 3;
  else if (tool === 'pip' && t === 'uv' && cmd.argv[1] === 'pip') i = 2;
  else return undefined;
  const sub = cmd.argv[i];
  return sub !== undefined && subs.includes(sub) ? { sub, at: i + 1 } : undefined;
}

/** A program inside the project (`.venv/bin/pip`): its top directory is written by the install. */
function programOutputs(cmd: InstallCommand, env: Env): string[] {
  const a0 = cmd.argv[0]!;
  if (!a0.includes('/')) return [];
  const rel = env.inProject(a0);
  return rel === undefined ? [] : [rel.split('/')[0]! + '/'];
}

// --- pip -------------------------------------------------------------------------------------------

const PIP_OPTS: OptionSpec = {
  '-r': 'value',
  '--requirement': 'value',
  '-c': 'value',
  '--constraint': 'value',
  '-e': 'value',
  '--editable': 'value',
  '--no-cache-dir': 'flag',
  '--no-compile': 'flag',
  '--compile': 'flag',
  '-U': 'flag',
  '--upgrade': 'flag',
  '--user': 'flag',
  '-q': 'flag',
  '-qq': 'flag',
  '--quiet': 'flag',
  '-v': 'flag',
  '--verbose': 'flag',
  '--disable-pip-version-check': 'flag',
  '--require-hashes': 'flag',
  '--prefer-binary': 'flag',
  '--pre': 'flag',
  '-I': 'flag',
  '--ignore-installed': 'flag',
  '--force-reinstall': 'flag',
  '--no-build-isolation': 'flag',
  '--use-pep517': 'flag',
  '--no-warn-script-location': 'flag',
  '--break-system-packages': 'flag',
  '--no-deps': 'flag',
  '--no-input': 'flag',
  '--no-index': 'flag',
  '--exists-action': 'value',
  '--progress-bar': 'value',
  '--root-user-action': 'value',
  '--only-binary': 'value',
  '--no-binary': 'value',
  '-i': 'value',
  '--index-url': 'value',
  '--extra-index-url': 'value',
  '--trusted-host': 'value',
  '--timeout': 'value',
  '--retries': 'value',
  '--default-timeout': 'value',
  '--upgrade-strategy': 'value',
  '--prefix': 'value',
  '-t': 'value',
  '--target': 'value',
  '--root': 'value',
  '-f': 'value',
  '--find-links': 'value',
  // uv pip install
  '--system': 'flag',
  '--python': 'value',
  '--no-cache': 'flag',
  '--compile-bytecode': 'flag',
  '--link-mode': 'value',
  '--strict': 'flag',
  '--index-strategy': 'value',
};

/** A requirement that names a package on an index or a remote URL (never a local path). */
const NAMED_REQ = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\s*\[[A-Za-z0-9,._\s-]*\])?\s*((===?|~=|!=|<=?|>=?)\s*[A-Za-z0-9.*+!_-]+\s*(,\s*(===?|~=|!=|<=?|>=?)\s*[A-Za-z0-9.*+!_-]+\s*)*)?(\s*;.*)?$/;
const URL_REQ = /^(git\+)?(https?|ssh):\/\//i;
const NAME_AT_URL = /^[A-Za-z0-9][A-Za-z0-9._-]*(\s*\[[^\]]*\])?\s*@\s*(git\+)?(https?|ssh):\/\/\S+(\s*;.*)?$/i;

const REQ_FILE_OPTS = /^(--index-url|-i|--extra-index-url|--trusted-host|--no-binary|--only-binary|--prefer-binary|--require-hashes|--pre|--use-feature|--no-index)(\s*=?\s*\S+)?$/;

/** A requirement pinned to one release (`name==1.2.3`, `name===x`) or to one artifact (an archive URL, a commit). */
function exactPin(req: string): boolean {
  const spec = req.replace(/\s*;.*$/, '').trim();
  if (NAME_AT_URL.test(spec) || URL_REQ.test(spec)) return /\.(whl|tar\.gz|zip|tgz)(#.*)?$/i.test(spec) || /@[0-9a-f]{40}(#.*)?$/i.test(spec);
  return /^[A-Za-z0-9][A-Za-z0-9._-]*(\s*\[[^\]]*\])?\s*(===\s*\S+|==\s*[A-Za-z0-9.+!_-]+)$/.test(spec);
}

function requirementName(req: string): string {
  return (/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(req)?.[0] ?? req).toLowerCase().replace(/[-_.]+/g, '-');
}

interface RequirementScan {
  /** Requirements (not constraints) that are not pinned to one version, by themselves or by a constraint. */
  unpinned: string[];
}

/**
 * Reads requirement files (and the files they -r/-c include, relative to the including file), refusing what
 * would make the install read the project. `constraints` are files given as constraints (-c, PIP_CONSTRAINT).
 */
function requirementFiles(env: Env, start: string[], constraints: string[], files: string[]): RequirementScan {
  const queue: { rel: string; constraint: boolean }[] = [...start.map((rel) => ({ rel, constraint: false })), ...constraints.map((rel) => ({ rel, constraint: true }))];
  const loose: string[] = [];
  const pinnedByConstraint = new Set<string>();
  const seen = new Set<string>();
  while (queue.length) {
    const { rel, constraint } = queue.shift()!;
    if (seen.has(`${constraint}:${rel}`)) continue;
    seen.add(`${constraint}:${rel}`);
    env.ctx.require(rel);
    if (!files.includes(rel)) files.push(rel);
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const text = (env.ctx.read(rel) ?? '').replace(/\\\r?\n/g, ' ');
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (!line) continue;
      const inc = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=^-[rc]))(\S+)$/.exec(line);
      if (inc) {
        const target = inc[2]!;
        if (target.includes('$') || URL_REQ.test(target)) throw new Refuse(`${rel} includes "${target}", which this transform cannot resolve`);
        const included = cleanPath(dir ? `${dir}/${target}` : target);
        if (included.startsWith('..') || included.startsWith('/')) throw new Refuse(`${rel} includes ${target}, outside the build context`);
        queue.push({ rel: included, constraint: constraint || /^(-c|--constraint)$/.test(inc[1]!) });
        continue;
      }
      if (/^(-e|--editable)\b/.test(line)) throw new Refuse(`${rel} has an editable requirement ("${line}"), which installs from a path or checkout in the project`);
      if (/^(-f|--find-links)\b/.test(line)) {
        const target = line.replace(/^(-f|--find-links)\s*=?\s*/, '');
        if (!URL_REQ.test(target)) throw new Refuse(`${rel} finds packages in a local directory ("${line}")`);
        continue;
      }
      if (line.startsWith('-')) {
        if (REQ_FILE_OPTS.test(line)) continue;
        throw new Refuse(`${rel} has the option "${line}", which this transform does not know to be safe`);
      }
      const req = line.replace(/\s+--hash[= ]\S+/g, '').trim();
      if (!(NAMED_REQ.test(req) || NAME_AT_URL.test(req) || (URL_REQ.test(req) && !req.includes('${')))) {
        throw new Refuse(`${rel} names a local path or a requirement this transform cannot read ("${line}")`);
      }
      if (constraint && exactPin(req)) pinnedByConstraint.add(requirementName(req));
      else if (!constraint && !exactPin(req)) loose.push(req);
    }
  }
  return { unpinned: loose.filter((r) => !pinnedByConstraint.has(requirementName(r))) };
}

/** pip and uv read options from the environment too (PIP_CONSTRAINT=constraints.txt, …). */
const ENV_CONSTRAINTS = ['PIP_CONSTRAINT', 'UV_CONSTRAINT', 'UV_OVERRIDE'];
const ENV_REQUIREMENTS = ['PIP_REQUIREMENT'];
const ENV_LOCAL = ['PIP_EDITABLE', 'PIP_FIND_LINKS', 'PIP_SRC', 'PIP_TARGET', 'PIP_PREFIX', 'PIP_ROOT', 'PIP_CONFIG_FILE', 'UV_FIND_LINKS', 'UV_CONFIG_FILE'];

/** Files named by environment variables: those inside the project are read by the install. */
function envPaths(env: Env, cmd: InstallCommand, names: string[]): { name: string; rel: string }[] {
  const out: { name: string; rel: string }[] = [];
  for (const name of names) {
    const value = env.setting(cmd, name);
    if (value === undefined) continue;
    for (const part of value.trim().split(/\s+/).filter(Boolean)) {
      if (URL_REQ.test(part)) continue;
      const rel = env.inProject(part);
      if (rel !== undefined) out.push({ name, rel });
    }
  }
  return out;
}

export const pip: Ecosystem = {
  name: 'pip',
  primary: ['requirements*.txt', 'requirements/*.txt'],
  hint: /\bpip3?\s+install\b/,
  identify(cmd) {
    const at = python(cmd, 'pip', ['install']);
    if (!at) return false;
    // Only installs that read requirement files or the project: `pip install gunicorn` is a tool install.
    return cmd.argv.slice(at.at).some((a) => a === undefined || /^(-r|--requirement|-e|--editable)/.test(a) || isLocalPath(a));
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'pip install');
    const at = python(cmd, 'pip', ['install'])!.at;
    const args = parseArgs(argv.slice(at), PIP_OPTS, 'pip install');
    for (const opt of ['--prefix', '-t', '--target', '--root']) {
      for (const v of args.options.get(opt) ?? []) if (!v.startsWith('/') || env.inProject(v) !== undefined) throw new Refuse(`pip install ${opt} ${v} writes inside the project`);
    }
    for (const v of [...(args.options.get('-f') ?? []), ...(args.options.get('--find-links') ?? [])]) {
      if (!URL_REQ.test(v)) throw new Refuse(`pip install --find-links ${v} reads a local directory`);
    }
    const local = envPaths(env, cmd, ENV_LOCAL)[0];
    if (local) throw new Refuse(`${local.name} points into the project (${local.rel}), which the install reads or writes`);
    const reqs = [...(args.options.get('-r') ?? []), ...(args.options.get('--requirement') ?? [])].map((r) => env.rel(r, 'pip requirements file'));
    const constraints = [...(args.options.get('-c') ?? []), ...(args.options.get('--constraint') ?? [])].map((r) => env.rel(r, 'pip constraints file'));
    reqs.push(...envPaths(env, cmd, ENV_REQUIREMENTS).map((p) => p.rel));
    constraints.push(...envPaths(env, cmd, ENV_CONSTRAINTS).map((p) => p.rel));
    const project = [...(args.options.get('-e') ?? []), ...(args.options.get('--editable') ?? [])];
    const named: string[] = [];
    const drop = optionWordIndexes(args, ['-e', '--editable'], at);
    args.positionals.forEach((p, k) => {
      if (isLocalPath(p)) {
        project.push(p);
        drop.add(args.positionalIndexes[k]! + at);
      } else if (!NAMED_REQ.test(p) && !NAME_AT_URL.test(p) && !URL_REQ.test(p)) throw new Refuse(`pip install argument "${p}" is not a package name or remote URL`);
      else named.push(p);
    });
    if (project.some((p) => !isLocalPath(p))) throw new Refuse('pip install -e of a remote checkout writes into the project');
    if (reqs.length === 0) throw new Refuse(`pip install ${project.join(' ')} installs the project and pip has no dependency-only form for it; list the dependencies in a requirements file`);
    const files: string[] = [];
    const scan = requirementFiles(env, reqs, constraints, files);
    optional(env, files, '.python-version');
    const outputs = programOutputs(cmd, env);
    if (args.options.has('--user')) outputs.push('.local/');
    env.ctx.checkOutputs(outputs, 'pip install');
    if (project.length === 0) return { ecosystem: 'pip', mode: 'move', files, dirs: [] };
    // Installing the requirements first and the project after is one resolution more than the original: pip keeps
    // what the first one chose unless the project forbids it, and never removes what a replaced version needed.
    // With every requirement pinned, both orders end with the same set.
    const unpinned = [...scan.unpinned, ...named.filter((n) => !exactPin(n))];
    if (unpinned.length) {
      throw new Refuse(`pip install installs the project together with requirements that are not pinned to one version (${unpinned.slice(0, 3).join(', ')}${unpinned.length > 3 ? ', …' : ''}); installing them first could end with other versions or extra packages than one combined install`);
    }
    return { ecosystem: 'pip', mode: 'variant', variant: variantOf(cmd, drop, []), files, dirs: [] };
  },
};

// --- Poetry ----------------------------------------------------------------------------------------

const POETRY_OPTS: OptionSpec = {
  '--no-root': 'flag',
  '--only': 'value',
  '--without': 'value',
  '--with': 'value',
  '--no-dev': 'flag',
  '--no-interaction': 'flag',
  '-n': 'flag',
  '--no-ansi': 'flag',
  '--ansi': 'flag',
  '--sync': 'flag',
  '-E': 'value',
  '--extras': 'value',
  '--all-extras': 'flag',
  '--all-groups': 'flag',
  '--no-directory': 'flag',
  '--compile': 'flag',
  '-v': 'flag',
  '-vv': 'flag',
  '-vvv': 'flag',
  '--verbose': 'flag',
  '-q': 'flag',
  '--quiet': 'flag',
  '--no-cache': 'flag',
  '--no-plugins': 'flag',
};

/** Tables of a pyproject.toml or Pipfile whose `path = …` / `file = …` keys name dependencies. */
function isDependencyTable(rel: string, header: string): boolean {
  const h = header.replace(/["'\s]/g, '');
  if (rel === 'Pipfile') return !['source', 'requires', 'scripts', 'pipenv'].includes(h);
  return /^tool\.poetry\.((dev-)?dependencies|group\.[^.]+\.dependencies)$/.test(h) || /^tool\.uv\.sources(\.|$)/.test(h);
}

/**
 * Local-path dependencies in a pyproject.toml / Pipfile, which only the sources can satisfy: `path = "…"` and
 * `file = "…"` in dependency tables (Poetry, `[tool.uv.sources]`, Pipfile categories), PEP 508 direct references
 * to local paths (`name @ file:///…`, `name @ ./…`) anywhere, and uv indexes in local directories. Keys of other
 * tables (`[tool.hatch.version] path`, `[tool.setuptools.dynamic] version = { file = … }`, `license = { file = … }`)
 * are not dependencies.
 */
function refuseLocalPaths(env: Env, rel: string): string {
  const text = env.ctx.read(rel) ?? '';
  let header = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const h = /^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (h) {
      header = h[1]!;
      continue;
    }
    const direct = /["']\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@\s*(file:|\.{0,2}\/)/.exec(line);
    const key = line.slice(0, Math.max(0, line.indexOf('='))).trim();
    const dependencyLine = isDependencyTable(rel, header) || (header === '' && /sources|dependencies/.test(key));
    const pathKey = dependencyLine ? /(^|[{,\s])(path|file)\s*=\s*["'](?!https?:)([^"']*)["']/.exec(line) : null;
    const localIndex = /^tool\.uv\.index$/.test(header.replace(/["'\s]/g, '')) && /^url\s*=\s*["'](?!https?:)/.exec(line);
    const m = direct ?? pathKey ?? localIndex;
    if (m) throw new Refuse(`${rel} depends on a local path (${line.trim().slice(0, 80)})`);
  }
  return text;
}

/** `dynamic = [...]` fields of [project] (PEP 621), e.g. version or dependencies computed by the build backend. */
function dynamicFields(text: string): string[] {
  const m = /^\s*dynamic\s*=\s*\[([^\]]*)\]/m.exec(text);
  return m ? [...m[1]!.matchAll(/["']([^"']+)["']/g)].map((x) => x[1]!) : [];
}

export const poetry: Ecosystem = {
  name: 'Poetry',
  primary: ['pyproject.toml', 'poetry.lock'],
  hint: /\bpoetry\s+install\b/,
  identify: (cmd) => !!python(cmd, 'poetry', ['install']),
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'poetry install');
    const at = python(cmd, 'poetry', ['install'])!.at;
    const args = parseArgs(argv.slice(at), POETRY_OPTS, 'poetry install');
    if (args.positionals.length) throw new Refuse('poetry install with arguments is not understood');
    const files = [env.ctx.require('pyproject.toml')];
    const text = refuseLocalPaths(env, 'pyproject.toml');
    optional(env, files, 'poetry.lock', 'poetry.toml', '.python-version');
    // Poetry uses a .venv it finds in the project, so one in the context changes what the install does.
    env.ctx.checkOutputs(['.venv/', ...programOutputs(cmd, env)], 'poetry install');
    const packageMode = !/^\s*package-mode\s*=\s*false\b/m.test(text);
    if (args.options.has('--no-root') || !packageMode) return { ecosystem: 'Poetry', mode: 'move', files, dirs: [] };
    return { ecosystem: 'Poetry', mode: 'variant', variant: variantOf(cmd, new Set(), ['--no-root']), files, dirs: [] };
  },
};

// --- uv --------------------------------------------------------------------------------------------

const UV_OPTS: OptionSpec = {
  '--frozen': 'flag',
  '--locked': 'flag',
  '--no-dev': 'flag',
  '--only-dev': 'flag',
  '--no-default-groups': 'flag',
  '--no-install-project': 'flag',
  '--no-install-workspace': 'flag',
  '--no-editable': 'flag',
  '--extra': 'value',
  '--all-extras': 'flag',
  '--group': 'value',
  '--only-group': 'value',
  '--no-group': 'value',
  '--all-groups': 'flag',
  '--compile-bytecode': 'flag',
  '--python': 'value',
  '-p': 'value',
  '--no-cache': 'flag',
  '--link-mode': 'value',
  '--inexact': 'flag',
  '--exact': 'flag',
  '-q': 'flag',
  '--quiet': 'flag',
  '-v': 'flag',
  '--verbose': 'flag',
  '--no-progress': 'flag',
  '--python-preference': 'value',
  '--index-url': 'value',
  '--extra-index-url': 'value',
  '--index': 'value',
  '--default-index': 'value',
  '--offline': 'flag',
  '--refresh': 'flag',
  '--no-build-isolation': 'flag',
  '--no-sources': 'flag',
};

export const uv: Ecosystem = {
  name: 'uv',
  primary: ['pyproject.toml', 'uv.lock'],
  hint: /\buv\s+sync\b/,
  identify: (cmd) => toolOf(cmd) === 'uv' && cmd.argv[1] === 'sync',
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'uv sync');
    const args = parseArgs(argv.slice(2), UV_OPTS, 'uv sync');
    if (args.positionals.length) throw new Refuse('uv sync with arguments is not understood');
    const files = [env.ctx.require('pyproject.toml')];
    const text = env.ctx.read('pyproject.toml') ?? '';
    if (/^\s*\[tool\.uv\.workspace\]/m.test(text)) throw new Refuse('pyproject.toml declares a uv workspace; its members are not copied first');
    const dynamic = dynamicFields(text);
    const frozen = args.options.has('--frozen');
    if (dynamic.length && !env.ctx.has('uv.lock')) throw new Refuse(`pyproject.toml declares dynamic metadata (${dynamic.join(', ')}); without uv.lock, uv resolves it by building the project, which needs the sources`);
    // uv needs the build backend (and so the sources) for a dynamic version under --no-sources (astral-sh/uv#15193).
    if (dynamic.length && args.options.has('--no-sources')) throw new Refuse(`uv sync --no-sources builds the project to read its dynamic ${dynamic.join(', ')}, which needs the sources`);
    if (!args.options.has('--no-sources')) refuseLocalPaths(env, 'pyproject.toml');
    optional(env, files, 'uv.lock', 'uv.toml', '.python-version');
    const venv = env.setting(cmd, 'UV_PROJECT_ENVIRONMENT');
    const outputs = ['.venv/'];
    if (venv !== undefined) {
      if (venv.includes('$')) throw new Refuse(`UV_PROJECT_ENVIRONMENT=${venv} is not resolved`);
      const inside = venv.startsWith('/') ? env.inProject(venv) : cleanPath(venv);
      if (inside !== undefined) outputs.push(inside + '/');
    }
    env.ctx.checkOutputs(outputs, 'uv sync');
    if (args.options.has('--no-install-project')) {
      if (dynamic.length && !frozen) throw new Refuse(`pyproject.toml declares dynamic metadata (${dynamic.join(', ')}), and uv sync without --frozen may build the project to check uv.lock, which needs the sources`);
      return { ecosystem: 'uv', mode: 'move', files, dirs: [] };
    }
    if (args.options.has('--inexact') && !frozen) throw new Refuse('uv sync --inexact keeps whatever a dependency-only sync installed first, even where it re-locks to other versions');
    // The variant installs what uv.lock says: --frozen never re-locks, so it needs nothing but pyproject.toml and
    // uv.lock; the original, kept after the copy, still checks the lock (--locked) or re-locks as before. --locked
    // stays (uv's documented form) unless the project has dynamic metadata, which uv may build the project to check.
    const drop = new Set<number>();
    const append = ['--no-install-project'];
    if (!frozen && env.ctx.has('uv.lock') && (dynamic.length || !args.options.has('--locked'))) {
      for (const i of optionWordIndexes(args, ['--locked'], 2)) drop.add(i);
      append.push('--frozen');
    }
    return { ecosystem: 'uv', mode: 'variant', variant: variantOf(cmd, drop, append), files, dirs: [] };
  },
};

// --- Pipenv ----------------------------------------------------------------------------------------

const PIPENV_OPTS: OptionSpec = {
  '--system': 'flag',
  '--deploy': 'flag',
  '--ignore-pipfile': 'flag',
  '--dev': 'flag',
  '-d': 'flag',
  '--categories': 'value',
  '--clear': 'flag',
  '--verbose': 'flag',
  '-v': 'flag',
  '--quiet': 'flag',
  '-q': 'flag',
  '--python': 'value',
  '--site-packages': 'flag',
  '--skip-lock': 'flag',
};

export const pipenv: Ecosystem = {
  name: 'Pipenv',
  primary: ['Pipfile', 'Pipfile.lock'],
  hint: /\bpipenv\s+(install|sync)\b/,
  identify(cmd) {
    const at = python(cmd, 'pipenv', ['install', 'sync']);
    // `pipenv install requests` adds a package to the Pipfile: not the project's install.
    return !!at && cmd.argv.slice(at.at).every((a) => a !== undefined && a.startsWith('-'));
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'pipenv');
    const at = python(cmd, 'pipenv', ['install', 'sync'])!;
    const args = parseArgs(argv.slice(at.at), PIPENV_OPTS, `pipenv ${at.sub}`);
    if (args.positionals.length) throw new Refuse(`pipenv ${at.sub} with package arguments changes the Pipfile`);
    const files = [env.ctx.require('Pipfile')];
    refuseLocalPaths(env, 'Pipfile');
    // Pipenv loads the project's .env into its environment before every command (pipenv/cli/command.py), so
    // PIP_INDEX_URL, PIPENV_VENV_IN_PROJECT, … from it change the install.
    if (!/^(1|true|yes|on)$/i.test(env.setting(cmd, 'PIPENV_DONT_LOAD_ENV') ?? '')) {
      const location = env.setting(cmd, 'PIPENV_DOTENV_LOCATION');
      const dotenv = location === undefined ? '.env' : env.inProject(location);
      if (dotenv !== undefined && env.ctx.has(dotenv)) throw new Refuse(`pipenv ${at.sub} loads ${dotenv} from the build context into its environment (it may set PIP_INDEX_URL, PIPENV_* …); set PIPENV_DONT_LOAD_ENV=1 or exclude ${dotenv} in .dockerignore`);
    }
    optional(env, files, 'Pipfile.lock', '.python-version');
    const readsLockOnly = at.sub === 'sync' || ['--deploy', '--ignore-pipfile', '--skip-lock'].some((o) => args.options.has(o));
    if (!readsLockOnly && env.ctx.has('Pipfile.lock')) throw new Refuse(`pipenv ${at.sub} may re-lock and rewrite Pipfile.lock, and the whole copy afterwards would put the old one back (use --deploy or pipenv sync)`);
    env.ctx.checkOutputs(['.venv/', ...programOutputs(cmd, env)], `pipenv ${at.sub}`);
    return { ecosystem: 'Pipenv', mode: 'move', files, dirs: [] } satisfies Plan;
  },
};

export const PYTHON: Ecosystem[] = [pip, poetry, uv, pipenv];

/** Set-up that a Python install typically needs (a virtualenv), for the refusal message. */
export function pythonSetupHint(cmd: InstallCommand): string | undefined {
  const t = toolOf(cmd);
  if (t === 'virtualenv' || (t === 'uv' && cmd.argv[1] === 'venv')) return 'a virtualenv created there';
  if (t !== undefined && /^python(\d+(\.\d+)?)?$/.test(t) && cmd.argv[1] === '-m' && (cmd.argv[2] === 'venv' || cmd.argv[2] === 'virtualenv')) return 'a virtualenv created there';
  return undefined;
}
