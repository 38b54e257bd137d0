// manifest-first: `COPY . .` + dependency install  →  copy the manifests, install, then copy the rest.
//
// Per stage: a whole-context copy (`COPY . <dest>`, `COPY ./ <dest>`, `ADD . <dest>`) followed by a RUN whose
// install an ecosystem table recognises (transforms/manifest-first/*.ts). The build context is read to see
// which manifests exist; the manifests are copied above the whole copy with the copy's flags, and the install
// either moves there (it is dependency-only already) or a dependency-only variant is inserted there while the
// original stays after the copy (it also builds or installs the project). Anything that could make the
// install see a different tree, run in a different place, or leave different files behind is refused with a
// reason in the report: refusing is always allowed, a wrong rewrite never is.

import type { DockerfileModel, FileInfo, Instruction, Stage, TransformApi, TransformMeta } from '../src/types.js';
import type { Editor } from '../src/dockerfile/edit.js';
import { ContextView, Refuse, cleanPath } from './manifest-first/context.js';
import { NODE, nodeSetupHint } from './manifest-first/node.js';
import { PYTHON, pythonSetupHint } from './manifest-first/python.js';
import { GO } from './manifest-first/go.js';
import { RUST } from './manifest-first/rust.js';
import { JVM } from './manifest-first/jvm.js';
import { RUBY_PHP } from './manifest-first/ruby-php.js';
import { DOTNET } from './manifest-first/dotnet.js';
import { type Found, type ReadRun, findInstall, itemText, leadingSets, readRun, toInstall } from './manifest-first/run.js';
import { setCommand } from './manifest-first/shell.js';
import type { ShItem } from './manifest-first/shell.js';
import type { Ecosystem, Env, InstallCommand, Plan, VariantWord } from './manifest-first/types.js';
import { toolOf } from './manifest-first/types.js';

export const ECOSYSTEMS: Ecosystem[] = [...NODE, ...PYTHON, ...GO, ...RUST, ...JVM, ...RUBY_PHP, ...DOTNET];

export const meta = {
  name: 'manifest-first',
  description: 'Split `COPY . .` + dependency install into: copy the manifests and lock files, install, then copy the rest, reading the build context to see which files exist',
  recommended: false,
  safety: 'unsafe',
  readsContext: true,
  docs: 'https://docs.docker.com/build/cache/optimize/#order-your-layers',
  options: {
    ecosystems: {
      type: 'string',
      description: 'Comma-separated ecosystems to handle (npm, yarn, pnpm, pip, poetry, uv, pipenv, go, cargo, maven, gradle, bundler, composer, dotnet); default all',
      default: 'all',
    },
  },
} satisfies TransformMeta;

