// A deliberately small POSIX-shell reader for RUN commands. It understands lists of simple commands joined by
// `&&`, `||`, `;`, newlines and pipes, with quotes, escapes, parameter expansions and redirections, and it
// refuses (with a reason) everything else: subshells, groups, command substitution, conditionals and loops,
// here-documents, background jobs. Refusing is always allowed; misreading a command never is.

export interface ShWord {
  /** The word as written (quotes and escapes kept). */
  raw: string;
  /** Offsets into the parsed text. */
  start: number;
  end: number;
  /** The literal value after quote removal; undefined when the word has an expansion (`$x`, `~`, globs, braces). */
  value?: string;
}

export interface ShCommand {
  /** Leading `NAME=value` words. */
  assigns: ShWord[];
  /** The command words (redirections and their targets removed). */
  words: ShWord[];
  start: number;
  end: number;
  redirected: boolean;
}

export type Separator = '' | '&&' | '||' | ';' | '\n';

export interface ShItem {
  /** Commands joined by `|` (one for a plain command). */
  pipeline: ShCommand[];
  start: number;
  end: number;
  /** Separator before the item ('' for the first) and after it ('' for the last). */
  before: Separator;
  after: Separator;
}

export type ShParse = { ok: true; items: ShItem[] } | { ok: false; reason: string };

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'while', 'until', 'do', 'done', 'function', 'select', '{', '}', '!', '[[', ']]', 'time', 'coproc']);
const BLANK = new Set([' ', '\t', '\r', '\v', '\f']);
const OPERATOR_CHARS = new Set(['&', '|', ';', '<', '>', '(', ')', '\n']);

class Refusal extends Error {}

/** Parses `text` (a RUN's shell form, or a heredoc body). */
export function parseShell(text: string): ShParse {
  try {
    return { ok: true, items: parse(text) };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.message };
    throw e;
  }
}

type Tok = { kind: 'word'; word: ShWord } | { kind: 'op'; op: string; start: number; end: number };

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    const ch = s[i]!;
    if (BLANK.has(ch)) {
      i++;
      continue;
    }
    if (ch === '\\' && s[i + 1] === '\n') {
      i += 2; // line continuation
      continue;
    }
    if (ch === '\\' && s[i + 1] === '\r' && s[i + 2] === '\n') {
      i += 3;
      continue;
    }
    if (ch === '#') {
      while (i < n && s[i] !== '\n') i++; // a comment (only at the start of a word)
      continue;
    }
    if (OPERATOR_CHARS.has(ch)) {
      const two = s.slice(i, i + 2);
      const three = s.slice(i, i + 3);
      let op: string;
      if (three === '&>>') op = three;
      else if (['&&', '||', ';;', '|&', '<<', '>>', '>&', '<&', '&>', '>|', '<>'].includes(two)) op = two;
      else op = ch;
      if (op === '<<') throw new Refusal('a here-document inside the command');
      if (op === '(' || op === ')') throw new Refusal('a subshell or function definition');
      if (op === ';;' || op === '|&') throw new Refusal(`the shell operator "${op}"`);
      if (op === '&') throw new Refusal('a background job ("&")');
      toks.push({ kind: 'op', op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    const word = readWord(s, i);
    toks.push({ kind: 'word', word });
    i = Math.max(word.end, i + 1);
  }
  return toks;
}

function readWord(s: string, start: number): ShWord {
  let i = start;
  const n = s.length;
  let value = '';
  let literal = true;
  while (i < n) {
    const ch = s[i]!;
    if (BLANK.has(ch) || OPERATOR_CHARS.has(ch)) break;
    if (ch === "'") {
      const close = s.indexOf("'", i + 1);
      if (close < 0) throw new Refusal('an unterminated single quote');
      value += s.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Refusal('an unterminated double quote');
        const c = s[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\' && i + 1 < n) {
          const next = s[i + 1]!;
          if ('$`"\\\n'.includes(next)) {
            if (next !== '\n') value += next;
            i += 2;
            continue;
          }
          value += c;
          i++;
          continue;
        }
        if (c === '`') throw new Refusal('command substitution (backquotes)');
        if (c === '$') {
          i = readExpansion(s, i);
          literal = false;
          continue;
        }
        value += c;
        i++;
      }
    } else if (ch === '\\') {
      if (i + 1 >= n) {
        i++;
        continue;
      }
      if (s[i + 1] === '\n') {
        i += 2;
        continue;
      }
      value += s[i + 1];
      i += 2;
    } else if (ch === '`') {
      throw new Refusal('command substitution (backquotes)');
    } else if (ch === '$') {
      i = readExpansion(s, i);
      literal = false;
    } else {
      if (ch === '*' || ch === '?' || ch === '[' || (ch === '~' && i === start) || ch === '{' || ch === '}') literal = false;
      value += ch;
      i++;
    }
  }
  const word: ShWord = { raw: s.slice(start, i), start, end: i };
  if (literal) word.value = value;
  return word;
}

