// The core types every layer shares. Offsets are JavaScript string indices (UTF-16 code units) into
// SourceFile.text, which is the whole decoded file *including* a BOM character when there is one, so that
// a span always addresses exactly the bytes the user sees.

/** Half-open range [start, end) of offsets into the original text. */
export interface Span {
  start: number;
  end: number;
}

/** Replace `span` with `text`. An insert has an empty span; a delete has empty text. */
export interface Edit {
  span: Span;
  text: string;
}

export type LineEnding = '\n' | '\r\n';

export interface SourceFile {
  /** Path as given to the runner (relative to cwd, `/` separators) or a virtual path in tests. */
  path: string;
  text: string;
  /** The dominant line ending; new lines that a transform inserts use it. */
  eol: LineEnding;
  /** True when text starts with U+FEFF. Insertions "at the top" go after it. */
  bom: boolean;
}

/** A value with its exact source range. */
export interface Token {
  /** The text as BuildKit sees it after joining continuation lines (quotes kept, not unescaped). */
  value: string;
  span: Span;
  /** The token crosses a line continuation (or a comment line inside one): never splice inside it. */
  crossesLines: boolean;
}

export interface Flag {
  /** Name without the leading `--`, as written (`mount`, `from`, `platform`, …). */
  name: string;
  /** Everything after `=`; undefined for a bare `--link`. */
  value?: string;
  /** The whole `--name=value` token. */
  span: Span;
  nameSpan: Span;
  valueSpan?: Span;
  crossesLines: boolean;
  /** The value contains quotes or escapes, so its text is not the value BuildKit uses. */
  quoted: boolean;
}

/** One `key=value` field of a `--mount` flag value. */
export interface MountOption {
  key: string;
  value?: string;
  /** The whole field, without the separating comma. */
  span: Span;
  valueSpan?: Span;
  /** The field crosses a line continuation: it is not edited in place. */
  crossesLines: boolean;
}

export interface Mount {
  flag: Flag;
  /** Lower-cased, with defaults applied: `bind` when there is no `type`. */
  type: string;
  options: MountOption[];
  /** Canonical accessors (aliases resolved: dst/destination → target, src → source, ro/readonly). */
  get(key: 'type' | 'id' | 'target' | 'source' | 'from' | 'sharing' | 'mode' | 'uid' | 'gid' | string): MountOption | undefined;
}

export interface Heredoc {
  /** The delimiter word as written, e.g. `EOF`, `"EOF"`, `-EOT` is chomp with name `EOT`. */
  name: string;
  chomp: boolean;
  /** Quoted delimiter: the content is not expanded. */
  quoted: boolean;
  /** The `<<EOF` word on the instruction line. */
  markerSpan: Span;
  /** The body, from the first byte after the instruction line's end of line to the start of the terminator line. */
  bodySpan: Span;
  /** The terminator line, without its line ending. */
  terminatorSpan: Span;
}

export interface Comment {
  /** `# text`, from the `#` to the end of the line (without line ending). */
  span: Span;
  /** The text after `#`, trimmed. */
  text: string;
  /** 1-based line. */
  line: number;
  /** True when the comment sits inside a continued instruction. */
  insideInstruction: boolean;
}

export interface Directive {
  /** Lower-cased name: `syntax`, `escape` or `check`. */
  name: string;
  value: string;
  /** The whole line without its line ending (from the start of the line, after a BOM). */
  span: Span;
  valueSpan: Span;
  line: number;
  /** A `# syntax=` right after a `#!` first line: BuildKit uses it to pick the frontend (only `syntax` counts there). */
  afterShebang?: boolean;
}

export interface Instruction {
  /** Upper-cased keyword (`RUN`, `COPY`, …). */
  keyword: string;
  /** From the keyword to the end of the last line that belongs to it (heredoc terminators included), without the final line ending. */
  span: Span;
  keywordSpan: Span;
  /** Offset where the instruction's first physical line starts (before indentation). */
  lineStart: number;
  /** Offset just past the line ending of the instruction's last line (== text.length when the file ends without one). */
  lineEnd: number;
  /** Leading whitespace of the first line. */
  indent: string;
  /** 1-based first and last lines. */
  startLine: number;
  endLine: number;
  flags: Flag[];
  /** Whitespace-separated arguments after the flags (as BuildKit splits COPY/ADD/FROM); for JSON form the array elements. */
  args: Token[];
  /** Span of the whole argument text after the flags (may cross lines); undefined when there is none. */
  argsSpan?: Span;
  /**
   * The argument text as BuildKit hands it on (continuations removed, comment lines inside them dropped): what
   * the shell runs for a shell-form RUN. `toSource` maps an offset in it to the file (an end offset maps to just
   * past the previous character); undefined when there are no arguments.
   */
  argsText?: LogicalText;
  /** `RUN ["a", "b"]`, `COPY ["a", "b"]`, … */
  jsonForm: boolean;
  heredocs: Heredoc[];
  /** For ONBUILD: the trigger instruction, parsed in place. */
  trigger?: Instruction;
  /** Index of the stage this instruction belongs to; -1 for instructions before the first FROM (global ARGs). */
  stage: number;
  /** Index in model.instructions. */
  index: number;
  /** Comment lines directly above (no blank line between), innermost last. */
  leadingComments: Comment[];
  /** `--mount` flags of a RUN, parsed. */
  mounts: Mount[];
}

export interface LogicalText {
  text: string;
  toSource(offset: number, isEnd?: boolean): number;
}

