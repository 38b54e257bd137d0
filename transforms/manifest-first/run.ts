// Reading a RUN instruction: its shell text (shell form, a single heredoc body, or exec form), the commands in
// it, and where the install is among them. Offsets of the shell form map back to exact source offsets.

import type { Instruction, Token } from '../../src/types.js';
import { type ShCommand, type ShItem, type ShWord, parseShell, setCommand } from './shell.js';
import type { Ecosystem, InstallCommand } from './types.js';

export interface ReadRun {
  ins: Instruction;
  form: 'shell' | 'heredoc' | 'exec';
  items: ShItem[];
  /** The text the items' offsets refer to (logical shell text or heredoc body). */
  text: string;
  /** Shell form: logical offset → source offset; undefined when the offset sits in a token that crosses lines. */
  toSource(offset: number): number | undefined;
}

export type RunReading = { ok: true; run: ReadRun } | { ok: false; reason: string };

export function toInstall(cmd: ShCommand, exec: boolean): InstallCommand {
  return { assigns: cmd.assigns, words: cmd.words, argv: cmd.words.map((w) => w.value), exec, redirected: cmd.redirected };
}

/** Reads a RUN's commands, or says why it cannot. */
export function readRun(ins: Instruction, source: string): RunReading {
  const none = (): number | undefined => undefined;
  if (ins.jsonForm) {
    if (ins.args.length === 0) return { ok: false, reason: 'an empty exec-form RUN' };
    const words: ShWord[] = ins.args.map((t, i) => ({ raw: JSON.stringify(t.value), start: i, end: i + 1, value: t.value }));
    const cmd: ShCommand = { assigns: [], words, start: 0, end: ins.args.length, redirected: false };
    return { ok: true, run: { ins, form: 'exec', items: [{ pipeline: [cmd], start: 0, end: ins.args.length, before: '', after: '' }], text: '', toSource: none } };
  }
  if (ins.heredocs.length > 0) {
    const h = ins.heredocs[0]!;
    if (ins.heredocs.length !== 1 || ins.args.length !== 1 || ins.args[0]!.span.start !== h.markerSpan.start) {
      return { ok: false, reason: 'a RUN with a here-document and other arguments is not understood' };
    }
    const body = source.slice(h.bodySpan.start, h.bodySpan.end);
    if (body.startsWith('#!')) return { ok: false, reason: 'a here-document script with its own interpreter (#!) is not understood' };
    const parsed = parseShell(body);
    if (!parsed.ok) return { ok: false, reason: `the script uses ${parsed.reason}` };
    return { ok: true, run: { ins, form: 'heredoc', items: parsed.items, text: body, toSource: none } };
  }
  // Shell form: the logical text is the argument tokens joined by single blanks (whitespace outside quotes
  // only separates words; inside quotes it does not matter here, since edits copy source text).
  const starts: { at: number; tok: Token }[] = [];
  let text = '';
  for (const tok of ins.args) {
    if (text) text += ' ';
    starts.push({ at: text.length, tok });
    text += tok.value;
    if (!tok.crossesLines && source.slice(tok.span.start, tok.span.end) !== tok.value) return { ok: false, reason: 'the RUN text could not be mapped to its source' };
  }
  const parsed = parseShell(text);
  if (!parsed.ok) return { ok: false, reason: `the command uses ${parsed.reason}` };
  const toSource = (offset: number): number | undefined => {
    for (const { at, tok } of starts) {
      if (offset < at || offset > at + tok.value.length) continue;
      if (tok.crossesLines) return undefined;
      return tok.span.start + (offset - at);
    }
    return undefined;
  };
  return { ok: true, run: { ins, form: 'shell', items: parsed.items, text, toSource } };
}

export interface Found {
  item: ShItem;
  index: number;
  cmd: InstallCommand;
  ecosystem: Ecosystem;
}

/** The first command in the RUN that an ecosystem recognises as its install (or build). */
export function findInstall(run: ReadRun, ecosystems: Ecosystem[]): Found | undefined {
  for (let index = 0; index < run.items.length; index++) {
    const item = run.items[index]!;
    for (const c of item.pipeline) {
      const cmd = toInstall(c, run.form === 'exec');
      const eco = ecosystems.find((e) => e.identify(cmd));
      if (eco) return { item, index, cmd, ecosystem: eco };
    }
  }
  return undefined;
}

/** `set -e` (or `set -o errexit`) among the leading `set` commands. */
export function leadingSets(items: ShItem[]): { count: number; errexit: boolean } {
  let count = 0;
  let errexit = false;
  for (const it of items) {
    if (it.pipeline.length !== 1) break;
    const s = setCommand(it.pipeline[0]!);
    if (!s.isSet) break;
    errexit ||= s.errexit;
    count++;
  }
  return { count, errexit };
}

/** The raw text of an item (for messages). */
export function itemText(run: ReadRun, item: ShItem): string {
  if (run.form === 'exec') return run.ins.args.map((a) => a.value).join(' ');
  const t = run.text.slice(item.start, item.end);
  return t.length > 60 ? t.slice(0, 57) + '…' : t;
}
