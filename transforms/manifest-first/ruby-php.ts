// Bundler and Composer.

import { cleanPath } from './context.js';
import { type Ecosystem, type OptionSpec, Refuse, optional, optionWordIndexes, parseArgs, readJson, requireLiteral, toolOf, variantOf } from './types.js';

// --- Bundler ---------------------------------------------------------------------------------------

const BUNDLE_OPTS: OptionSpec = {
  '--jobs': 'value',
  '-j': 'value',
  '--retry': 'value',
  '--deployment': 'flag',
  '--frozen': 'flag',
  '--without': 'value',
  '--with': 'value',
  '--path': 'value',
  '--quiet': 'flag',
  '--no-cache': 'flag',
  '--local': 'flag',
  '--prefer-local': 'flag',
  '--full-index': 'flag',
  '--redownload': 'flag',
  '--force': 'flag',
  '--verbose': 'flag',
  '--no-prune': 'flag',
  '--clean': 'flag',
  '--system': 'flag',
};
/** Flags Bundler remembers in .bundle/config (in the app directory unless BUNDLE_APP_CONFIG moves it). */
const REMEMBERED = ['--deployment', '--frozen', '--without', '--with', '--path', '--clean', '--system', '--no-cache', '--no-prune'];
const TRUE = /^(true|1|yes)$/i;