export interface Stage {
  index: number;
  /** As written after AS, or undefined. Stage names are case-insensitive in BuildKit: compare lower-cased. */
  name?: string;
  /** The base image or stage reference as written (variables unexpanded). */
  base: string;
  baseToken?: Token;
  /** `--platform` value as written. */
  platform?: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface UnsafeRegion {
  span: Span;
  reason: string;
}

export interface DockerfileModel {
  source: SourceFile;
  /** `\\` or `` ` `` from `# escape=`. */
  escape: '\\' | '`';
  /** The effective directive block only. */
  directives: Directive[];
  /** Offset where the directive block starts (after a BOM). */
  bodyStart: number;
  /** Offset just past the directive block (line endings included); equals bodyStart when there is none. */
  directivesEnd: number;
  instructions: Instruction[];
  comments: Comment[];
  stages: Stage[];
  /** Regions where dockerfile-ast and BuildKit's rules disagree, or that are otherwise unsafe to edit (computed on first access). */
  readonly unsafe: UnsafeRegion[];
  /** `# dockshift-ignore-file` in the leading comment block. */
  ignoreFile: boolean;
  /** Per-instruction suppressions from `# dockshift-ignore[ NAME,…]` on the line above: instruction index → names ('*' = all). */
  suppressions: Map<number, Set<string>>;
  /** 1-based line of an offset. */
  lineOf(offset: number): number;
  /** The dockerfile-ast tree, for read-only queries (variables, resolveVariable, …). Lazily built. */
  readonly ast: import('dockerfile-ast').Dockerfile;
}

// ---------------------------------------------------------------------------------------------------
// Transforms

export type Safety = 'safe' | 'unsafe';

export interface TransformOptionMeta {
  type: 'string' | 'boolean' | 'number';
  description: string;
  default?: string | boolean | number;
}

export interface TransformMeta {
  name: string;
  description: string;
  /** Runs when no `-t` is given. */
  recommended?: boolean;
  /** `unsafe` = may change build behaviour; the docs say why. */
  safety?: Safety;
  /** Link or path to the docs. */
  docs?: string;
  options?: Record<string, TransformOptionMeta>;
  /** The transform reads the build context or emits files into it; compose/bake/devcontainer/config contexts are resolved only for runs with such transforms (or custom ones). */
  readsContext?: boolean;
}

export interface FileInfo {
  path: string;
  source: string;
}

export interface BuildContext {
  /** Absolute directory of the context (undefined for in-memory contexts). */
  root?: string;
  /** Context-relative paths of every regular file (`/` separators), sorted; optionally filtered by a glob. */
  list(glob?: string): string[];
  read(rel: string): string | undefined;
  exists(rel: string): boolean;
  /** The Dockerfile's path relative to the context root. */
  dockerfile: string;
  /** Where the context came from: `directory`, `compose`, `bake`, `devcontainer`, `config`, `test`. */
  origin: string;
}

export interface MessageInput {
  level?: 'info' | 'warning' | 'error';
  message: string;
  at?: Span;
}

export interface TransformApi {
  /** The parsed model of `file.source` (shared; parsed once per text). */
  model: DockerfileModel;
  parse(text: string, path?: string): DockerfileModel;
  /** A fresh editor over `model` (or over the current model). */
  edit(model?: DockerfileModel): import('./dockerfile/edit.js').Editor;
  context: BuildContext;
  /** Create or replace a file relative to the build context (e.g. `.dockerignore`). */
  emitFile(rel: string, content: string): void;
  report(message: string | MessageInput, at?: Span): void;
  /** Leave (part of) the file alone on purpose and say why; the file is `skipped` when nothing else changed it. */
  skip(reason: string, at?: Span): void;
  /** The transform's own name, for messages. */
  name: string;
  /** Instruction-level suppressions for this transform. */
  isSuppressed(instruction: Instruction): boolean;
}

export type TransformResult = string | null | undefined | void;

export type TransformFn = (file: FileInfo, api: TransformApi, options: Record<string, unknown>) => TransformResult | Promise<TransformResult>;

export interface Transform {
  meta: TransformMeta;
  fn: TransformFn;
  /** Where it was loaded from (built-in name or absolute path). */
  origin: string;
}

// ---------------------------------------------------------------------------------------------------
// Outcomes

export type Status = 'changed' | 'created' | 'unchanged' | 'skipped' | 'error';

export interface Message {
  transform?: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  /** 1-based. */
  line?: number;
}

export interface Outcome {
  /** Relative to cwd, `/` separators. */
  path: string;
  kind: 'dockerfile' | 'generated';
  status: Status;
  transforms: string[];
  messages: Message[];
  /** Text before (undefined for created files and unreadable ones). */
  before?: string;
  /** Text after (only when changed or created). */
  after?: string;
  /** Absolute path, for writing. */
  absPath: string;
  /** File mode to keep on write. */
  mode?: number;
  /** Where the build context came from: `directory`, `compose`, `bake`, `devcontainer` or `config` (and which file said so). */
  context?: { path: string; origin: string; definedIn?: string };
}

export interface Totals {
  scanned: number;
  changed: number;
  created: number;
  unchanged: number;
  skipped: number;
  errors: number;
}

export interface RunResult {
  outcomes: Outcome[];
  /** Problems outside any one Dockerfile (an unreadable compose, bake or devcontainer.json file), for stderr. */
  warnings?: string[];
  totals: Totals;
  /** Milliseconds. */
  elapsed: number;
}
