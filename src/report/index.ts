// Reporters: format a RunResult for stdout. Formatting only; no I/O, no transforms.

import type { RunResult } from '../types.js';
import { colorizeDiff, unifiedDiff } from './diff.js';
import { formatJson } from './json.js';
import { formatMarkdown } from './markdown.js';
import { formatSarif } from './sarif.js';
import { formatSummary } from './summary.js';

export type FormatName = 'diff' | 'json' | 'markdown' | 'sarif' | 'summary' | 'none';

export const FORMATS: readonly FormatName[] = ['diff', 'json', 'markdown', 'sarif', 'summary', 'none'];

export function isFormatName(name: string): name is FormatName {
  return (FORMATS as readonly string[]).includes(name);
}

export interface FormatOptions {
  /** ANSI colors (diff format only; for a TTY). */
  color?: boolean;
  /** For SARIF's tool.driver.version. */
  toolVersion?: string;
}

/** Every changed/created file's unified diff, in outcome order. */
export function formatDiff(result: RunResult): string {
  let out = '';
  for (const o of result.outcomes) {
    if (o.status === 'changed' || o.status === 'created') out += unifiedDiff(o);
  }
  return out;
}

export function formatResult(name: FormatName, result: RunResult, opts: FormatOptions = {}): string {
  switch (name) {
    case 'diff': {
      const text = formatDiff(result);
      return opts.color ? colorizeDiff(text) : text;
    }
    case 'json':
      return formatJson(result);
    case 'markdown':
      return formatMarkdown(result);
    case 'sarif':
      return formatSarif(result, opts.toolVersion ?? '0.0.0');
    case 'summary':
      return formatSummary(result);
    case 'none':
      return '';
    default: {
      const never: never = name;
      throw new Error(`unknown format: ${String(never)}`);
    }
  }
}

export { unifiedDiff, colorizeDiff } from './diff.js';
export { formatJson } from './json.js';
export { formatMarkdown } from './markdown.js';
export { formatSarif } from './sarif.js';
export { formatSummary, summaryLine } from './summary.js';
