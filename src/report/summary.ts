// `--format summary` and the one-line stderr summary.

import type { Message, Outcome, RunResult } from '../types.js';
import type { ReportStream } from './stream.js';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `dockshift: 12 files scanned, 3 changed, 1 created, 8 unchanged, 0 skipped, 0 errors (45 ms)` */
export function summaryLine(result: RunResult): string {
  const t = result.totals;
  const ms = Math.max(0, Math.round(result.elapsed));
  return (
    `dockshift: ${plural(t.scanned, 'file', 'files')} scanned, ${t.changed} changed, ${t.created} created, ` +
    `${t.unchanged} unchanged, ${t.skipped} skipped, ${plural(t.errors, 'error', 'errors')} (${ms} ms)`
  );
}

function messageText(m: Message): string {
  const where = m.line !== undefined ? `line ${m.line}: ` : '';
  const who = m.transform !== undefined ? `[${m.transform}] ` : '';
  return `${where}${who}${m.message}`;
}

// The widest status (`unchanged`) plus one blank, so paths line up and never touch the status.
const STATUS_WIDTH = 'unchanged'.length + 1;

function outcomeLines(o: Outcome): string[] {
  const status = o.status.padEnd(STATUS_WIDTH);
  const lines: string[] = [];
  let rest = o.messages;
  switch (o.status) {
    case 'changed':
    case 'created':
      lines.push(`${status}${o.path}${o.transforms.length ? `  (${o.transforms.join(', ')})` : ''}`);
      break;
    case 'error':
    case 'skipped': {
      // The first error (or, for a skipped file, the first message) is the reason, on the same line.
      const reason = o.messages.find((m) => m.level === 'error') ?? (o.status === 'skipped' ? o.messages[0] : undefined);
      lines.push(`${status}${o.path}${reason ? `: ${messageText(reason)}` : ''}`);
      rest = o.messages.filter((m) => m !== reason);
      break;
    }
    default:
      lines.push(`${status}${o.path}`);
  }
  for (const m of rest) lines.push(`${' '.repeat(STATUS_WIDTH)}${m.level}: ${messageText(m)}`);
  return lines;
}

/**
 * One line per file that is not unchanged (and per unchanged file with messages, so nothing reported
 * is silent), each followed by its messages, then the totals line. Each file's lines are final when the file is.
 */
export function summaryStream(): ReportStream {
  return {
    add: (o) => (o.status === 'unchanged' && o.messages.length === 0 ? '' : outcomeLines(o).join('\n') + '\n'),
    end: (result) => summaryLine(result) + '\n',
  };
}

export function formatSummary(result: RunResult): string {
  const s = summaryStream();
  return result.outcomes.map((o) => s.add(o)).join('') + s.end(result);
}
