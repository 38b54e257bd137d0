// Reporters: format a RunResult for stdout. Formatting only; no I/O, no transforms.

import type { RunResult } from '../types.js';
import { diffStream } from './diff.js';
import { jsonStream } from './json.js';
import { markdownStream } from './markdown.js';
import { sarifStream } from './sarif.js';
import type { ReportStream } from './stream.js';
import { summaryStream } from './summary.js';

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

/**
 * A reporter that takes outcomes one at a time (see ReportStream), so that `diff`, `json`, `summary` and `none`
 * print each file as soon as it is done, and `markdown` and `sarif` keep no file texts. (The CLI uses
 * `openReportStream`, which loads only the one reporter it needs.)
 */
export function reportStream(name: FormatName, opts: FormatOptions = {}): ReportStream {
  switch (name) {
    case 'diff':
      return diffStream(!!opts.color);
    case 'json':
      return jsonStream();
    case 'markdown':
      return markdownStream();
    case 'sarif':
      return sarifStream(opts.toolVersion ?? '0.0.0');
    case 'summary':
      return summaryStream();
    case 'none':
      return { add: () => '', end: () => '' };
    default: {
      const never: never = name;
      throw new Error(`unknown format: ${String(never)}`);
    }
  }
}

export function formatResult(name: FormatName, result: RunResult, opts: FormatOptions = {}): string {
  const s = reportStream(name, opts);
  let out = '';
  for (const o of result.outcomes) out += s.add(o);
  return out + s.end(result);
}

export { unifiedDiff, colorizeDiff, diffStream } from './diff.js';
export { formatJson, jsonStream } from './json.js';
export { formatMarkdown, markdownStream } from './markdown.js';
export { formatSarif, sarifStream } from './sarif.js';
export { formatSummary, summaryLine, summaryStream } from './summary.js';
export { openReportStream } from './open.js';
export type { ReportStream } from './stream.js';
