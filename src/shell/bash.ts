// The shell commands of a RUN instruction, read by tree-sitter-bash (through web-tree-sitter, so no native
// build). The grammar and the WebAssembly runtime cost ~60 ms to load, so they load on first use only: runs
// that never ask about shell commands never pay for them.

import { createRequire } from 'node:module';
import type { Node as TsNode, Parser as TsParser } from 'web-tree-sitter';

export type ShellNode = TsNode;

let parserPromise: Promise<TsParser> | undefined;

/** The shared bash parser (one per thread). */
export function bashParser(): Promise<TsParser> {
  parserPromise ??= (async () => {
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const require = createRequire(import.meta.url);
    const language = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

/** One word of a command, with offsets into the parsed text. */
export interface ShellWord {
  /** As written (quotes and escapes kept). */
  raw: string;
  /** After quote removal; undefined when the word expands something (`$x`, `$(…)`, `~`…). Globs stay as written. */
  value?: string;
  start: number;
  end: number;
  node: ShellNode;
}

export interface ShellAssignment {
  name: string;
  value?: string;
  start: number;
  end: number;
}

export interface ShellCommand {
  /** The command name and its arguments, redirections excluded. */
  words: ShellWord[];
  /** Literal command name (`apt-get`), or undefined when it is computed. */
  name?: string;
  /** `NAME=value` words before the command name. */
  assignments: ShellAssignment[];
  /** Redirections attached to the command (`> file`, `2>&1`, heredocs), as written. */
  redirects: string[];
  start: number;
  end: number;
  /**
   * The node that stands for the command in its list: the command itself, or the redirected statement around it.
   * Removing a command removes this node.
   */
  statement: ShellNode;
  /** Enclosing constructs other than plain lists, outermost first: `if_statement`, `pipeline`, `subshell`, `for_statement`, `function_definition`, `command_substitution`, … */
  within: string[];
}

export interface ShellScript {
  /** The text the shell runs: the joined shell form, or a heredoc body. */
  text: string;
  commands: ShellCommand[];
  /** Offsets of `text` in the file; `isEnd` maps an end offset to just past the previous character. */
  toSource(offset: number, isEnd?: boolean): number;
  /** Whether the parser had to recover from a syntax error (then nothing in it may be trusted for edits). */
  hasError: boolean;
  root: ShellNode;
}

const TRANSPARENT = new Set(['program', 'list', 'redirected_statement']);

/** Parses shell text into its commands (every simple command, at any depth). */
export async function parseScript(text: string, toSource: ShellScript['toSource']): Promise<ShellScript> {
  const parser = await bashParser();
  const tree = parser.parse(text);
  if (!tree) throw new Error('the bash parser returned no tree');
  const root = tree.rootNode;
  const commands: ShellCommand[] = [];
  const visit = (node: ShellNode, within: string[]): void => {
    if (node.type === 'command') {
      commands.push(readCommand(node, within));
    }
    const inner = TRANSPARENT.has(node.type) || node.type === 'command' ? within : [...within, node.type];
    for (const child of node.namedChildren) if (child) visit(child, inner);
  };
  visit(root, []);
  commands.sort((a, b) => a.start - b.start);
  return { text, commands, toSource, hasError: root.hasError, root };
}

function readCommand(node: ShellNode, within: string[]): ShellCommand {
  const words: ShellWord[] = [];
  const assignments: ShellAssignment[] = [];
  const redirects: string[] = [];
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'variable_assignment') {
      const nameNode = child.childForFieldName('name');
      const valueNode = child.childForFieldName('value');
      const a: ShellAssignment = { name: nameNode?.text ?? '', start: child.startIndex, end: child.endIndex };
      const v = valueNode ? literal(valueNode) : '';
      if (v !== undefined) a.value = v;
      assignments.push(a);
    } else if (child.type === 'command_name') {
      const inner = child.namedChildren[0] ?? child;
      words.push(word(inner));
    } else if (child.type.endsWith('_redirect')) {
      redirects.push(child.text);
    } else {
      words.push(word(child));
    }
  }
  let statement = node;
  if (node.parent?.type === 'redirected_statement' && node.parent.childForFieldName('body')?.id === node.id) {
    statement = node.parent;
    for (const r of node.parent.childrenForFieldName('redirect')) if (r) redirects.push(r.text);
  }
  const cmd: ShellCommand = { words, assignments, redirects, start: node.startIndex, end: node.endIndex, statement, within };
  const name = words[0]?.value;
  if (name !== undefined) cmd.name = name;
  return cmd;
}

function word(node: ShellNode): ShellWord {
  const w: ShellWord = { raw: node.text, start: node.startIndex, end: node.endIndex, node };
  const v = literal(node);
  if (v !== undefined) w.value = v;
  return w;
}

/** The literal value of a word node, or undefined when it expands anything. */
export function literal(node: ShellNode): string | undefined {
  switch (node.type) {
    case 'word':
    case 'number': {
      const t = node.text;
      if (t.startsWith('~')) return undefined;
      return t.replace(/\\(.)/gs, '$1');
    }
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'string': {
      for (const c of node.namedChildren) if (c && c.type !== 'string_content') return undefined;
      return node.text.slice(1, -1).replace(/\\([\\"$`])/g, '$1').replace(/\\\n/g, '');
    }
    case 'concatenation':
      return literalConcatenation(node);
    default:
      return undefined;
  }
}

// Unnamed pieces between named children (a bare `=` or `:`) are literal text too.
function literalConcatenation(node: ShellNode): string | undefined {
  let out = '';
  for (const c of node.children) {
    if (!c) continue;
    if (c.isNamed) {
      const v = literal(c);
      if (v === undefined) return undefined;
      out += v;
    } else out += c.text;
  }
  return out;
}

// --- Wrappers ---------------------------------------------------------------------------------------

const SUDO_VALUE_FLAGS = new Set(['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U']);

/**
 * Index of the word that names the real program, looking through `sudo`, `env`, `command`, `exec`, `nice`,
 * `time` and `doas` prefixes (`sudo -E apt-get …` → the index of `apt-get`); undefined when a prefix takes
 * options it cannot read.
 */
export function programIndex(cmd: ShellCommand): number | undefined {
  const w = cmd.words;
  let i = 0;
  for (;;) {
    const name = w[i]?.value;
    if (name === undefined) return i < w.length ? i : undefined;
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (base === 'sudo' || base === 'doas') {
      i++;
      while (w[i]?.value?.startsWith('-')) {
        const f = w[i]!.value!;
        i += SUDO_VALUE_FLAGS.has(f) ? 2 : 1;
      }
    } else if (base === 'env') {
      i++;
      while (w[i]?.value !== undefined && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w[i]!.value!) || w[i]!.value === '-i' || w[i]!.value === '-')) i++;
      if (w[i]?.value?.startsWith('-')) return undefined;
    } else if (base === 'command' || base === 'exec' || base === 'time' || base === 'nice') {
      i++;
      if (w[i]?.value?.startsWith('-')) return undefined;
    } else return i;
  }
}

/** The real program's base name (`/usr/bin/pip3` → `pip3`), looking through wrappers. */
export function programName(cmd: ShellCommand): string | undefined {
  const i = programIndex(cmd);
  const v = i === undefined ? undefined : cmd.words[i]?.value;
  return v === undefined ? undefined : v.slice(v.lastIndexOf('/') + 1);
}
