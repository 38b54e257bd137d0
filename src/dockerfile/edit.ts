// Splice edits on the original text. Nothing is ever re-printed from a tree: every byte outside an edit's span
// comes from the original text. Overlapping edits are an error, never a silent merge, and edits that touch a
// protected region (parser disagreement, `# dockshift-ignore`) are refused with the region's reason.

import type { DockerfileModel, Edit, Instruction, Mount, Span, Stage } from '../types.js';

export class EditConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditConflictError';
  }
}

/** An edit would touch a region that must not be edited; `reason` says why (shown to the user). */
export class ProtectedRegionError extends Error {
  constructor(readonly reason: string, readonly span: Span) {
    super(reason);
    this.name = 'ProtectedRegionError';
  }
}

export interface ProtectedRegion {
  span: Span;
  reason: string;
}

function conflicts(a: Span, b: Span): boolean {
  const aEmpty = a.start === a.end;
  const bEmpty = b.start === b.end;
  if (aEmpty && bEmpty) return a.start === b.start; // two inserts at one point: order would be a guess
  if (aEmpty) return b.start < a.start && a.start < b.end;
  if (bEmpty) return a.start < b.start && b.start < a.end;
  return a.start < b.end && b.start < a.end;
}

function touches(edit: Span, region: Span): boolean {
  if (edit.start === edit.end) return region.start < edit.start && edit.start <= region.end;
  return edit.start < region.end && region.start < edit.end;
}

export class Editor {
  private readonly edits: Edit[] = [];
  readonly text: string;
  readonly eol: string;

  private regions: ProtectedRegion[] | undefined;

  /** `protectedRegions` may be a function: it is called on the first edit (regions can be costly to compute). */
  constructor(readonly model: DockerfileModel, private readonly protectedRegions: ProtectedRegion[] | (() => ProtectedRegion[]) = () => model.unsafe) {
    this.text = model.source.text;
    this.eol = model.source.eol;
  }

  /**
   * Protected regions (parser disagreements, suppressed instructions) always lie within the instructions, so an
   * edit that ends where the first instruction's line starts cannot touch one, and needs no cross-check.
   */
  private regionsFor(span: Span): ProtectedRegion[] {
    return span.end <= (this.model.instructions[0]?.lineStart ?? 0) ? [] : this.getRegions();
  }

  private getRegions(): ProtectedRegion[] {
    return (this.regions ??= typeof this.protectedRegions === 'function' ? this.protectedRegions() : this.protectedRegions);
  }

  get size(): number {
    return this.edits.length;
  }

  /** Why `span` may not be edited (an unsafe or suppressed region), or undefined when it may. */
  protectedReason(span: Span): string | undefined {
    for (const r of this.regionsFor(span)) if (touches(span, r.span) || (span.start <= r.span.start && r.span.end <= span.end)) return r.reason;
    return undefined;
  }

  /** Replace the text at `span`. */
  replace(span: Span, text: string): this {
    if (span.start < 0 || span.end > this.text.length || span.end < span.start) throw new EditConflictError(`edit span ${span.start}-${span.end} is outside the file`);
    if (this.text.slice(span.start, span.end) === text) return this; // a no-op edit is not an edit
    for (const r of this.regionsFor(span)) if (touches(span, r.span)) throw new ProtectedRegionError(r.reason, r.span);
    for (const e of this.edits) {
      if (conflicts(e.span, span)) {
        throw new EditConflictError(`overlapping edits at lines ${this.model.lineOf(span.start)} and ${this.model.lineOf(e.span.start)}`);
      }
    }
    this.edits.push({ span: { ...span }, text });
    return this;
  }

  insert(offset: number, text: string): this {
    return this.replace({ start: offset, end: offset }, text);
  }

  delete(span: Span): this {
    return this.replace(span, '');
  }

  /** Insert whole lines above an instruction, with its indentation and the file's line ending. */
  insertLinesBefore(ins: Instruction, lines: string[]): this {
    return this.insert(ins.lineStart, lines.map((l) => ins.indent + l + this.eol).join(''));
  }

  /** Insert whole lines below an instruction (below heredoc bodies too), keeping a missing final newline missing. */
  insertLinesAfter(ins: Instruction, lines: string[]): this {
    const block = lines.map((l) => ins.indent + l);
    const atEof = ins.lineEnd === this.text.length && !this.text.endsWith('\n');
    if (atEof) return this.insert(ins.lineEnd, block.map((l) => this.eol + l).join(''));
    return this.insert(ins.lineEnd, block.map((l) => l + this.eol).join(''));
  }

  /** Add lines at the start of a stage: right after its FROM (an instruction the stage's first user will see). */
  insertAtStageStart(stage: Stage, lines: string[]): this {
    return this.insertLinesAfter(stage.from, lines);
  }

  /** Insert lines at the top of the file body, after a BOM and the directive block. */
  insertAfterDirectives(lines: string[]): this {
    return this.insert(this.model.directivesEnd, lines.map((l) => l + this.eol).join(''));
  }

  /**
   * Set one option of a `--mount` flag: replace the value of the existing field (aliases count: dst/destination
   * for target, src for source), or append `,key=value` at the end of the flag value.
   */
  setMountOption(mount: Mount, key: string, value: string): this {
    const existing = mount.get(key);
    const flag = mount.flag;
    if (flag.quoted) throw new ProtectedRegionError(`--mount at line ${this.model.lineOf(flag.span.start)} uses quotes or escapes; not edited`, flag.span);
    if (existing) {
      if (existing.crossesLines) throw new ProtectedRegionError(`--mount option ${existing.key} at line ${this.model.lineOf(existing.span.start)} continues over lines; not edited`, existing.span);
      if (!existing.valueSpan) return this.replace(existing.span, `${existing.key}=${value}`);
      return this.replace(existing.valueSpan, value);
    }
    if (!flag.valueSpan) throw new EditConflictError(`--mount at line ${this.model.lineOf(flag.span.start)} has no value`);
    // Appended after the value's last character, which is on its last line when the value crosses lines.
    return this.insert(flag.valueSpan.end, `,${key}=${value}`);
  }

  /** Add a flag right after the keyword (`RUN --network=none …`). */
  addFlag(ins: Instruction, flag: string): this {
    return this.insert(ins.keywordSpan.end, ` ${flag}`);
  }

  /** The edits, sorted by position. */
  list(): Edit[] {
    return [...this.edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  }

  /** Splice every edit into the original text. */
  apply(): string {
    if (this.edits.length === 0) return this.text;
    let out = '';
    let pos = 0;
    for (const e of this.list()) {
      out += this.text.slice(pos, e.span.start) + e.text;
      pos = e.span.end;
    }
    return out + this.text.slice(pos);
  }

  toString(): string {
    return this.apply();
  }
}

/** Applies a list of edits to a text (same rules as Editor: no overlaps). */
export function applyEdits(model: DockerfileModel, edits: Edit[]): string {
  const editor = new Editor(model, []);
  for (const e of edits) editor.replace(e.span, e.text);
  return editor.apply();
}
