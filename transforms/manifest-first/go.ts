// Go modules. A `go build` (install, test, vet) after the whole copy, with no module download before it, gets
// `COPY go.mod go.sum` + `go mod download` above the copy; a `go mod download` after the copy moves up.

import { type Ecosystem, type InstallCommand, Refuse, toolOf, type VariantWord } from './types.js';

const BUILDS = new Set(['build', 'install', 'test', 'vet', 'run', 'generate']);
/** Environment that changes where and how modules are downloaded: carried onto the inserted download. */
const DOWNLOAD_ENV = /^(GOFLAGS|GOPROXY|GOPRIVATE|GONOPROXY|GONOSUMDB|GONOSUMCHECK|GOSUMDB|GOINSECURE|GOMODCACHE|GOPATH|GOTOOLCHAIN|GOWORK|GOVCS|GIT_TERMINAL_PROMPT|GO111MODULE)=/;

function modFlags(cmd: InstallCommand): void {
  for (let i = 2; i < cmd.argv.length; i++) {
    const a = cmd.argv[i];
    const text = a ?? cmd.words[i]!.raw;
    if (/^["']?--?mod(file)?(=|$)/.test(text)) {
      const value = a === undefined ? undefined : a.includes('=') ? a.slice(a.indexOf('=') + 1) : cmd.argv[i + 1];
      if (/modfile/.test(text)) throw new Refuse('go -modfile uses another go.mod');
      if (value === undefined) throw new Refuse('go -mod is set from a variable');
      if (value === 'vendor') throw new Refuse('go -mod=vendor builds from vendor/, not from downloaded modules');
    }
  }
}

function requiresOf(text: string): boolean {
  const noComments = text.replace(/\/\/.*$/gm, '');
  return /^\s*require\b/m.test(noComments);
}

export const go: Ecosystem = {
  name: 'Go',
  primary: ['go.mod', 'go.sum', 'go.*'],
  hint: /\bgo\s+(build|install|test|vet|run|generate|mod\s+download)\b/,
  identify(cmd) {
    if (toolOf(cmd) !== 'go') return false;
    const sub = cmd.argv[1];
    if (sub === 'mod') return cmd.argv[2] === 'download' && cmd.argv.length === 3 + cmd.argv.slice(3).filter((a) => a !== undefined && a.startsWith('-')).length;
    // `go install pkg@version` installs a tool from the module proxy, whatever the project.
    if (sub === 'install' && cmd.argv.some((a) => a === undefined || a.includes('@'))) return false;
    return sub !== undefined && BUILDS.has(sub);
  },
  plan(cmd, env) {
    const download = cmd.argv[1] === 'mod';
    modFlags(cmd);
    for (const name of ['GOFLAGS', 'GO111MODULE']) {
      const v = env.setting(cmd, name);
      if (v === undefined) continue;
      if (/-mod(=|\s+)vendor/.test(v)) throw new Refuse(`${name}=${v} builds from vendor/`);
      if (name === 'GO111MODULE' && v === 'off') throw new Refuse('GO111MODULE=off builds in GOPATH mode');
      if (/-modfile/.test(v)) throw new Refuse(`${name} uses another go.mod`);
    }
    if (!env.ctx.isFile('go.mod')) throw new Refuse('no go.mod in the build context: a GOPATH-mode build has no module download');
    env.ctx.require('go.mod');
    if (env.ctx.has('go.work')) throw new Refuse('go.work makes this a Go workspace; its modules are not copied first');
    const mod = env.ctx.read('go.mod') ?? '';
    const local = /^\s*replace\b[^\n]*=>\s*(\.{1,2}\/|\/)\S*/m.exec(mod) ?? /^\s*replace\s*\([^)]*=>\s*(\.{1,2}\/|\/)[^)]*\)/m.exec(mod);
    if (local) throw new Refuse('go.mod replaces a module with a local directory');
    if (env.ctx.has('vendor/modules.txt')) throw new Refuse('the context has vendor/modules.txt, so go builds from vendor/ by default');
    const files = ['go.mod'];
    if (!requiresOf(mod)) {
      if (download) return { ecosystem: 'Go', mode: 'move', files, dirs: [] };
      return undefined; // a module without requirements has nothing to download
    }
    if (!env.ctx.has('go.sum')) throw new Refuse('go.mod has requirements but there is no go.sum in the build context; go mod download would write one that the build does not have');
    files.push('go.sum');
    if (download) return { ecosystem: 'Go', mode: 'move', files, dirs: [] };
    const variant: VariantWord[] = [...cmd.assigns.filter((w) => DOWNLOAD_ENV.test(w.raw)), cmd.words[0]!, 'mod', 'download'];
    return { ecosystem: 'Go', mode: 'variant', variant, files, dirs: [] };
  },
};

export const GO: Ecosystem[] = [go];