export const bundler: Ecosystem = {
  name: 'Bundler',
  primary: ['Gemfile', 'Gemfile.lock', 'gems.rb'],
  hint: /\bbundle(r)?\s+install\b/,
  identify(cmd) {
    const t = toolOf(cmd);
    if (t !== 'bundle' && t !== 'bundler') return false;
    const sub = cmd.argv[1];
    return sub === 'install' || sub === undefined || (sub.startsWith('-') && !['-v', '--version', '-h', '--help'].includes(sub));
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'bundle install');
    const args = parseArgs(argv.slice(argv[1] === 'install' ? 2 : 1), BUNDLE_OPTS, 'bundle install');
    if (args.positionals.length) throw new Refuse('bundle install with arguments is not understood');
    if (env.ctx.isFile('gems.rb')) throw new Refuse('gems.rb/gems.locked are not followed by this transform');
    // Settings of the app's .bundle/config (which Bundler prefers to the environment, unless BUNDLE_APP_CONFIG moves
    // it, as the official ruby images do). They are only used to refuse more, never to allow a move.
    const localConfig = new Map<string, string>();
    for (const m of (env.ctx.read('.bundle/config') ?? '').matchAll(/^(BUNDLE_[A-Z_]+):\s*["']?([^"'\r\n]*)["']?\s*$/gm)) localConfig.set(m[1]!, m[2]!);
    for (const gemfile of [env.setting(cmd, 'BUNDLE_GEMFILE'), localConfig.get('BUNDLE_GEMFILE')]) {
      if (gemfile !== undefined && (gemfile.includes('$') || env.inProject(gemfile) !== 'Gemfile')) throw new Refuse(`BUNDLE_GEMFILE=${gemfile} makes Bundler read another Gemfile`);
    }
    const files = [env.ctx.require('Gemfile')];
    const gemfile = env.ctx.read('Gemfile') ?? '';
    const code = gemfile.replace(/^\s*#.*$/gm, '');
    if (/^\s*gemspec\b/m.test(code)) throw new Refuse('the Gemfile uses gemspec, which reads the project sources');
    const local = /\bpath\s*(:|=>)|^\s*path\s*[("']|\bgit\s*(:|=>)\s*["'](?!https?:|git@|ssh:|git:)/m.exec(code);
    if (local) throw new Refuse(`the Gemfile installs a gem from a local path ("${local[0].trim()}")`);
    const reads = /\b(eval_gemfile|require_relative|File\.|IO\.|Dir\.|Dir\[|Pathname|YAML|JSON|ERB|load\s|open\(|__dir__|__FILE__)|\.(read|readlines|load_file)\b|^\s*require\s*[("']/m.exec(code);
    if (reads) throw new Refuse(`the Gemfile runs code that reads project files ("${reads[0].trim()}")`);
    for (const m of code.matchAll(/\bfile:\s*["']([^"']+)["']/g)) {
      const f = cleanPath(m[1]!);
      if (f.startsWith('..') || f.startsWith('/')) throw new Refuse(`the Gemfile reads ${m[1]}, outside the build context`);
      files.push(env.ctx.require(f));
    }
    // rbenv shims pick the Ruby from .ruby-version in the working directory.
    optional(env, files, 'Gemfile.lock', '.ruby-version');
    const setting = (name: string) => TRUE.test(env.setting(cmd, name) ?? '');
    const frozen = args.options.has('--frozen') || args.options.has('--deployment') || setting('BUNDLE_FROZEN') || setting('BUNDLE_DEPLOYMENT');
    if (!frozen && env.ctx.has('Gemfile.lock')) {
      throw new Refuse('bundle install may rewrite Gemfile.lock (for instance to add the build platform), and the whole copy afterwards would put the old one back (use --frozen or BUNDLE_FROZEN=true)');
    }
    const outputs: string[] = [];
    const appConfig = env.setting(cmd, 'BUNDLE_APP_CONFIG');
    if (env.ctx.filesUnder('.bundle').length && appConfig === undefined) {
      const remembered = REMEMBERED.filter((o) => args.options.has(o));
      if (remembered.length) throw new Refuse(`bundle install ${remembered.join(' ')} writes .bundle/config, which the build context also has; the whole copy afterwards would overwrite it`);
      optional(env, files, '.bundle/config');
    }
    const paths = [...(args.options.get('--path') ?? [])];
    for (const bundlePath of [env.setting(cmd, 'BUNDLE_PATH'), localConfig.get('BUNDLE_PATH')]) if (bundlePath !== undefined) paths.push(bundlePath);
    if (args.options.has('--deployment') || setting('BUNDLE_DEPLOYMENT') || TRUE.test(localConfig.get('BUNDLE_DEPLOYMENT') ?? '')) paths.push('vendor/bundle');
    for (const p of paths) {
      if (p.includes('$')) throw new Refuse(`bundle path ${p} is not resolved`);
      const rel = env.inProject(p);
      if (rel !== undefined) outputs.push(rel + '/');
    }
    env.ctx.checkOutputs(outputs, 'bundle install');
    return { ecosystem: 'Bundler', mode: 'move', files, dirs: [] };
  },
};

// --- Composer --------------------------------------------------------------------------------------

const COMPOSER_OPTS: OptionSpec = {
  '--no-dev': 'flag',
  '--no-interaction': 'flag',
  '-n': 'flag',
  '--prefer-dist': 'flag',
  '--prefer-install': 'value',
  '--optimize-autoloader': 'flag',
  '-o': 'flag',
  '--classmap-authoritative': 'flag',
  '-a': 'flag',
  '--apcu-autoloader': 'flag',
  '--no-scripts': 'flag',
  '--no-autoloader': 'flag',
  '--no-progress': 'flag',
  '--ignore-platform-reqs': 'flag',
  '--ignore-platform-req': 'value',
  '--no-plugins': 'flag',
  '-q': 'flag',
  '--quiet': 'flag',
  '--no-ansi': 'flag',
  '--ansi': 'flag',
  '--audit': 'flag',
  '--no-audit': 'flag',
  '-v': 'flag',
  '-vv': 'flag',
  '-vvv': 'flag',
  '--no-cache': 'flag',
};
const AUTOLOADER_OPTS = ['-o', '--optimize-autoloader', '-a', '--classmap-authoritative', '--apcu-autoloader'];

function isComposer(argv: (string | undefined)[]): number {
  const a0 = argv[0];
  if (a0 === undefined) return -1;
  const t = a0.slice(a0.lastIndexOf('/') + 1);
  if (t === 'composer' || t === 'composer.phar') return 1;
  if (/^php(\d+(\.\d+)?)?$/.test(t) && /(^|\/)composer(\.phar)?$/.test(argv[1] ?? '')) return 2;
  return -1;
}

export const composer: Ecosystem = {
  name: 'Composer',
  primary: ['composer.json', 'composer.lock'],
  hint: /\bcomposer(\.phar)?\s+(install|i)\b/,
  identify(cmd) {
    const at = isComposer(cmd.argv);
    return at > 0 && (cmd.argv[at] === 'install' || cmd.argv[at] === 'i');
  },
  plan(cmd, env) {
    const argv = requireLiteral(cmd, 'composer install');
    const at = isComposer(argv) + 1;
    const args = parseArgs(argv.slice(at), COMPOSER_OPTS, 'composer install');
    if (args.positionals.length) throw new Refuse('composer install with arguments is not understood');
    const files = [env.ctx.require('composer.json')];
    const json = readJson(env, 'composer.json');
    const repos = json.repositories;
    for (const r of Array.isArray(repos) ? repos : repos && typeof repos === 'object' ? Object.values(repos) : []) {
      const type = (r as Record<string, unknown>)?.type;
      const url = String((r as Record<string, unknown>)?.url ?? '');
      if (type === 'path' || type === 'artifact' || /^(\.|\/|file:)/.test(url)) throw new Refuse(`composer.json has a ${String(type)} repository at ${url}, in the project`);
    }
    const extra = (json.extra ?? {}) as Record<string, unknown>;
    if (extra['installer-paths']) throw new Refuse('composer.json sets extra.installer-paths: packages install into project directories');
    // Plugins that read project files while packages install: cweagans/composer-patches applies patch files as each
    // package installs (the original, run again after the copy, installs nothing and so patches nothing), and
    // wikimedia/composer-merge-plugin merges other composer.json files of the project.
    for (const key of ['patches', 'patches-file', 'merge-plugin']) {
      if (extra[key] !== undefined) throw new Refuse(`composer.json sets extra.${key}, which a plugin reads from the project while packages install`);
    }
    const alternate = env.setting(cmd, 'COMPOSER');
    if (alternate !== undefined && alternate !== 'composer.json') throw new Refuse(`COMPOSER=${alternate} makes Composer read another file than composer.json`);
    const config = (json.config ?? {}) as Record<string, unknown>;
    const vendor = typeof config['vendor-dir'] === 'string' ? (config['vendor-dir'] as string) : 'vendor';
    if (vendor.includes('$') || vendor.startsWith('/')) throw new Refuse(`composer vendor-dir ${vendor} is not followed`);
    // Symfony Flex reads symfony.lock to know which recipes are already installed.
    optional(env, files, 'composer.lock', 'auth.json', 'symfony.lock');
    if (extra['drupal-scaffold'] || JSON.stringify(json.require ?? {}).includes('drupal/core-composer-scaffold')) throw new Refuse('composer.json uses the Drupal scaffold plugin, which writes files into the project');
    // Package binaries go to config.bin-dir (vendor/bin by default): a project directory such as bin/ that the
    // context also fills would be merged over them by the whole copy.
    const binDir = typeof config['bin-dir'] === 'string' ? (config['bin-dir'] as string) : undefined;
    if (binDir !== undefined && (binDir.includes('$') || binDir.startsWith('/'))) throw new Refuse(`composer bin-dir ${binDir} is not followed`);
    env.ctx.checkOutputs([cleanPath(vendor) + '/', ...(binDir !== undefined ? [cleanPath(binDir) + '/'] : [])], 'composer install');
    const noScripts = args.options.has('--no-scripts');
    const noAutoloader = args.options.has('--no-autoloader');
    if (noScripts && noAutoloader) return { ecosystem: 'Composer', mode: 'move', files, dirs: [] };
    // The dependency-only variant: no project scripts, no autoloader (the original, kept after the copy,
    // generates the autoloader and runs the scripts with the sources in place).
    const drop = optionWordIndexes(args, AUTOLOADER_OPTS, at);
    const append = [...(noScripts ? [] : ['--no-scripts']), ...(noAutoloader ? [] : ['--no-autoloader'])];
    return { ecosystem: 'Composer', mode: 'variant', variant: variantOf(cmd, drop, append), files, dirs: [] };
  },
};

export const RUBY_PHP: Ecosystem[] = [bundler, composer];