/** Instructions between the whole copy and the install that cannot affect the install. */
const INERT = new Set(['LABEL', 'EXPOSE', 'MAINTAINER', 'STOPSIGNAL', 'HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'ONBUILD']);
/**
 * Instructions between the whole copy and the install that the install may depend on but the copy does not: they
 * move above the copy together with the install. A COPY without variables does not read the environment or
 * build arguments, and it creates its files as root (or --chown) whatever the USER.
 */
const HOISTABLE = new Set(['ENV', 'ARG', 'USER']);
const CARRIED_COPY_FLAGS = new Set(['chown', 'chmod', 'link']);
const SAFE_NAME = /^[A-Za-z0-9._@+=,%-]+(\/[A-Za-z0-9._@+=,%-]+)*$/;
const SAFE_LITERAL = /^[A-Za-z0-9._@+=,%:/-]+$/;

interface WholeCopy {
  ins: Instruction;
  /** The destination as written. */
  dest: string;
}

interface Planned {
  run: ReadRun;
  found: Found;
  plan: Plan;
  /** For `move`: the RUN moves whole (else only the leading commands move). */
  whole: boolean;
  /** Items [firstMoved, lastMoved] for a partial move; the next item stays. For a variant, lastMoved is the last clean-up item that goes with it. */
  lastMoved?: number;
  firstMoved?: number;
  /** ENV, ARG and USER between the whole copy (or the previous planned install) and this install: they move above the copy with it. */
  hoisted: Instruction[];
}

export default function transform(file: FileInfo, api: TransformApi, options: Record<string, unknown>): string | undefined {
  const model = api.model;
  const selected = selectEcosystems(options.ecosystems);
  const copies = model.instructions.filter((i) => wholeCopyOf(i) !== undefined);
  if (copies.length === 0) return undefined;
  const editor = api.edit();
  let ctx: ContextView | undefined;
  const view = () => (ctx ??= new ContextView(api.context));
  for (const stage of model.stages) processStage(model, stage, api, editor, view, selected);
  return editor.size ? editor.apply() : undefined;
}

function selectEcosystems(value: unknown): Ecosystem[] {
  if (value === undefined || value === 'all' || value === true) return ECOSYSTEMS;
  const wanted = String(value).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const byKey = new Map(ECOSYSTEMS.map((e) => [ecosystemKey(e), e]));
  return wanted.map((w) => {
    const e = byKey.get(w === '.net' ? 'dotnet' : w);
    if (!e) throw new Error(`--ecosystems: unknown ecosystem "${w}" (known: ${[...byKey.keys()].join(', ')})`);
    return e;
  });
}

export function ecosystemKey(e: Ecosystem): string {
  return e.name === '.NET' ? 'dotnet' : e.name.toLowerCase();
}

function wholeCopyOf(ins: Instruction): WholeCopy | undefined {
  if ((ins.keyword !== 'COPY' && ins.keyword !== 'ADD') || ins.jsonForm || ins.heredocs.length) return undefined;
  if (ins.flags.some((f) => f.name.toLowerCase() === 'from')) return undefined;
  if (ins.args.length !== 2 || !['.', './'].includes(ins.args[0]!.value)) return undefined;
  return { ins, dest: ins.args[1]!.value };
}

function label(found: Found): string {
  return `${found.ecosystem.name} dependency install`;
}

// --- stage walk ----------------------------------------------------------------------------------

function processStage(model: DockerfileModel, stage: Stage, api: TransformApi, editor: Editor, view: () => ContextView, ecosystems: Ecosystem[]): void {
  const list = stage.instructions;
  const text = model.source.text;
  const firstWhole = list.findIndex((i) => wholeCopyOf(i) !== undefined);
  // An install at the start of a stage built on a stage that copied the whole context: a different stage.
  reportOtherStageInstall(model, stage, firstWhole < 0 ? list.length : firstWhole, api, ecosystems);

  for (let k = 0; k < list.length; k++) {
    const whole = wholeCopyOf(list[k]!);
    if (!whole) continue;
    let blocker: string | undefined;
    const planned: Planned[] = [];
    const hoist: Instruction[] = [];
    const copyUsesVariables = text.slice(whole.ins.span.start, whole.ins.span.end).includes('$');
    for (let j = k + 1; j < list.length; j++) {
      const L = list[j]!;
      if (wholeCopyOf(L)) break;
      if (INERT.has(L.keyword)) continue;
      if (L.keyword !== 'RUN') {
        if (!blocker && HOISTABLE.has(L.keyword) && !copyUsesVariables && !api.isSuppressed(L)) hoist.push(L);
        else if (HOISTABLE.has(L.keyword) && api.isSuppressed(L)) blocker ??= `${L.keyword} at line ${L.startLine} (suppressed by "# dockshift-ignore", so it does not move)`;
        else blocker ??= describeBlocker(L, copyUsesVariables);
        continue;
      }
      const reading = readRun(L, text);
      if (!reading.ok) {
        const eco = ecosystems.find((e) => e.hint.test(text.slice(L.span.start, L.span.end)));
        if (eco) {
          api.skip(`${eco.name} dependency install at line ${L.startLine} left alone: ${reading.reason}, which this transform does not read (installs inside shell conditionals, subshells or substitutions are not split)`, L.span);
          break;
        }
        blocker ??= `RUN at line ${L.startLine}`;
        continue;
      }
      const found = findInstall(reading.run, ecosystems);
      if (!found) {
        blocker ??= describeRunBlocker(reading.run);
        continue;
      }
      if (alreadyManifestFirst(model, stage, whole.ins, found.ecosystem)) break;
      // This ecosystem's dependencies are already handled above the copy (a moved install): nothing more to do.
      if (planned.some((q) => q.found.ecosystem === found.ecosystem)) break;
      if (blocker) {
        api.skip(`${label(found)} at line ${L.startLine} left alone: ${blocker} comes between the whole copy at line ${whole.ins.startLine} and the install, and the install may need it`, L.span);
        break;
      }
      let p: Planned | undefined;
      try {
        p = planRun(model, stage, whole, reading.run, found, view, hoist);
      } catch (e) {
        if (!(e instanceof Refuse)) throw e;
        api.skip(`${label(found)} at line ${L.startLine} left alone: ${e.reason}`, L.span);
        break;
      }
      if (!p) {
        blocker ??= `RUN at line ${L.startLine}`;
        continue;
      }
      const suppressed = [whole.ins, L].find((i) => api.isSuppressed(i));
      if (suppressed) {
        api.skip(`${label(found)} at line ${L.startLine} left alone: the instruction at line ${suppressed.startLine} is suppressed by "# dockshift-ignore"`, L.span);
        break;
      }
      planned.push(p);
      if (!(p.plan.mode === 'move' && p.whole)) break;
    }
    if (planned.length) apply(model, whole, planned, api, editor);
  }
}

function reportOtherStageInstall(model: DockerfileModel, stage: Stage, before: number, api: TransformApi, ecosystems: Ecosystem[]): void {
  let base = findStage(model, stage.base, stage.index);
  const seen = new Set<number>();
  let copy: Instruction | undefined;
  while (base && !seen.has(base.index) && !copy) {
    seen.add(base.index);
    copy = base.instructions.find((i) => wholeCopyOf(i) !== undefined);
    base = findStage(model, base.base, base.index);
  }
  if (!copy) return;
  for (const L of stage.instructions.slice(1, before)) {
    if (L.keyword !== 'RUN') continue;
    const reading = readRun(L, model.source.text);
    if (!reading.ok) continue;
    const found = findInstall(reading.run, ecosystems);
    if (!found) continue;
    // Already split in the base stage (a manifest copy before its whole copy): nothing to say.
    const baseStage = model.stages[copy.stage]!;
    if (alreadyManifestFirst(model, baseStage, copy, found.ecosystem)) return;
    api.skip(`${label(found)} at line ${L.startLine} left alone: it runs in stage ${stage.name ?? stage.index}, but the whole copy is at line ${copy.startLine} in stage ${baseStage.name ?? baseStage.index}`, L.span);
    return;
  }
}

function findStage(model: DockerfileModel, name: string, before: number): Stage | undefined {
  const lower = name.toLowerCase();
  const byName = model.stages.slice(0, before).reverse().find((s) => s.name?.toLowerCase() === lower);
  if (byName) return byName;
  if (/^\d+$/.test(name) && Number(name) < before) return model.stages[Number(name)];
  return undefined;
}

function describeBlocker(ins: Instruction, copyUsesVariables = false): string {
  if (ins.keyword === 'WORKDIR') {
    return `WORKDIR at line ${ins.startLine} (the install runs in the directory it sets after the copy; moving the WORKDIR above the copy would change what creates that directory, and with it its owner and mode)`;
  }
  if (HOISTABLE.has(ins.keyword) && copyUsesVariables) return `${ins.keyword} at line ${ins.startLine} (the whole copy uses variables, so it cannot move below the ${ins.keyword})`;
  return `${ins.keyword} at line ${ins.startLine}`;
}

function describeRunBlocker(run: ReadRun): string {
  for (const it of run.items) {
    for (const c of it.pipeline) {
      const cmd = toInstall(c, run.form === 'exec');
      const hint = nodeSetupHint(cmd) ?? pythonSetupHint(cmd);
      if (hint) return `RUN at line ${run.ins.startLine} (${hint})`;
    }
  }
  return `RUN at line ${run.ins.startLine}`;
}

/** Does the stage already copy one of the ecosystem's manifests before the whole copy? */
function alreadyManifestFirst(model: DockerfileModel, stage: Stage, whole: Instruction, eco: Ecosystem): boolean {
  for (const ins of stage.instructions) {
    if (ins.index >= whole.index) break;
    if (ins.keyword === 'RUN' && eco.prepared?.test(model.source.text.slice(ins.span.start, ins.span.end))) return true;
    if ((ins.keyword !== 'COPY' && ins.keyword !== 'ADD') || ins.flags.some((f) => f.name.toLowerCase() === 'from')) continue;
    const sources = ins.jsonForm ? ins.args.slice(0, -1).map((a) => a.value) : ins.args.slice(0, -1).map((a) => a.value);
    for (const s of sources) {
      const src = cleanPath(s.replace(/^["']|["']$/g, ''));
      if (eco.primary.some((p) => globMatch(src, p) || globMatch(p, src) || globMatch(src.slice(src.lastIndexOf('/') + 1), p))) return true;
    }
  }
  return false;
}

/** A small glob test: `*`, `?` within a path segment. */
function globMatch(path: string, glob: string): boolean {
  const re = new RegExp('^' + glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return re.test(path);
}

// --- planning --------------------------------------------------------------------------------------

function planRun(model: DockerfileModel, stage: Stage, whole: WholeCopy, run: ReadRun, found: Found, view: () => ContextView, hoist: Instruction[]): Planned | undefined {
  if (model.escape === '`') throw new Refuse('the file uses "# escape=`" (Windows images), whose RUN shell this transform does not read');
  checkShell(model, stage, run.ins);
  for (const f of whole.ins.flags) {
    if (!CARRIED_COPY_FLAGS.has(f.name.toLowerCase())) throw new Refuse(`the whole copy at line ${whole.ins.startLine} uses --${f.name}, which this transform does not carry over`);
    if (f.crossesLines) throw new Refuse(`the whole copy's --${f.name} continues over lines`);
  }
  const item = found.item;
  if (item.pipeline.length > 1) throw new Refuse(`the install is part of a pipeline ("${itemText(run, item)}")`);
  if (item.before === '||' || item.after === '||') throw new Refuse('the install is inside a shell conditional ("||")');
  if (found.cmd.redirected) throw new Refuse('the install redirects its input or output');
  // Commands before the install in the same RUN: `set` options, and set-up that writes nothing in the project.
  const sets = leadingSets(run.items);
  let firstSetup = sets.count;
  const setupWrites: string[] = [];
  /** `chmod +x mvnw` before the install: fine before a variant (the original RUN, kept, does it again after the copy). */
  const chmods: { text: string; paths: string[] }[] = [];
  for (let i = sets.count; i < found.index; i++) {
    const it = run.items[i]!;
    const cmd = it.pipeline.length === 1 ? toInstall(it.pipeline[0]!, run.form === 'exec') : undefined;
    if (cmd && setCommand(it.pipeline[0]!).isSet) throw new Refuse('a `set` command between other commands is not followed');
    const writes = cmd ? setupWritesOf(cmd) : undefined;
    const chmod = cmd && !writes ? chmodPaths(cmd) : undefined;
    if (!cmd || (!writes && !chmod) || it.after === '||' || it.before === '||') {
      const hint = cmd ? nodeSetupHint(cmd) ?? pythonSetupHint(cmd) : undefined;
      throw new Refuse(`the install runs after "${itemText(run, it)}"${hint ? ` (${hint})` : ''} in the same RUN, set-up that would stay after the whole copy`);
    }
    if (writes) setupWrites.push(...writes);
    if (chmod) chmods.push({ text: itemText(run, it), paths: chmod });
    if (it.after !== '&&' && !sets.errexit) throw new Refuse(`"${itemText(run, it)}" is followed by "${it.after === '\n' ? 'a newline' : it.after}" without set -e, so the install runs even when it fails`);
  }
  firstSetup = Math.min(firstSetup, found.index);

  const dir = projectDir(model, stage, whole);
  const ctx = view();
  // The install's environment: ENV and ARG up to the install itself (those between the copy and the install move with it).
  const env = makeEnv(model, stage, run.ins, ctx, dir, setupSettings(run, sets.count, found.index));
  ctx.checkOutputs(setupWrites, 'the set-up before the install');
  const plan = found.ecosystem.plan(found.cmd, env);
  if (!plan) return undefined;
  // asdf shims pick the tool version from .tool-versions in the working directory: the install must see it.
  if (ctx.has('.tool-versions') && !plan.files.includes('.tool-versions')) plan.files.push('.tool-versions');
  for (const c of chmods) {
    if (plan.mode !== 'variant') throw new Refuse(`the install runs after "${c.text}" in the same RUN, set-up that would stay after the whole copy`);
    const notCopied = c.paths.some((x) => {
      const rel = env.inProject(x);
      return rel === undefined || !plan.files.includes(rel);
    });
    if (notCopied) throw new Refuse(`"${c.text}" before the install changes files that are not copied first`);
  }

  const p: Planned = { run, found, plan, whole: false, hoisted: hoist.splice(0) };
  const canSplitAfter = (it: ShItem) => it.after === '&&' || ((it.after === ';' || it.after === '\n') && sets.errexit);
  let last = found.index;
  while (last + 1 < run.items.length && canSplitAfter(run.items[last]!) && isCleanup(run.items[last + 1]!, run, dir)) last++;
  if (plan.mode === 'variant') {
    if (plan.variant!.some((w) => typeof w === 'string' && !SAFE_LITERAL.test(w))) throw new Error('internal: unsafe variant literal');
    // Where the original tolerates a failure of the install (`install && x || y`), a failing warm-up must not fail the build.
    for (let i = found.index; i < run.items.length && run.items[i]!.after !== ''; i++) {
      if (run.items[i]!.after === '||') throw new Refuse('the install is inside a shell conditional ("||"), where its failure does not fail the RUN');
      if (run.items[i]!.after !== '&&') break;
    }
    // Clean-up right after the install (npm cache clean, composer clear-cache, …) goes with the variant too.
    p.lastMoved = last;
    return p;
  }
  // A move: the install (and any clean-up right after it) leaves; the rest of the RUN stays after the copy.
  if (last === run.items.length - 1) {
    p.whole = true;
    return p;
  }
  if (run.form !== 'shell') throw new Refuse(`the ${run.form === 'heredoc' ? 'here-document' : 'exec-form'} RUN does more than the install, and splitting it is not supported`);
  if (!canSplitAfter(run.items[last]!)) {
    const sep = run.items[last]!.after;
    throw new Refuse(`the install is followed by "${sep}"${sep === '||' ? '' : ' without set -e'}, so splitting the RUN would change what happens when it fails`);
  }
  // A failure of a moved command must fail the original RUN too: after `&&` that holds only when the AND-OR
  // list runs to the end of the script (`a && b; c` goes on to `c` even under set -e, and `|| x` catches it).
  for (let i = firstSetup; i <= last; i++) {
    if (run.items[i]!.after !== '&&') continue;
    const later = run.items.slice(i, -1).find((it) => it.after !== '&&');
    if (later) throw new Refuse(`"${itemText(run, run.items[i]!)}" is in an && list that "${later.after === '\n' ? 'a newline' : later.after}" continues, so its failure does not fail the original RUN; splitting would change that`);
  }
  p.firstMoved = firstSetup;
  p.lastMoved = last;
  return p;
}

/**
 * Set-up commands that may run (and move) with the install: they read nothing from the project. Returns the
 * project paths they may write (the whole copy must not overwrite those), or undefined for any other command.
 */
function setupWritesOf(cmd: InstallCommand): string[] | undefined {
  const yes = isSetup(cmd);
  if (!yes) return undefined;
  const t = toolOf(cmd);
  // `bundle config set NAME VALUE` writes <project>/.bundle/config inside an application (bundle-config(1)).
  if ((t === 'bundle' || t === 'bundler') && !cmd.argv.includes('--global')) return ['.bundle/'];
  return [];
}

/** The paths of `chmod +x path…` (or an octal mode), all literal; undefined for any other command. */
function chmodPaths(cmd: InstallCommand): string[] | undefined {
  if (toolOf(cmd) !== 'chmod' || cmd.redirected || cmd.assigns.length || cmd.argv.some((a) => a === undefined)) return undefined;
  const [mode, ...paths] = cmd.argv.slice(1) as string[];
  if (mode === undefined || !/^([ugoa]*\+[rx]+|0?[0-7]{3})$/.test(mode) || paths.length === 0) return undefined;
  if (paths.some((x) => x.startsWith('-') || /[*?[\]{}~]/.test(x))) return undefined;
  return paths;
}

function isSetup(cmd: InstallCommand): boolean {
  const a = cmd.argv;
  if (a.some((x) => x === undefined) || cmd.redirected) return false;
  const argv = a as string[];
  const t = toolOf(cmd)!;
  const named = (xs: string[]) => xs.every((x) => /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]*\])?((===?|~=|!=|<=?|>=?)[A-Za-z0-9.*+!_-]+)?$/.test(x));
  if (/^pip3?(\.\d+)?$/.test(t) || (/^python(\d+(\.\d+)?)?$/.test(t) && argv[1] === '-m' && argv[2] === 'pip')) {
    const rest = argv.slice(t.startsWith('pip') ? 1 : 3);
    if (rest[0] !== 'install') return false;
    const opts = rest.slice(1).filter((x) => x.startsWith('-'));
    return opts.every((o) => /^(-U|--upgrade|--no-cache-dir|-q|--quiet|--disable-pip-version-check|--root-user-action=ignore|--break-system-packages|--no-warn-script-location|--prefer-binary)$/.test(o)) && named(rest.slice(1).filter((x) => !x.startsWith('-')));
  }
  if (t === 'poetry' && argv[1] === 'config') return !argv.includes('--local');
  if ((t === 'bundle' || t === 'bundler') && argv[1] === 'config') return true;
  if (t === 'gem' && argv[1] === 'install') {
    const rest = argv.slice(2);
    return rest.every((x, i) => /^(--no-document|-N|--conservative|--no-user-install)$/.test(x) || /^(-v|--version)$/.test(x) || /^(-v|--version)$/.test(rest[i - 1] ?? '') || named([x.replace(/:[0-9.]+$/, '')]));
  }
  if (t === 'gem' && argv[1] === 'update' && argv[2] === '--system' && argv.length <= 4) return true;
  if (t === 'go' && argv[1] === 'env' && argv[2] === '-w') return true;
  // Commands that only print: versions, echo.
  if (argv.length === 2 && /^(--version|-v|-V|version)$/.test(argv[1]!)) return true;
  if (t === 'echo' || t === 'printf' || t === 'which' || t === 'true') return true;
  if ((t === 'npm' || t === 'pnpm') && argv[1] === 'config' && argv[2] === 'set') return !argv.some((x) => /^(--location|-L)/.test(x) || x === 'project');
  if (t === 'composer' && argv[1] === 'config') return argv.includes('--global') || argv.includes('-g');
  return false;
}

/** Clean-up after an install that reads nothing from the project, and so may move with it. */
function isCleanup(item: ShItem, run: ReadRun, dir: string | undefined): boolean {
  if (item.pipeline.length !== 1) return false;
  const cmd = toInstall(item.pipeline[0]!, run.form === 'exec');
  if (cmd.redirected || cmd.assigns.length) return false;
  const t = toolOf(cmd);
  const a = cmd.argv;
  const is = (...xs: string[]) => xs.every((x, i) => a[i + 1] === x) && a.length === xs.length + 1;
  if (t === 'npm' && (is('cache', 'clean', '--force') || is('cache', 'clean'))) return true;
  if (t === 'yarn' && (is('cache', 'clean') || is('cache', 'clean', '--all'))) return true;
  if (t === 'pnpm' && is('store', 'prune')) return true;
  if (/^pip3?$/.test(t ?? '') && is('cache', 'purge')) return true;
  if (t === 'composer' && (is('clear-cache') || is('clearcache') || is('cc'))) return true;
  if (t === 'rm' && dir !== undefined) {
    const paths = cmd.words.slice(1).filter((w) => !/^-[rRf]+$/.test(w.raw));
    if (!cmd.words.slice(1).some((w) => /^-[rRf]+$/.test(w.raw))) return false;
    // Absolute paths (globs allowed) outside the project directory: caches and temporary files.
    return paths.length > 0 && paths.every((w) => /^\/[A-Za-z0-9._*/+-]*$/.test(w.raw) && !w.raw.includes('..') && !insideDir(w.raw.replace(/\*.*$/, ''), dir));
  }
  return false;
}

function insideDir(path: string, dir: string): boolean {
  const p = normalize(path);
  return dir === '/' || p === dir || p.startsWith(dir + '/') || dir.startsWith(p === '/' ? '/' : p + '/');
}

function checkShell(model: DockerfileModel, stage: Stage, ins: Instruction): void {
  const seen = new Set<number>();
  for (let s: Stage | undefined = stage; s && !seen.has(s.index); s = findStage(model, s.base, s.index)) {
    seen.add(s.index);
    for (const i of s.instructions) {
      if (i.keyword !== 'SHELL' || (s === stage && i.index > ins.index)) continue;
      const argv = i.args.map((a) => a.value);
      const shell = argv[0]?.slice(argv[0].lastIndexOf('/') + 1);
      if (!i.jsonForm || !['sh', 'bash', 'ash', 'dash'].includes(shell ?? '') || argv[argv.length - 1] !== '-c') {
        throw new Refuse(`SHELL at line ${i.startLine} is not a POSIX shell`);
      }
    }
  }
}

// --- where the install runs --------------------------------------------------------------------

function normalize(p: string): string {
  return cleanPath(p.startsWith('/') ? p : '/' + p);
}

/** The stage's WORKDIR before instruction `beforeIndex`, when this file alone determines it. */
function workdirAt(model: DockerfileModel, stage: Stage, beforeIndex: number, depth = 0): string | undefined {
  const own = stage.instructions.filter((i) => i.keyword === 'WORKDIR' && i.index < beforeIndex);
  const firstAbsolute = own.map((i) => i.args[0]?.value.startsWith('/')).lastIndexOf(true);
  let dir: string;
  if (firstAbsolute < 0) {
    const base = findStage(model, stage.base, stage.index);
    if (!base || depth > 20) return undefined;
    const inherited = workdirAt(model, base, Number.MAX_SAFE_INTEGER, depth + 1);
    if (inherited === undefined) return undefined;
    dir = inherited;
  } else dir = '/';
  for (const w of own.slice(Math.max(firstAbsolute, 0))) {
    const value = w.args.map((a) => a.value).join(' ');
    if (value.includes('$') || w.args.length !== 1 || /["'\\]/.test(value)) return undefined;
    dir = value.startsWith('/') ? value : `${dir}/${value}`;
  }
  return normalize(dir);
}

/** The install's working directory, which must be where the whole copy puts the context; undefined = not known (WORKDIR from the base image). */
function projectDir(model: DockerfileModel, stage: Stage, whole: WholeCopy): string | undefined {
  const dest = whole.dest;
  if (dest.includes('$')) throw new Refuse(`the whole copy's destination ${dest} uses a variable (variables in paths are not resolved)`);
  if (/["'\\*?[\]]/.test(dest)) throw new Refuse(`the whole copy's destination ${dest} uses quotes, escapes or patterns`);
  const wd = workdirAt(model, stage, whole.ins.index);
  if (dest === '.' || dest === './') return wd;
  if (!dest.startsWith('/')) throw new Refuse(`the whole copy goes to ${dest}, not to the WORKDIR the install runs in`);
  if (wd === undefined) throw new Refuse(`the whole copy goes to ${dest}, and the WORKDIR the install runs in comes from the base image`);
  if (normalize(dest) !== wd) throw new Refuse(`the whole copy goes to ${dest}, but the install runs in WORKDIR ${wd}`);
  return wd;
}

function envValues(model: DockerfileModel, stage: Stage, before: number): Map<string, string> {
  const chain: Stage[] = [];
  const seen = new Set<number>();
  for (let s: Stage | undefined = stage; s && !seen.has(s.index); s = findStage(model, s.base, s.index)) {
    seen.add(s.index);
    chain.unshift(s);
  }
  const values = new Map<string, string>();
  const fromEnv = new Set<string>();
  for (const s of chain) {
    for (const i of s.instructions) {
      if (s === stage && i.index >= before) break;
      // A build argument with a default is in the environment of the stage's RUNs (an ENV of the same name wins).
      if (i.keyword === 'ARG' && s === stage) {
        for (const w of i.args.map((a) => a.value)) {
          const eq = w.indexOf('=');
          if (eq > 0 && !fromEnv.has(w.slice(0, eq))) values.set(w.slice(0, eq), w.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2'));
        }
        continue;
      }
      if (i.keyword !== 'ENV') continue;
      const words = i.args.map((a) => a.value);
      if (words.length && !words[0]!.includes('=')) {
        values.set(words[0]!, words.slice(1).join(' '));
        fromEnv.add(words[0]!);
        continue;
      }
      for (const w of words) {
        const eq = w.indexOf('=');
        if (eq > 0) {
          values.set(w.slice(0, eq), w.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2'));
          fromEnv.add(w.slice(0, eq));
        }
      }
    }
  }
  return values;
}

/**
 * Settings that set-up commands before the install make: `bundle config set [--local] deployment true` sets
 * BUNDLE_DEPLOYMENT for the install (app config wins over the environment; --global config does not), and
 * `go env -w GOFLAGS=…` sets Go's config (the environment wins).
 */
function setupSettings(run: ReadRun, from: number, to: number): { local: Map<string, string>; global: Map<string, string> } {
  const local = new Map<string, string>();
  const global = new Map<string, string>();
  for (const it of run.items.slice(from, to)) {
    const cmd = toInstall(it.pipeline[0]!, run.form === 'exec');
    const t = toolOf(cmd);
    if (cmd.argv.some((a) => a === undefined)) continue;
    // `go env -w NAME=value` writes Go's own config file, which the environment overrides.
    if (t === 'go' && cmd.argv[1] === 'env' && cmd.argv[2] === '-w') {
      for (const a of cmd.argv.slice(3) as string[]) if (a.includes('=')) global.set(a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1));
      continue;
    }
    if ((t !== 'bundle' && t !== 'bundler') || cmd.argv[1] !== 'config') continue;
    const args = (cmd.argv as string[]).slice(2).filter((a) => a !== 'set');
    const isGlobal = args.includes('--global');
    const words = args.filter((a) => a !== '--local' && a !== '--global');
    if (words.length !== 2) continue;
    const name = 'BUNDLE_' + words[0]!.toUpperCase().replace(/\./g, '__').replace(/-/g, '_');
    (isGlobal ? global : local).set(name, words[1]!);
  }
  return { local, global };
}

function makeEnv(model: DockerfileModel, stage: Stage, before: Instruction, ctx: ContextView, dir: string | undefined, setup: ReturnType<typeof setupSettings>): Env {
  const values = envValues(model, stage, before.index);
  const inProject = (path: string): string | undefined => {
    if (path.includes('$')) throw new Refuse(`the path ${path} uses a variable (variables in paths are not resolved)`);
    if (!path.startsWith('/') && !path.startsWith('~')) {
      const rel = cleanPath(path);
      return rel.startsWith('..') ? undefined : rel;
    }
    if (path.startsWith('~')) return undefined;
    if (dir === undefined) throw new Refuse(`cannot tell whether ${path} is inside the project: the WORKDIR comes from the base image`);
    const p = normalize(path);
    if (dir === '/') return p === '/' ? '.' : p.slice(1);
    if (p === dir) return '.';
    return p.startsWith(dir + '/') ? p.slice(dir.length + 1) : undefined;
  };
  return {
    ctx,
    env: (name) => values.get(name),
    setting(cmd, name) {
      if (setup.local.has(name)) return setup.local.get(name);
      for (const w of cmd.assigns) if (w.value !== undefined && w.value.startsWith(name + '=')) return w.value.slice(name.length + 1);
      const raw = cmd.assigns.find((w) => w.raw.startsWith(name + '='));
      if (raw) return raw.raw.slice(name.length + 1);
      return values.get(name) ?? setup.global.get(name);
    },
    inProject,
    rel(path, what) {
      const rel = inProject(path);
      if (rel === undefined || rel === '.') throw new Refuse(`${what} ${path} is outside the project directory`);
      return rel;
    },
  };
}

// --- edits -----------------------------------------------------------------------------------------

/** The source of an instruction together with its comment lines directly above (not those inside another instruction). */
function chunkStart(text: string, ins: Instruction): number {
  const comments = ins.leadingComments.filter((c) => !c.insideInstruction);
  return comments.length ? lineStartOf(text, comments[0]!.span.start) : ins.lineStart;
}

/** The line before `offset` (a line start) when it is blank, as [start, offset); else undefined. */
function blankLineBefore(text: string, offset: number): number | undefined {
  if (offset === 0) return undefined;
  const start = lineStartOf(text, offset - 1);
  return /^[ \t]*\r?\n$/.test(text.slice(start, offset)) ? start : undefined;
}

function apply(model: DockerfileModel, whole: WholeCopy, planned: Planned[], api: TransformApi, editor: Editor): void {
  const text = model.source.text;
  const eol = model.source.eol;
  const copyIns = whole.ins;
  // The block goes above the whole copy's own comment lines: they describe the copy, which stays below.
  const insertAt = chunkStart(text, copyIns);
  const blocked = editor.protectedReason({ start: insertAt, end: copyIns.span.end });
  if (blocked) {
    api.skip(`the whole copy at line ${copyIns.startLine} left alone: ${blocked}`, copyIns.span);
    return;
  }
  // A file that separates its steps with blank lines: the inserted block ends with one, and a moved
  // instruction takes the blank line above it along (so no doubled blank lines are left behind).
  const spaced = /^[ \t]*\r?\n/.test(text.slice(copyIns.lineEnd));
  const flags = copyIns.flags.filter((f) => CARRIED_COPY_FLAGS.has(f.name.toLowerCase())).map((f) => text.slice(f.span.start, f.span.end));
  const destDir = whole.dest === '.' ? './' : whole.dest.endsWith('/') ? whole.dest : whole.dest + '/';
  const copied = new Set<string>();
  const copiedDirs: string[] = [];
  const block: string[] = [];
  const deletions: { start: number; end: number }[] = [];
  const notes: string[] = [];

  /** Moves an instruction (with its comment lines) into the block: returns its text, records its deletion. */
  const move = (ins: Instruction): string | undefined => {
    const start = chunkStart(text, ins);
    const reason = editor.protectedReason({ start, end: ins.span.end });
    if (reason) return undefined;
    let moved = text.slice(start, ins.lineEnd);
    if (!moved.endsWith('\n')) moved += eol;
    let delStart = start;
    const blank = spaced ? blankLineBefore(text, start) : undefined;
    if (blank !== undefined && blank >= copyIns.lineEnd) delStart = blank;
    // Keep a missing final newline missing: take the previous line ending instead.
    const atEof = ins.lineEnd === text.length && !text.endsWith('\n');
    if (atEof && delStart > 0) delStart -= text.slice(0, delStart).endsWith('\r\n') ? 2 : 1;
    deletions.push({ start: delStart, end: ins.lineEnd });
    return moved;
  };

  for (const p of planned) {
    const L = p.run.ins;
    const lineBlock: string[] = [];
    // Instructions between the whole copy and the install that move above it with the install (ENV, ARG, USER).
    for (const h of p.hoisted) {
      const moved = move(h);
      if (moved === undefined) {
        api.skip(`${label(p.found)} at line ${L.startLine} left alone: ${h.keyword} at line ${h.startLine}, which would move with it, ${editor.protectedReason({ start: chunkStart(text, h), end: h.span.end })}`, L.span);
        return;
      }
      lineBlock.push(moved);
    }
    // COPY lines: root files, then files by directory (keeping the layout), then whole directories.
    const dirs = p.plan.dirs.filter((d) => !copiedDirs.includes(d));
    const files = p.plan.files.filter((f) => !copied.has(f) && !dirs.some((d) => f.startsWith(d + '/')) && !copiedDirs.some((d) => f.startsWith(d + '/')));
    for (const f of [...files, ...dirs]) {
      if (!SAFE_NAME.test(f)) {
        api.skip(`${label(p.found)} at line ${L.startLine} left alone: the file name ${f} would need quoting in COPY`, L.span);
        return;
      }
    }
    const groups = new Map<string, string[]>();
    for (const f of files) {
      const d = f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '';
      groups.set(d, [...(groups.get(d) ?? []), f]);
    }
    const keys = [...groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    // The inserted COPY follows the keyword case of the whole copy (`copy`/`add` → `copy`).
    const written = text.slice(copyIns.keywordSpan.start, copyIns.keywordSpan.end);
    const copyKw = written === written.toLowerCase() ? 'copy' : 'COPY';
    const copyLine = (sources: string[], dest: string) => [copyKw, ...flags, ...sources, dest].join(' ');
    for (const d of keys) lineBlock.push(copyIns.indent + copyLine(groups.get(d)!, d ? `${destDir}${d}/` : destDir) + eol);
    for (const d of dirs) lineBlock.push(copyIns.indent + copyLine([d], `${destDir}${d}/`) + eol);
    for (const f of files) copied.add(f);
    copiedDirs.push(...dirs);
    const what = [...files, ...dirs].join(', ');
    const hoisted = p.hoisted.length ? ` (with ${p.hoisted.map((h) => `${h.keyword} at line ${h.startLine}`).join(', ')})` : '';

    // The RUN: a moved install, or the dependency-only variant.
    const blockedRun = editor.protectedReason({ start: L.lineStart, end: L.span.end });
    if (blockedRun) {
      api.skip(`${label(p.found)} at line ${L.startLine} left alone: ${blockedRun}`, L.span);
      return;
    }
    if (p.plan.mode === 'variant') {
      const run = variantRun(p, text);
      if (run === undefined) {
        api.skip(`${label(p.found)} at line ${L.startLine} left alone: the RUN's text could not be mapped to its source`, L.span);
        return;
      }
      lineBlock.push(copyIns.indent + run + eol);
      notes.push(`${p.plan.ecosystem}: copies ${what} first and runs "${p.plan.variant!.map((w) => (typeof w === 'string' ? w : p.run.form === 'exec' ? w.value : w.raw)).join(' ')}" above the whole copy${hoisted}; the original install stays after it`);
    } else if (p.whole) {
      const moved = move(L)!;
      lineBlock.push(moved);
      notes.push(`${p.plan.ecosystem}: copies ${what} first and moves the install above the whole copy${hoisted}`);
    } else {
      const items = p.run.items;
      const first = items[p.firstMoved!]!;
      const last = items[p.lastMoved!]!;
      const next = items[p.lastMoved! + 1]!;
      const endSrc = p.run.toSource(last.end);
      const firstSrc = p.run.toSource(first.start);
      const nextSrc = p.run.toSource(next.start);
      if (endSrc === undefined || firstSrc === undefined || nextSrc === undefined) {
        api.skip(`${label(p.found)} at line ${L.startLine} left alone: the install's words continue over lines`, L.span);
        return;
      }
      const removed = text.slice(firstSrc, nextSrc);
      if (/\n[ \t]*#/.test(removed)) {
        api.skip(`${label(p.found)} at line ${L.startLine} left alone: comment lines inside the RUN would go with the install`, L.span);
        return;
      }
      lineBlock.push(copyIns.indent + text.slice(L.span.start, endSrc) + eol);
      deletions.push({ start: firstSrc, end: nextSrc });
      notes.push(`${p.plan.ecosystem}: copies ${what} first and moves "${p.run.text.slice(first.start, last.end)}" above the whole copy${hoisted}`);
    }
    block.push(...lineBlock);
  }
  if (spaced) block.push(eol);
  editor.insert(insertAt, block.join(''));
  for (const d of deletions) editor.delete(d);
  for (const n of notes) api.report(n, copyIns.span);
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function renderVariant(words: VariantWord[], exec: boolean): string {
  if (exec) return '[' + words.map((w) => JSON.stringify(typeof w === 'string' ? w : w.value!)).join(', ') + ']';
  return words.map((w) => (typeof w === 'string' ? w : w.raw)).join(' ');
}

/** `RUN <the original's flags and set-up> <variant>`, on the model of the original RUN. */
function variantRun(p: Planned, text: string): string | undefined {
  const L = p.run.ins;
  const exec = p.run.form === 'exec';
  const words = p.plan.variant!;
  if (exec && words.some((w) => typeof w !== 'string' && w.value === undefined)) return undefined;
  const argsStart = L.argsSpan?.start ?? L.span.end;
  const head = text.slice(L.span.start, argsStart);
  const last = p.lastMoved ?? p.found.index;
  if (p.run.form === 'shell') {
    const installStart = p.run.toSource(p.found.item.start);
    if (installStart === undefined) return undefined;
    // Clean-up after the install, with its separators and layout as written.
    const from = p.run.toSource(p.found.item.end);
    const to = p.run.toSource(p.run.items[last]!.end);
    const cleanup = last > p.found.index && from !== undefined && to !== undefined ? text.slice(from, to) : '';
    return text.slice(L.span.start, installStart) + renderVariant(words, false) + cleanup;
  }
  if (p.run.form === 'heredoc') {
    // Set-up commands go along (joined by &&, which needs no errexit); `set` options alone do not matter.
    const before = p.run.items.slice(0, p.found.index).filter((it) => !setCommand(it.pipeline[0]!).isSet).map((it) => p.run.text.slice(it.start, it.end));
    const after = p.run.items.slice(p.found.index + 1, last + 1).map((it) => p.run.text.slice(it.start, it.end));
    return head + [...before, renderVariant(words, false), ...after].join(' && ');
  }
  return head + renderVariant(words, true);
}
