// `--format json`: one document for bots. The shape is the user-facing contract (CONTRACT.md); only add
// fields, never change what one means. `before`, `after`, `absPath` and `mode` stay internal.

import type { Message, RunResult } from '../types.js';
import { unifiedDiff } from './diff.js';

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

export function toJsonReport(result: RunResult): JsonReport {
  const files = result.outcomes.map((o): JsonFile => {
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
  });
  const t = result.totals;
  return {
    version: 1,
    files,
    totals: {
      scanned: t.scanned,
      changed: t.changed,
      created: t.created,
      unchanged: t.unchanged,
      skipped: t.skipped,
      errors: t.errors,
    },
  };
}

export function formatJson(result: RunResult): string {
  return JSON.stringify(toJsonReport(result), null, 2) + '\n';
}
