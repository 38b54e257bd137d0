// `--format sarif`: SARIF 2.1.0 for code-scanning UIs. One result per changed/created file (with a fix
// built from the diff hunks) and one per error/warning message.
//
// Regions use 1-based lines and columns counted in UTF-16 code units of the text as dockshift sees it
// (a BOM counts as the first character of line 1). A fix replaces whole lines: the deleted region runs
// from column 1 of its first line to column 1 of the line after its last one (or to the end of the
// last line when it has no newline), so the inserted content carries its own line endings.

import type { Message, Outcome, RunResult } from '../types.js';
import { computeHunks, splitLinesKeepEol, type Hunk } from './diff.js';
import type { ReportStream } from './stream.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** Rule for messages that no transform owns (unreadable file, parse error, …). */
const GENERAL_RULE = 'dockshift';

interface SarifRegion {
  startLine: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
}

interface Replacement {
  deletedRegion: SarifRegion;
  insertedContent: { text: string };
}

/** A contiguous run of removed/added lines: old lines [oldStart, oldStart+oldCount) (1-based) become
 * new lines [newStart, newStart+newCount). */
export interface ChangeBlock {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

export function changeBlocks(hunks: Hunk[]): ChangeBlock[] {
  const blocks: ChangeBlock[] = [];
  for (const h of hunks) {
    let oldLine = h.oldStart;
    let newLine = h.newStart;
    let cur: ChangeBlock | undefined;
    for (const line of h.lines) {
      const c = line[0];
      if (c === '\\') continue;
      if (c === ' ') {
        if (cur) blocks.push(cur);
        cur = undefined;
        oldLine++;
        newLine++;
        continue;
      }
      cur ??= { oldStart: oldLine, oldCount: 0, newStart: newLine, newCount: 0 };
      if (c === '-') {
        cur.oldCount++;
        oldLine++;
      } else {
        cur.newCount++;
        newLine++;
      }
    }
    if (cur) blocks.push(cur);
  }
  return blocks;
}

function uri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function replacementsFor(before: string, after: string): { replacements: Replacement[]; firstLine: number } {
  const oldL = splitLinesKeepEol(before);
  const newL = splitLinesKeepEol(after);
  const blocks = changeBlocks(computeHunks(before, after));
  const replacements = blocks.map((b): Replacement => {
    const text = newL.slice(b.newStart - 1, b.newStart - 1 + b.newCount).join('');
    if (b.oldCount === 0) {
      return {
        deletedRegion: { startLine: b.oldStart, startColumn: 1, endLine: b.oldStart, endColumn: 1 },
        insertedContent: { text },
      };
    }
    const lastIdx = b.oldStart - 1 + b.oldCount - 1;
    const last = oldL[lastIdx] ?? '';
    const end = last.endsWith('\n')
      ? { endLine: lastIdx + 2, endColumn: 1 }
      : { endLine: lastIdx + 1, endColumn: last.length + 1 };
    return { deletedRegion: { startLine: b.oldStart, startColumn: 1, ...end }, insertedContent: { text } };
  });
  const first = blocks[0];
  const firstLine = first ? Math.max(1, Math.min(first.oldStart, Math.max(1, oldL.length))) : 1;
  return { replacements, firstLine };
}

type SarifResult = { ruleId: string; ruleIndex: number | undefined } & Record<string, unknown>;

function fileResult(o: Outcome): SarifResult | undefined {
  if (o.after === undefined) return undefined;
  const created = o.before === undefined;
  const before = o.before ?? '';
  if (!created && before === o.after) return undefined;
  const ruleId = o.transforms[0] ?? GENERAL_RULE;
  const who = o.transforms.length ? o.transforms.join(', ') : 'dockshift';
  let replacements: Replacement[];
  let firstLine = 1;
  if (created) {
    replacements = [
      { deletedRegion: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 }, insertedContent: { text: o.after } },
    ];
  } else {
    ({ replacements, firstLine } = replacementsFor(before, o.after));
  }
  const text = created ? `${who} would create this file.` : `${who} would change this file.`;
  const location = { physicalLocation: { artifactLocation: { uri: uri(o.path) }, region: { startLine: firstLine } } };
  return {
    ruleId,
    ruleIndex: undefined, // known once every rule has been seen
    level: 'note',
    kind: 'fail',
    message: { text },
    locations: [location],
    fixes: [
      {
        description: { text: created ? `Create ${o.path}` : `Apply ${who}` },
        artifactChanges: [{ artifactLocation: { uri: uri(o.path) }, replacements }],
      },
    ],
    properties: { status: o.status, transforms: o.transforms },
  };
}

function messageResult(o: Outcome, m: Message): SarifResult {
  const ruleId = m.transform ?? GENERAL_RULE;
  const physicalLocation: { artifactLocation: { uri: string }; region?: SarifRegion } = {
    artifactLocation: { uri: uri(o.path) },
  };
  if (m.line !== undefined && m.line >= 1) physicalLocation.region = { startLine: m.line };
  return {
    ruleId,
    ruleIndex: undefined,
    level: m.level === 'error' ? 'error' : 'warning',
    message: { text: m.message },
    locations: [{ physicalLocation }],
    properties: { status: o.status },
  };
}

/**
 * The rules come before the results in the document, and a rule's index is its order of first appearance, so the
 * document is written at the end. Results are built as files arrive (a fix holds only the inserted lines).
 */
export function sarifStream(toolVersion: string): ReportStream {
  // Rules: every transform name seen, in order of first appearance, plus the general rule when used.
  const names: string[] = [];
  const see = (n: string): void => {
    if (!names.includes(n)) names.push(n);
  };
  const results: SarifResult[] = [];
  return {
    add(o) {
      const fileShown = (o.status === 'changed' || o.status === 'created') && o.after !== undefined;
      for (const t of o.transforms) see(t);
      if (fileShown && o.transforms.length === 0) see(GENERAL_RULE);
      for (const m of o.messages) {
        if (m.transform !== undefined) see(m.transform);
        else if (m.level !== 'info') see(GENERAL_RULE);
      }
      if (o.status === 'changed' || o.status === 'created') {
        const r = fileResult(o);
        if (r) results.push(r);
      }
      for (const m of o.messages) if (m.level === 'error' || m.level === 'warning') results.push(messageResult(o, m));
      return '';
    },
    end(result) {
      const ruleIndex = new Map(names.map((n, i) => [n, i]));
      for (const r of results) r.ruleIndex = ruleIndex.get(r.ruleId);
      const rules = names.map((n) => ({
        id: n,
        name: n,
        shortDescription: {
          text: n === GENERAL_RULE ? 'dockshift could not process or refused a file' : `dockshift transform ${n}`,
        },
        defaultConfiguration: { level: 'note' },
      }));
      const sarif = {
        $schema: SCHEMA,
        version: '2.1.0',
        runs: [
          {
            tool: {
              driver: {
                name: 'dockshift',
                version: toolVersion,
                semanticVersion: /^\d+\.\d+\.\d+/.test(toolVersion) ? toolVersion : undefined,
                rules,
              },
            },
            columnKind: 'utf16CodeUnits',
            invocations: [{ executionSuccessful: result.totals.errors === 0 }],
            results,
          },
        ],
      };
      return JSON.stringify(sarif, null, 2) + '\n';
    },
  };
}

export function formatSarif(result: RunResult, toolVersion: string): string {
  const s = sarifStream(toolVersion);
  for (const o of result.outcomes) s.add(o);
  return s.end(result);
}
