// .NET (NuGet restore). Restore evaluates the project files and the MSBuild files they import, never the
// sources, so every project, solution and build-configuration file is copied first in its own directory
// (project references resolve by relative path) and `dotnet restore` runs before the rest of the tree arrives.

import { type Ecosystem, type Env, Refuse, toolOf, type VariantWord } from './types.js';

const BUILD_FILE = /(^|\/)([^/]+\.(csproj|fsproj|vbproj|sln|slnx|props|targets)|nuget\.config|global\.json|packages\.lock\.json|Directory\.Build\.rsp)$/i;
const PROJECT = /\.(csproj|fsproj|vbproj|sln|slnx)$/i;
const BUILDS = new Set(['build', 'publish', 'test', 'pack', 'run']);
const CARRY = new Set(['--use-current-runtime', '--ucr', '--disable-parallel', '--locked-mode', '--no-cache', '--no-dependencies', '--force-evaluate']);
const CARRY_VALUE = new Set(['-r', '--runtime', '-a', '--arch', '--os', '-s', '--source', '-v', '--verbosity', '--configfile', '--packages', '--lock-file-path']);
const DROP = new Set(['--self-contained', '--sc', '--no-self-contained', '--nologo', '--no-build', '--force', '--no-incremental', '--interactive', '-bl']);
const DROP_VALUE = new Set(['-c', '--configuration', '-o', '--output', '-f', '--framework', '--version-suffix', '-t', '--target', '--logger', '-l', '--filter', '--results-directory', '--collect', '--settings', '--launch-profile']);

/**
 * A reference to an MSBuild file that is copied first (every .props/.targets in the context is) or lies outside
 * the context (the same in both orders): a path ending in .props/.targets, or the documented multi-level form
 * `$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))`.
 */
function isBuildFileRef(path: string): boolean {
  return /\.(props|targets)$/i.test(path) || /^\$\(\[MSBuild\]::GetPathOfFileAbove\(\s*'?[\w.-]+\.(props|targets)'?\s*(,.*)?\)\)$/i.test(path);
}