/** Skips a `$…` expansion starting at `i` (on the `$`); returns the offset after it. */
function readExpansion(s: string, i: number): number {
  const next = s[i + 1];
  if (next === '(') throw new Refusal('command substitution ("$(…)")');
  if (next === '{') {
    const close = s.indexOf('}', i + 2);
    if (close < 0) throw new Refusal('an unterminated "${"');
    const inner = s.slice(i + 2, close);
    if (/[$`{('"\\]/.test(inner)) throw new Refusal('a nested expansion inside "${…}"');
    return close + 1;
  }
  if (next !== undefined && /[A-Za-z_]/.test(next)) {
    let j = i + 1;
    while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
    return j;
  }
  if (next !== undefined && /[0-9@*#?$!-]/.test(next)) return i + 2;
  return i + 1; // a lone `$` is literal, but the word is no longer treated as a plain literal
}

const ASSIGN_RE = /^[A-Za-z_][A-Za-z0-9_]*=/;

function parse(text: string): ShItem[] {
  const toks = tokenize(text);
  const items: ShItem[] = [];
  let pipeline: ShCommand[] = [];
  let cmd: ShCommand | undefined;
  let before: Separator = '';
  let expectTarget = false;
  let lastOp = '';

  const endCommand = () => {
    if (expectTarget) throw new Refusal('a redirection without a target');
    if (!cmd) return false;
    pipeline.push(cmd);
    cmd = undefined;
    return true;
  };
  const endItem = (sep: Separator) => {
    endCommand();
    if (pipeline.length === 0) {
      if (sep === '\n' || sep === ';') {
        // An empty line, or `;` after nothing: fine for newlines, suspicious for `;`.
        if (sep === ';') throw new Refusal('an empty command before ";"');
        return;
      }
      if (sep === '') return;
      throw new Refusal(`"${sep}" without a command before it`);
    }
    const item: ShItem = { pipeline, start: pipeline[0]!.start, end: pipeline[pipeline.length - 1]!.end, before, after: sep };
    items.push(item);
    pipeline = [];
    before = sep;
  };

  for (const t of toks) {
    if (t.kind === 'op' && t.op !== '\n') lastOp = t.op;
    else if (t.kind === 'word') lastOp = '';
    if (t.kind === 'word') {
      const w = t.word;
      if (expectTarget) {
        expectTarget = false;
        if (cmd) cmd.end = w.end;
        continue;
      }
      if (!cmd) {
        if (RESERVED.has(w.raw)) throw new Refusal(`the shell construct "${w.raw}"`);
        cmd = { assigns: [], words: [], start: w.start, end: w.end, redirected: false };
      }
      if (cmd.words.length === 0 && ASSIGN_RE.test(w.raw)) cmd.assigns.push(w);
      else {
        if (cmd.words.length === 0 && RESERVED.has(w.raw)) throw new Refusal(`the shell construct "${w.raw}"`);
        cmd.words.push(w);
      }
      cmd.end = w.end;
      continue;
    }
    switch (t.op) {
      case '&&':
      case '||':
      case ';':
      case '\n':
        if (t.op === '\n' && !cmd && pipeline.length > 0) throw new Refusal('a pipe at the end of a line');
        endItem(t.op as Separator);
        break;
      case '|':
        if (!endCommand()) throw new Refusal('"|" without a command before it');
        break;
      default: {
        // A redirection. A preceding all-digit word is its file descriptor, not an argument.
        if (!cmd) cmd = { assigns: [], words: [], start: t.start, end: t.end, redirected: true };
        const last = cmd.words[cmd.words.length - 1];
        if (last && last.end === t.start && /^\d+$/.test(last.raw)) cmd.words.pop();
        cmd.redirected = true;
        cmd.end = t.end;
        expectTarget = true;
      }
    }
  }
  if (pipeline.length > 0 && !cmd) throw new Refusal('a pipe at the end of the command');
  if (!cmd && pipeline.length === 0 && (lastOp === '&&' || lastOp === '||')) throw new Refusal(`"${lastOp}" at the end of the command`);
  endItem('');
  if (items.length > 0) items[items.length - 1]!.after = '';
  return items;
}

/** The command's literal arguments, or undefined when any word is not a plain literal. */
export function literalArgs(cmd: ShCommand): string[] | undefined {
  const out: string[] = [];
  for (const w of cmd.words) {
    if (w.value === undefined) return undefined;
    out.push(w.value);
  }
  return out;
}

/** `set -e`, `set -eux`, `set -o errexit`, …: returns whether the command is a `set` of options, and whether it turns errexit on. */
export function setCommand(cmd: ShCommand): { isSet: boolean; errexit: boolean } {
  const args = literalArgs(cmd);
  if (!args || args[0] !== 'set' || cmd.assigns.length || cmd.redirected) return { isSet: false, errexit: false };
  let errexit = false;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-o' || a === '+o') {
      const name = args[++i];
      if (name === undefined) return { isSet: false, errexit: false };
      if (name === 'errexit') errexit = a === '-o';
      continue;
    }
    if (!/^[-+][a-zA-Z]+$/.test(a)) return { isSet: false, errexit: false };
    if (a.includes('e')) errexit = a.startsWith('-');
  }
  return { isSet: true, errexit };
}
