// The `api` object a transform receives. Everything a transform may do goes through it, so transforms stay
// pure: no file system, no runner, no reporters.

import { Editor } from '../dockerfile/edit.js';
import type { ProtectedRegion } from '../dockerfile/edit.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import type { BuildContext, DockerfileModel, Instruction, Message, MessageInput, Span, TransformApi } from '../types.js';

export interface EmittedFile {
  /** Relative to the build context root, `/` separators. */
  rel: string;
  content: string;
  transform: string;
}

export interface ApiState {
  messages: Message[];
  emitted: EmittedFile[];
  /** Set by `api.skip()`: the transform left the file alone on purpose. */
  skipped: boolean;
}

/** Protected regions for one transform: parser disagreements plus instructions suppressed for it. */
export function protectedRegions(model: DockerfileModel, transform: string): ProtectedRegion[] {
  const regions: ProtectedRegion[] = [...model.unsafe];
  for (const [index, names] of model.suppressions) {
    if (!names.has('*') && !names.has(transform)) continue;
    const ins = model.instructions[index]!;
    regions.push({ span: { start: ins.lineStart, end: ins.span.end }, reason: `instruction at line ${ins.startLine} is suppressed by "# dockshift-ignore"` });
  }
  return regions;
}

export function isSuppressedFor(model: DockerfileModel, ins: Instruction, transform: string): boolean {
  const names = model.suppressions.get(ins.index);
  return !!names && (names.has('*') || names.has(transform));
}

export function normalizeEmitPath(rel: string): string {
  const clean = rel.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!clean || clean.startsWith('/') || clean.split('/').some((p) => p === '..' || p === '')) {
    throw new Error(`emitFile needs a path inside the build context, got "${rel}"`);
  }
  return clean;
}

export function createApi(model: DockerfileModel, transform: string, getContext: () => BuildContext, state: ApiState): TransformApi {
  const line = (at?: Span) => (at ? model.lineOf(at.start) : undefined);
  const push = (level: Message['level'], message: string, at?: Span) => {
    const m: Message = { transform, level, message };
    const l = line(at);
    if (l !== undefined) m.line = l;
    state.messages.push(m);
  };
  let context: BuildContext | undefined;
  return {
    model,
    name: transform,
    parse: (text: string, path?: string) => parseDockerfile(text, path ?? model.source.path),
    edit: (m?: DockerfileModel) => new Editor(m ?? model, () => protectedRegions(m ?? model, transform)),
    get context() {
      return (context ??= getContext());
    },
    emitFile(rel: string, content: string) {
      state.emitted.push({ rel: normalizeEmitPath(rel), content, transform });
    },
    report(message: string | MessageInput, at?: Span) {
      if (typeof message === 'string') push('info', message, at);
      else push(message.level ?? 'info', message.message, message.at ?? at);
    },
    skip(reason: string, at?: Span) {
      state.skipped = true;
      push('warning', reason, at);
    },
    isSuppressed: (ins: Instruction) => isSuppressedFor(model, ins, transform),
  };
}