function checkFile(env: Env, rel: string): void {
  const text = env.ctx.read(rel) ?? '';
  if (/\.(sln|slnx|json)$/i.test(rel) || /packages\.lock\.json$/i.test(rel)) return;
  for (const m of text.matchAll(/<Import\b[^>]*\bProject\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
    const target = (m[1] ?? m[2]!).trim();
    if (/^\$\(MSBuild(Extensions|Sdks|ToolsPath|BinPath)/i.test(target) || /^Sdk\.(props|targets)$/i.test(target)) continue;
    if (!isBuildFileRef(target)) throw new Refuse(`${rel} imports ${target}, which is not copied first`);
  }
  for (const m of text.matchAll(/Exists\(\s*'([^']*)'\s*\)/gi)) {
    if (!/\.(csproj|fsproj|vbproj|json|config)$/i.test(m[1]!) && !isBuildFileRef(m[1]!)) throw new Refuse(`${rel} has a condition on ${m[1]} existing, which may be a source file`);
  }
  if (/nuget\.config$/i.test(rel)) {
    for (const m of text.matchAll(/<add\b[^>]*\bvalue\s*=\s*["']([^"']+)["']/gi)) {
      const v = m[1]!;
      if (/^https?:/i.test(v) || !/[/\\]/.test(v)) continue;
      if (/<packageSources>[\s\S]*<\/packageSources>/i.test(text) && text.indexOf(m[0]) > text.search(/<packageSources>/i) && text.indexOf(m[0]) < text.search(/<\/packageSources>/i)) {
        throw new Refuse(`${rel} has a local package source (${v})`);
      }
    }
  }
  if (/<RestoreSources>[^<]*(\.\/|\.\.\/|[A-Za-z]:\\|^\/)/i.test(text)) throw new Refuse(`${rel} restores from a local directory`);
  // Where restore puts the packages: inside the project, the whole copy afterwards would merge the context over them.
  const packages = /<RestorePackagesPath>\s*([^<\s]+)\s*</i.exec(text)?.[1] ?? /<add\b[^>]*\bkey\s*=\s*["']globalPackagesFolder["'][^>]*\bvalue\s*=\s*["']([^"']+)["']/i.exec(text)?.[1];
  if (packages !== undefined && !packages.startsWith('/') && !packages.startsWith('$(NuGet') && !/^\$\((UserProfile|HOME)\)/i.test(packages)) throw new Refuse(`${rel} puts the NuGet packages at ${packages}, inside the project`);
}

export const dotnet: Ecosystem = {
  name: '.NET',
  primary: ['*.csproj', '*.fsproj', '*.vbproj', '*.sln', '*.slnx'],
  hint: /\bdotnet\s+(restore|build|publish|test|pack|run)\b/,
  identify(cmd) {
    if (toolOf(cmd) !== 'dotnet') return false;
    const sub = cmd.argv[1];
    if (sub === 'restore') return true;
    // A build with --no-restore restores elsewhere (the restore before it is the install).
    return sub !== undefined && BUILDS.has(sub) && !cmd.argv.includes('--no-restore');
  },
  plan(cmd, env) {
    const sub = cmd.argv[1]!;
    const carried: VariantWord[] = [];
    let target: string | undefined;
    for (let i = 2; i < cmd.argv.length; i++) {
      const a = cmd.argv[i];
      const w = cmd.words[i]!;
      if (a === undefined) {
        const prev = cmd.argv[i - 1];
        if (prev !== undefined && (DROP_VALUE.has(prev) || CARRY_VALUE.has(prev))) continue; // a variable option value: handled with its option
        if (/^["']?[-/]p(roperty)?:/.test(w.raw)) {
          carried.push(w);
          continue;
        }
        throw new Refuse(`dotnet ${sub} uses a variable in its arguments (variables in paths are not resolved)`);
      }
      if (!a.startsWith('-') && !a.startsWith('/p:')) {
        if (target !== undefined) throw new Refuse(`dotnet ${sub} has more than one project argument`);
        if (a.startsWith('/') || a.includes('$')) throw new Refuse(`dotnet ${sub} ${a}: an absolute or variable project path is not followed`);
        target = a;
        continue;
      }
      if (/^([-/]p|--property):/.test(a)) {
        carried.push(w);
        continue;
      }
      if (CARRY.has(a)) {
        carried.push(w);
        continue;
      }
      if (DROP.has(a)) continue;
      const eq = a.indexOf('=');
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      const inline = name !== a;
      if (CARRY_VALUE.has(name) || DROP_VALUE.has(name)) {
        if (!inline && i + 1 >= cmd.argv.length) throw new Refuse(`dotnet ${a} needs a value`);
        if (name === '--configfile' || name === '--packages' || name === '--lock-file-path') {
          const value = inline ? a.slice(eq + 1) : cmd.argv[i + 1];
          if (value === undefined || env.inProject(value) !== undefined) throw new Refuse(`dotnet ${name} points into the project`);
        }
        if (CARRY_VALUE.has(name)) {
          carried.push(w);
          if (!inline) carried.push(cmd.words[i + 1]!);
        }
        if (!inline) i++;
        continue;
      }
      throw new Refuse(`dotnet ${sub} option ${a} is not one this transform knows to be safe`);
    }
    const all = env.ctx.list((f) => BUILD_FILE.test(f));
    const buildDirs = env.ctx.nestedDirs(['obj', 'bin']);
    const files = all.filter((f) => !buildDirs.some((o) => f.startsWith(o)));
    if (!files.some((f) => PROJECT.test(f))) throw new Refuse('no project or solution file in the build context');
    if (target !== undefined) {
      const rel = env.rel(target, `dotnet ${sub} project`);
      if (!files.includes(rel) && !files.some((f) => f.startsWith(rel.replace(/\/$/, '') + '/') && PROJECT.test(f))) throw new Refuse(`dotnet ${sub} ${target}: no such project in the build context`);
    }
    for (const f of files) checkFile(env, f);
    // Restore writes obj/ (project.assets.json, *.nuget.g.props): a stale obj/ from the context, copied over it,
    // would be what the build reads. bin/ is the build's output, which restore neither reads nor writes.
    env.ctx.checkOutputs(buildDirs.filter((d) => /(^|\/)obj\/$/.test(d)), 'dotnet restore');
    if (sub === 'restore') return { ecosystem: '.NET', mode: 'move', files, dirs: [] };
    const variant: VariantWord[] = [...cmd.assigns.filter((w) => /^(NUGET_|DOTNET_)/.test(w.raw)), cmd.words[0]!, 'restore'];
    if (target !== undefined) variant.push(cmd.words[cmd.argv.indexOf(target)]!);
    variant.push(...carried);
    return { ecosystem: '.NET', mode: 'variant', variant, files, dirs: [] };
  },
};

export const DOTNET: Ecosystem[] = [dotnet];
