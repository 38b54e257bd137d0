// What a RUN instruction runs, as shell commands with exact source offsets, and the source spans that remove a
// command or a word from it without touching anything else.

import type { DockerfileModel, Instruction, Span, Stage } from '../types.js';
import { parseScript } from './bash.js';
import type { ShellCommand, ShellScript, ShellWord } from './bash.js';
import { scriptsOf, trackTree } from './trees.js';

export type RunScript =
  | { ok: true; form: 'shell' | 'heredoc'; script: ShellScript }
  | { ok: true; form: 'exec'; argv: string[] }
  | { ok: false; reason: string };

const POSIX_SHELLS = /^(\/(usr\/)?bin\/)?(sh|bash|ash|dash|busybox)$/;

// Each stage's SHELL instructions, per model: looking them up per RUN by scanning the stage made files with
// many RUNs quadratic (50,000 RUNs: 20 s).
const shellsByModel = new WeakMap<DockerfileModel, Map<number, Instruction[]>>();

function stageShells(model: DockerfileModel, stage: Stage): Instruction[] {
  let byStage = shellsByModel.get(model);
  if (!byStage) {
    byStage = new Map();
    for (const i of model.instructions) if (i.keyword === 'SHELL') (byStage.get(i.stage) ?? byStage.set(i.stage, []).get(i.stage)!).push(i);
    shellsByModel.set(model, byStage);
  }
  return byStage.get(stage.index) ?? [];
}

/** The SHELL in effect at `ins` (following stage bases in the same file), as its argv; undefined = the default `/bin/sh -c`. */
export function activeShell(model: DockerfileModel, ins: Instruction): string[] | undefined {
  let stage: Stage | undefined = model.stages[ins.stage];
  let before = ins.index;
  const seen = new Set<number>();
  while (stage && !seen.has(stage.index)) {
    seen.add(stage.index);
    const shells = stageShells(model, stage);
    for (let i = shells.length - 1; i >= 0; i--) {
      const s = shells[i]!;
      if (s.index < before) return s.args.map((a) => a.value);
    }
    const base = stage.base.toLowerCase();
    const parent = model.stages.find((p) => p.index < stage!.index && (p.name?.toLowerCase() === base || String(p.index) === base));
    if (!parent) return undefined;
    before = Infinity;
    stage = parent;
  }
  return undefined;
}

/**
 * Reads a RUN (or an ONBUILD RUN trigger) as shell commands. Refuses what a POSIX shell would not run as
 * written: a non-POSIX SHELL, a here-document with its own interpreter, a RUN mixing heredocs with other words.
 * Read once per model and instruction: every transform that asks gets the same script (treat it as read-only);
 * its syntax tree is freed when the runner releases the model (`trees.ts`).
 */
export function readRunScript(model: DockerfileModel, ins: Instruction, owner: Instruction = ins): Promise<RunScript> {
  const reads = scriptsOf(model).reads;
  let read = reads.get(ins) as Promise<RunScript> | undefined;
  if (!read) reads.set(ins, (read = readScript(model, ins, owner)));
  return read;
}

async function readScript(model: DockerfileModel, ins: Instruction, owner: Instruction): Promise<RunScript> {
  if (ins.keyword !== 'RUN') return { ok: false, reason: `not a RUN instruction (${ins.keyword})` };
  if (ins.jsonForm) return { ok: true, form: 'exec', argv: ins.args.map((a) => a.value) };
  const shell = activeShell(model, owner);
  if (shell && !POSIX_SHELLS.test(shell[0] ?? '')) return { ok: false, reason: `the stage runs commands with SHELL ${JSON.stringify(shell)}, not a POSIX shell` };
  const text = model.source.text;
  if (ins.heredocs.length > 0) {
    const h = ins.heredocs[0]!;
    if (ins.heredocs.length !== 1 || ins.args.length !== 1 || ins.args[0]!.span.start !== h.markerSpan.start) {
      return { ok: false, reason: 'a RUN that mixes a here-document with other words is not understood' };
    }
    const body = text.slice(h.bodySpan.start, h.bodySpan.end);
    if (body.startsWith('#!') && !/^#!\s*(\/usr)?\/bin\/(env\s+)?(sh|bash|ash|dash)\b/.test(body)) {
      return { ok: false, reason: 'the here-document names another interpreter (#!)' };
    }
    const base = h.bodySpan.start;
    const script = await parseScript(body, (o) => base + o);
    trackTree(model, script.root.tree);
    return script.hasError ? { ok: false, reason: 'the shell script does not parse' } : { ok: true, form: 'heredoc', script };
  }
  if (!ins.argsText) return { ok: false, reason: 'an empty RUN' };
  const script = await parseScript(ins.argsText.text, ins.argsText.toSource);
  trackTree(model, script.root.tree);
  return script.hasError ? { ok: false, reason: 'the shell command does not parse' } : { ok: true, form: 'shell', script };
}

