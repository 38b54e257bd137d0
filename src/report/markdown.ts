// `--format markdown`: a pull-request body. A summary table, then each diff in a fenced ```diff block
// inside a <details> per file, then the messages and errors. Safe for any file content: fences grow
// longer than any backtick run in the diff, and table cells and HTML are escaped.

import type { Message, Outcome, RunResult } from '../types.js';
import { unifiedDiff } from './diff.js';
import type { ReportStream } from './stream.js';

/** What the document needs of a file: no texts, only its diff (usually a few lines). */
type Listed = Pick<Outcome, 'path' | 'status' | 'transforms' | 'messages'> & { diff: string };

/** A code fence longer than any run of backticks at the start of a line in `text` (at least 3). */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/** Inline code that survives backticks in the content. */
function inlineCode(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text.startsWith(' ') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** Text for a GFM table cell: no line breaks, pipes escaped (also inside code spans, per GFM). */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Markdown-escape plain prose (messages come from transforms and error texts). */
function prose(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/([\\`*_[\]<>|#])/g, '\\$1');
}

function messageLine(o: Listed, m: Message): string {
  const where = m.line !== undefined ? `${inlineCode(`${o.path}:${m.line}`)}` : inlineCode(o.path);
  const who = m.transform !== undefined ? ` (${inlineCode(m.transform)})` : '';
  return `- **${m.level}** ${where}${who}: ${prose(m.message)}`;
}

function notes(o: Listed): string {
  if (o.messages.length === 0) return '';
  const errors = o.messages.filter((m) => m.level === 'error');
  if (errors.length > 0) return prose(errors[0]!.message) + (o.messages.length > 1 ? ` (+${o.messages.length - 1} more)` : '');
  const warnings = o.messages.filter((m) => m.level === 'warning').length;
  const infos = o.messages.length - warnings;
  const parts: string[] = [];
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  if (infos) parts.push(`${infos} note${infos === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function document(result: RunResult, listed: Listed[]): string {
  const t = result.totals;
  const out: string[] = [];
  out.push('## dockshift');
  out.push('');
  const bits = [
    `${t.scanned} file${t.scanned === 1 ? '' : 's'} scanned`,
    `${t.changed} changed`,
    `${t.created} created`,
    `${t.unchanged} unchanged`,
    `${t.skipped} skipped`,
    `${t.errors} error${t.errors === 1 ? '' : 's'}`,
  ];
  out.push(bits.join(', ') + '.');
  out.push('');

  if (listed.length === 0) {
    out.push('No changes.');
    return out.join('\n') + '\n';
  }

  out.push('| File | Status | Transforms | Notes |');
  out.push('| --- | --- | --- | --- |');
  for (const o of listed) {
    const transforms = o.transforms.map((n) => inlineCode(n)).join(', ');
    out.push(`| ${cell(inlineCode(o.path))} | ${o.status} | ${cell(transforms)} | ${cell(notes(o))} |`);
  }
  out.push('');

  const diffs = listed.filter((o) => o.diff !== '').map((o) => ({ o, diff: o.diff }));
  if (diffs.length > 0) {
    out.push('### Changes');
    out.push('');
    for (const { o, diff } of diffs) {
      const fence = fenceFor(diff);
      const label = o.transforms.length ? ` — ${o.transforms.map(escapeHtml).join(', ')}` : '';
      out.push('<details>');
      out.push(`<summary><code>${escapeHtml(o.path)}</code> (${o.status})${label}</summary>`);
      out.push('');
      out.push(`${fence}diff`);
      // A diff always ends with a newline; the fence closes on the next line.
      out.push(diff.endsWith('\n') ? diff.slice(0, -1) : diff);
      out.push(fence);
      out.push('');
      out.push('</details>');
      out.push('');
    }
  }

  const errors: string[] = [];
  const messages: string[] = [];
  for (const o of listed) {
    for (const m of o.messages) (m.level === 'error' ? errors : messages).push(messageLine(o, m));
  }
  if (errors.length > 0) {
    out.push('### Errors');
    out.push('');
    out.push(...errors);
    out.push('');
  }
  if (messages.length > 0) {
    out.push('### Messages');
    out.push('');
    out.push(...messages);
    out.push('');
  }
  while (out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

/** The summary table comes first, so the document is written at the end; files with nothing to say are not kept. */
export function markdownStream(): ReportStream {
  const listed: Listed[] = [];
  return {
    add(o) {
      if (o.status === 'unchanged' && o.messages.length === 0) return '';
      const diff = o.status === 'changed' || o.status === 'created' ? unifiedDiff(o) : '';
      listed.push({ path: o.path, status: o.status, transforms: o.transforms, messages: o.messages, diff });
      return '';
    },
    end: (result) => document(result, listed),
  };
}

export function formatMarkdown(result: RunResult): string {
  const s = markdownStream();
  for (const o of result.outcomes) s.add(o);
  return s.end(result);
}
