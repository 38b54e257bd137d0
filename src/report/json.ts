// `--format json`: one document for bots. The shape is the user-facing contract (CONTRACT.md); only add
// fields, never change what one means. `before`, `after`, `absPath` and `mode` stay internal.

import type { Message, Outcome, RunResult } from '../types.js';
import { unifiedDiff } from './diff.js';
import type { ReportStream } from './stream.js';

export interface JsonMessage {
  transform?: string;
  level: Message['level'];
  message: string;
  line?: number;
}

export interface JsonFile {
  path: string;
  kind: 'dockerfile' | 'generated';
  status: 'changed' | 'created' | 'unchanged' | 'skipped' | 'error';
  transforms: string[];
  messages: JsonMessage[];
  diff?: string;
  context?: { path: string; origin: string; definedIn?: string };
}

export interface JsonReport {
  version: 1;
  files: JsonFile[];
  totals: RunResult['totals'];
}

export function jsonMessage(m: Message): JsonMessage {
  // Key order as in the contract: transform, level, message, line.
  const out: JsonMessage = {} as JsonMessage;
  if (m.transform !== undefined) out.transform = m.transform;
  out.level = m.level;
  out.message = m.message;
  if (m.line !== undefined) out.line = m.line;
  return out;
}

/** One file's entry, in the contract's key order. */
export function jsonFile(o: Outcome): JsonFile {
  const f: JsonFile = {
    path: o.path,
    kind: o.kind,
    status: o.status,
    transforms: [...o.transforms],
    messages: o.messages.map(jsonMessage),
  };
  if (o.status === 'changed' || o.status === 'created') {
    const diff = unifiedDiff(o);
    if (diff !== '') f.diff = diff;
  }
  if (o.context) {
    f.context = { path: o.context.path, origin: o.context.origin };
    if (o.context.definedIn) f.context.definedIn = o.context.definedIn;
  }
  return f;
}

function jsonTotals(t: RunResult['totals']): RunResult['totals'] {
  return { scanned: t.scanned, changed: t.changed, created: t.created, unchanged: t.unchanged, skipped: t.skipped, errors: t.errors };
}

export function toJsonReport(result: RunResult): JsonReport {
  return { version: 1, files: result.outcomes.map(jsonFile), totals: jsonTotals(result.totals) };
}

/** `JSON.stringify(value, null, 2)` for a value nested `depth` levels deep in the document (2 spaces a level). */
function nested(value: unknown, depth: number): string {
  const pad = '  '.repeat(depth);
  // JSON.stringify escapes newlines inside strings, so every '\n' here is between tokens.
  return JSON.stringify(value, null, 2).split('\n').join('\n' + pad);
}

/**
 * The document is written as it goes — each file's entry as soon as the file is done, the totals at the end —
 * byte for byte what `JSON.stringify(toJsonReport(result), null, 2)` gives, so nothing but a counter is kept.
 */
export function jsonStream(): ReportStream {
  let files = 0;
  return {
    add(o) {
      const head = files++ === 0 ? '{\n  "version": 1,\n  "files": [\n' : ',\n';
      return `${head}    ${nested(jsonFile(o), 2)}`;
    },
    end(result) {
      const head = files === 0 ? '{\n  "version": 1,\n  "files": [],\n' : '\n  ],\n';
      return `${head}  "totals": ${nested(jsonTotals(result.totals), 1)}\n}\n`;
    },
  };
}

export function formatJson(result: RunResult): string {
  const s = jsonStream();
  return result.outcomes.map((o) => s.add(o)).join('') + s.end(result);
}