export type Removal = { ok: true; span: Span } | { ok: false; reason: string };

/**
 * The source span that removes `cmd` from its `&&`/`;`/newline list, with the operator that joins it. Refused
 * when the command sits inside a compound construct, a pipeline, after `||`, in the background, or is the only
 * command: removing it there would change what else runs.
 */
export function commandRemoval(script: ShellScript, cmd: ShellCommand): Removal {
  if (cmd.within.length) return { ok: false, reason: `the command sits inside ${cmd.within[cmd.within.length - 1]!.replace(/_/g, ' ')}` };
  const node = cmd.statement;
  const parent = node.parent;
  if (!parent) return { ok: false, reason: 'the command has no list around it' };
  let a: number;
  let b: number;
  let startsAfterToken = false;
  if (parent.type === 'list') {
    const [left, op, right] = parent.children;
    if (!left || !op || !right) return { ok: false, reason: 'unexpected list shape' };
    if (op.type !== '&&') return { ok: false, reason: `the command is joined with ${op.type}` };
    if (right.id === node.id) {
      a = left.endIndex;
      startsAfterToken = true;
      b = node.endIndex;
    } else {
      a = node.startIndex;
      b = right.startIndex;
      // `x && C && y` parses as ((x && C) && y): C is the right child of the inner list, handled above.
    }
    // The list itself must not continue with `||` around us: `C && y || z` would change z's condition.
    for (let p = parent.parent; p?.type === 'list'; p = p.parent) {
      if (p.children[1]?.type !== '&&') return { ok: false, reason: `the list mixes && with ${p.children[1]?.type}` };
    }
  } else if (parent.type === 'program') {
    const siblings = parent.namedChildren.filter((c) => c !== null && c.type !== 'comment');
    const i = siblings.findIndex((c) => c!.id === node.id);
    const prev = siblings[i - 1];
    const next = siblings[i + 1];
    if (prev) {
      a = prev.endIndex;
      startsAfterToken = true;
      b = node.endIndex;
    } else if (next) {
      a = node.startIndex;
      b = next.startIndex;
    } else return { ok: false, reason: 'it is the only command' };
    if (/&(?!&)/.test(script.text.slice(a, b).replace(/&&/g, ''))) return { ok: false, reason: 'the command runs in the background' };
  } else return { ok: false, reason: `the command sits inside ${parent.type.replace(/_/g, ' ')}` };
  // `a` is the end of the token before the removed text when the removal follows it: mapped as an end offset, so a
  // continuation right after that token (`x\` + newline, no blank) is removed too, not left dangling.
  return { ok: true, span: { start: script.toSource(a, startsAfterToken), end: script.toSource(b, true) } };
}

/** The source span that removes one argument word (with the blanks before it) from a command. */
export function wordRemoval(script: ShellScript, cmd: ShellCommand, word: ShellWord): Removal {
  const i = cmd.words.indexOf(word);
  if (i <= 0) return { ok: false, reason: 'the word is the command name' };
  const prev = cmd.words[i - 1]!;
  return { ok: true, span: { start: script.toSource(prev.end, true), end: script.toSource(word.end, true) } };
}
