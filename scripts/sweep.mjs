#!/usr/bin/env node
// `npm run sweep -- <dir> [--transforms a,b] [--json]` — a conformance sweep of dockshift over a real tree.
//
// For every Dockerfile under <dir> (discovered as dockshift does, with the build contexts `run()` resolves from
// compose/bake/config files), for every built-in transform alone and for the recommended set together:
//
// In process (`run()`, dry run, over <dir> itself — nothing is written there):
//   - crash: no `internal error`, no exception out of run(), no TransformError/TimeLimit refusal;
//   - guard: no UnparseableOutput/NotIdempotent refusal (the guard caught a bad result);
//   - parse: every changed result parses (`parseDockerfile`);
//   - second pass: running the same transforms over the result (same build context, with the files the
//     first pass emitted in place) changes nothing and emits the same files;
//   - structure: parse before and after and match instructions by their exact text (longest common
//     subsequence). Every before-instruction must be in after, in order, byte-identical — except what the
//     transform is documented to do (ALLOWED below: modify a RUN with a cache mount, move a COPY into a files
//     stage, …). Instructions that disappeared, changed keyword, moved, were modified or added without being
//     documented are failures;
//   - lines: a line of before that is missing from after must have a replacement in its own hunk (an added
//     line with the same first word) or, for transforms that move instructions, appear elsewhere in after;
//   - stages: the stage list (count, names, bases, platforms, order) is unchanged, except that files-stage
//     may add `FROM scratch` stages (the old list must stay a subsequence of the new one);
//   - directives: the parser-directive block is unchanged except for syntax-directive, which may only add a
//     syntax directive on top of the existing ones; BOM and line ending style never change.
//
// On copies (the real CLI, `node bin/dockshift.js`, spawned once per transform set over the whole copy):
//   - the tree is copied (without .git) to two temporary directories, each `git init`ed (so discovery works
//     as in a repository);
//   - dry run on copy A: no file is written, created or touched (size, mtime, inode, mode of every file);
//   - `git apply` of the dry-run diff on copy A, `--write` on copy B: both trees must be byte-for-byte (and
//     mode-for-mode) identical, and the files touched must be the files run() said would change;
//   - a second run() over the written copy B changes nothing (whole-tree idempotence, emitted files included).
//   The copies are reset between transform sets (only touched files are restored) and deleted at the end.
//
// Figures: files scanned, errors by kind, per transform set changed/unchanged/skipped/errors/created, refusals
// (warnings: "left alone", api.skip) and notes (info) grouped by normalised reason, and every failure with the
// file and a short description. `--json` prints one JSON document instead. Exit 1 when any check fails.
//
// Options:
//   --transforms a,b     only these built-ins (alone); `recommended` names the recommended set (default: every
//                        built-in alone, then the recommended set)
//   --json               one JSON document on stdout
//   --no-cli             skip the copies (dry run / git apply / --write / whole-tree second pass)
//   --jobs N             passed to run() (default auto, as the CLI)
//   --max-print N        failures printed per set and check in the text report (default 25; JSON has all)
//   --keep               keep the temporary copies (their path is printed)
//   --save FILE          also write the JSON document to FILE (with the text report on stdout)

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { diffArrays } from 'diff';
import { fsContext, loadBuiltins, loadConfig, parseDockerfile, run, sourceFromText, transformSource } from '../dist/src/index.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO_ROOT, 'bin', 'dockshift.js');

// ---------------------------------------------------------------------------------------------------
// What each built-in is documented to do to a Dockerfile's instructions (README, transforms/*.ts headers).
// modify(before) / add(after) / move(instruction): predicates on parsed instructions; stages: may add stages;
// directives: may add a syntax directive.

const isCacheRun = (ins) => (ins.keyword === 'RUN' ? ins : ins.keyword === 'ONBUILD' ? ins.trigger : undefined)?.mounts?.some((m) => m.type === 'cache') ?? false;
const PLATFORM_ARG = /^(ONBUILD\s+)?ARG\s+(TARGET(PLATFORM|ARCH|VARIANT|OS))(\s+TARGET(PLATFORM|ARCH|VARIANT|OS))*\s*$/i;

const ALLOWED = {
  'syntax-directive': { directives: true },
  'cache-id-platform': {
    modify: (b, a) => isCacheRun(b) && b.keyword === a.keyword,
    add: (a, text) => PLATFORM_ARG.test(text),
  },
  'manifest-first': {
    modify: (b) => b.keyword === 'RUN',
    add: (a) => a.keyword === 'COPY' || a.keyword === 'RUN',
    move: (ins) => ['COPY', 'ADD', 'RUN'].includes(ins.keyword),
  },
  'files-stage': {
    modify: (b) => b.keyword === 'COPY',
    add: (a) => a.keyword === 'COPY' || (a.keyword === 'FROM' && /^scratch$/i.test(a.args[0]?.value ?? '')),
    move: (ins) => ins.keyword === 'COPY' || ins.keyword === 'FROM',
    stages: true,
  },
  'dockerignore-allowlist': {},
  // Adds cache mounts to install RUNs (and drops cache-defeating words/commands in them), a RUN that disables
  // apt's docker-clean before the first mounted apt RUN, platform ARGs for the new ids, and a syntax directive.
  'cache-mounts': {
    modify: (b, a) => b.keyword === 'RUN' && a.keyword === 'RUN',
    add: (a, text) => PLATFORM_ARG.test(text) || (a.keyword === 'RUN' && /docker-clean/.test(text)),
    directives: true,
  },
  // Moves a cache mount that swallows an install destination to the tool's own cache directory.
  'cache-mount-pitfalls': {
    modify: (b, a) => isCacheRun(b) && a.keyword === b.keyword,
  },
};

export function allowanceOf(names) {
  const parts = names.map((n) => ALLOWED[n] ?? {});
  const any = (key) => {
    const fns = parts.map((p) => p[key]).filter((f) => typeof f === 'function');
    return fns.length ? (...args) => fns.some((f) => f(...args)) : () => false;
  };
  return {
    modify: any('modify'),
    add: any('add'),
    move: any('move'),
    stages: parts.some((p) => p.stages),
    directives: parts.some((p) => p.directives),
    moves: parts.some((p) => typeof p.move === 'function'),
  };
}

// ---------------------------------------------------------------------------------------------------
// Normalising messages: strip paths, line numbers, values, so that reasons group.

export function normalise(message) {
  let s = String(message).split('\n')[0];
  s = s.replace(/\s+\[[a-z-]+\]$/, '');
  s = s.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/`[^`]*`/g, '`…`').replace(/'[^'\s][^']*'/g, "'…'");
  s = s.replace(/<<-?[A-Za-z0-9_"']+/g, '<<X');
  s = s.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '$VAR');
  // Lists of names (other Dockerfiles, stages, copied manifests) and per-file names.
  s = s.replace(/\(([^()]*\([^()]*\))?[^()]*\)(?=: writing)/g, '(…)');
  s = s.replace(/writing \S+ which/g, 'writing <file>, which').replace(/writing \S+, which/g, 'writing <file>, which');
  s = s.replace(/\bcopies (.+?) first\b/g, 'copies <files> first');
  s = s.replace(/^(\S+|stage-\d+ \(line \d+\)) still copies from \S+:/, '<stage> still copies from <stage>:');
  s = s.replace(/^(\S+|stage-\d+ \(line \d+\)) no longer depends on .*$/, '<stage> no longer depends on <stages>');
  s = s.replace(/^files stage \S+ holds the context files that (\S+|stage-\d+ \(line \d+\)) copies/, 'files stage <name> holds the context files that <stage> copies');
  s = s.replace(/\bin stage \S+?(,|$| )/g, 'in stage <name>$1');
  s = s.replace(/(allowed paths|does not read|Dockerfile reads \(as they did before\)): [^(]*?( \(|$)/, '$1: <files>$2');
  s = s.replace(/(^|[\s(=:,])(?:\.{0,2}\/)?[\w.@+~…-]*(?:\/[\w.@+*?~…${}-]*)+/g, '$1<path>');
  s = s.replace(/\bunknown instruction: \S+/g, 'unknown instruction: <word>');
  s = s.replace(/\blines \d+(, \d+)+/g, 'lines N, …').replace(/\((\d+) patterns?\)/g, '(N patterns)');
  s = s.replace(/\b(lines?|near line|at line|offset|column)\s+\d+(\s*[-–]\s*\d+)?/gi, '$1 N');
  s = s.replace(/\b\d+(\.\d+)*\b/g, 'N');
  s = s.replace(/\s+/g, ' ').trim();
  return s.length > 160 ? s.slice(0, 157) + '…' : s;
}

const GUARD_KINDS = ['UnparseableOutput', 'NotIdempotent', 'TransformError', 'TimeLimit'];
const CRASH_KINDS = new Set(['TransformError', 'TimeLimit']);

function errorKind(message) {
  for (const k of GUARD_KINDS) if (message.startsWith(`${k}:`)) return k;
  if (/internal error/i.test(message)) return 'internal error';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Structural checks

const insText = (model, ins) => model.source.text.slice(ins.span.start, ins.span.end);
const short = (s, n = 90) => {
  const one = s.replace(/\r?\n/g, '⏎');
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
};
const stageKey = (s) => `${(s.name ?? '').toLowerCase()}|${s.base}|${s.platform ?? ''}`;
const stageLabel = (s) => `FROM ${s.platform ? `--platform=${s.platform} ` : ''}${s.base}${s.name ? ` AS ${s.name}` : ''}`;

/** Maps before-stage index → after-stage index when `before` is a subsequence of `after` (greedy), else undefined. */
function stageMapping(bStages, aStages) {
  const map = new Map();
  let j = 0;
  for (const s of bStages) {
    while (j < aStages.length && stageKey(aStages[j]) !== stageKey(s)) j++;
    if (j === aStages.length) return undefined;
    map.set(s.index, j++);
  }
  return map;
}

export function checkStructure(before, after, allow) {
  const problems = [];
  const bm = parseDockerfile(sourceFromText(before, 'before'));
  const am = parseDockerfile(sourceFromText(after, 'after'));

  // BOM and line endings
  if (bm.source.bom !== am.source.bom) problems.push(['encoding', `BOM ${bm.source.bom ? 'removed' : 'added'}`]);
  if (bm.source.eol !== am.source.eol) problems.push(['encoding', `line endings changed from ${JSON.stringify(bm.source.eol)} to ${JSON.stringify(am.source.eol)}`]);
  const crlfB = (before.match(/\r\n/g) ?? []).length;
  const lfB = (before.match(/\n/g) ?? []).length - crlfB;
  const crlfA = (after.match(/\r\n/g) ?? []).length;
  const lfA = (after.match(/\n/g) ?? []).length - crlfA;
  const finalB = /\n$/.test(before);
  const finalA = /\n$/.test(after);
  if (finalB !== finalA && before.length > 0) problems.push(['encoding', `final newline ${finalB ? 'removed' : 'added'} (the original ${finalB ? 'ends with' : 'has no'} final newline)`]);
  if ((crlfB === 0 && crlfA > 0) || (lfB === 0 && crlfB > 0 && lfA > 0)) problems.push(['encoding', `mixed line endings introduced (before ${crlfB} CRLF/${lfB} LF, after ${crlfA} CRLF/${lfA} LF)`]);

  // Directive block
  const dirB = before.slice(bm.bodyStart, bm.directivesEnd);
  const dirA = after.slice(am.bodyStart, am.directivesEnd);
  if (dirB !== dirA) {
    const ok =
      allow.directives &&
      !bm.directives.some((d) => d.name === 'syntax') &&
      am.directives.length === bm.directives.length + 1 &&
      am.directives[0].name === 'syntax' &&
      bm.directives.every((d, i) => am.directives[i + 1].name === d.name && am.directives[i + 1].value === d.value) &&
      dirA.endsWith(dirB);
    if (!ok) problems.push(['directives', `directive block changed: ${JSON.stringify(short(dirB, 60))} → ${JSON.stringify(short(dirA, 60))}`]);
  }
  if (am.escape !== bm.escape) problems.push(['directives', `escape character changed from ${bm.escape} to ${am.escape}`]);

  // Stages
  const mapping = stageMapping(bm.stages, am.stages);
  if (bm.stages.length !== am.stages.length || !mapping || [...mapping].some(([b, a]) => b !== a)) {
    const added = am.stages.filter((s, i) => !mapping || ![...mapping.values()].includes(i));
    const ok = allow.stages && mapping && added.every((s) => /^scratch$/i.test(s.base) && s.name);
    if (!ok) {
      problems.push(['stages', `stage list changed: [${bm.stages.map(stageLabel).join('; ')}] → [${am.stages.map(stageLabel).join('; ')}]`]);
    }
  }

  // Instructions: per stage (before stage → its after stage), the longest common subsequence of exact texts;
  // what is left is classified: moved (the same text elsewhere in after), modified (same keyword in the same
  // gap), keyword changed, disappeared, added. Without a stage mapping, one subsequence over the whole file.
  const bIns = bm.instructions;
  const aIns = am.instructions;
  const bKeys = bIns.map((i) => insText(bm, i));
  const aKeys = aIns.map((i) => insText(am, i));
  const regions = []; // {b: [indices], a: [indices]}: gaps between matched instructions
  const lcs = (bIdx, aIdx) => {
    let bi = 0;
    let ai = 0;
    let region = { b: [], a: [] };
    for (const part of diffArrays(bIdx.map((i) => bKeys[i]), aIdx.map((i) => aKeys[i]))) {
      const n = part.count ?? part.value.length;
      if (part.added) for (let k = 0; k < n; k++) region.a.push(aIdx[ai++]);
      else if (part.removed) for (let k = 0; k < n; k++) region.b.push(bIdx[bi++]);
      else {
        if (region.a.length || region.b.length) regions.push(region);
        region = { b: [], a: [] };
        bi += n;
        ai += n;
      }
    }
    if (region.a.length || region.b.length) regions.push(region);
  };
  if (mapping) {
    const group = (list) => {
      const g = new Map();
      list.forEach((ins, i) => (g.get(ins.stage) ?? g.set(ins.stage, []).get(ins.stage)).push(i));
      return g;
    };
    const gb = group(bIns);
    const ga = group(aIns);
    const usedStages = new Set([-1]);
    lcs(gb.get(-1) ?? [], ga.get(-1) ?? []);
    for (const s of bm.stages) {
      const t = mapping.get(s.index);
      usedStages.add(t);
      lcs(gb.get(s.index) ?? [], ga.get(t) ?? []);
    }
    for (const [s, list] of ga) if (!usedStages.has(s)) regions.push({ b: [], a: list });
  } else {
    lcs(bIns.map((_, i) => i), aIns.map((_, i) => i));
  }
  const usedA = new Set();
  const unmatchedA = new Map(); // text → [aIndex] outside the common subsequences
  for (const r of regions) for (const a of r.a) (unmatchedA.get(aKeys[a]) ?? unmatchedA.set(aKeys[a], []).get(aKeys[a])).push(a);
  const where = (ins) => `line ${ins.startLine}`;
  const leftover = [];
  for (const r of regions) {
    const restB = [];
    for (const b of r.b) {
      const cands = unmatchedA.get(bKeys[b])?.filter((a) => !usedA.has(a));
      if (cands?.length) {
        usedA.add(cands[0]);
        if (!allow.move(bIns[b])) problems.push(['instructions', `${bIns[b].keyword} at ${where(bIns[b])} moved (to line ${aIns[cands[0]].startLine} of the result): ${short(bKeys[b])}`]);
      } else restB.push(b);
    }
    leftover.push({ b: restB, a: r.a });
  }
  const sub = (ins) => `${ins.keyword} ${ins.trigger?.keyword ?? ''}`;
  // Pairing compares instructions without their --mount flags and line breaks: a transform that adds a mount
  // (and maybe a RUN before it) must pair the original RUN with its mounted self, not with the new RUN.
  const pairText = (t) => t.replace(/[\\`]\r?\n[ \t]*/g, ' ').replace(/--mount=(?:"[^"]*"|'[^']*'|\S)+\s*/g, '').replace(/\s+/g, ' ');
  const commonPrefix = (x, y) => {
    x = pairText(x);
    y = pairText(y);
    let i = 0;
    while (i < x.length && i < y.length && x[i] === y[i]) i++;
    return i;
  };
  for (const r of leftover) {
    const freeA = () => r.a.filter((a) => !usedA.has(a));
    for (const b of r.b) {
      const same = freeA()
        .filter((a) => aIns[a].keyword === bIns[b].keyword)
        .sort((x, y) => Number(sub(aIns[y]) === sub(bIns[b])) - Number(sub(aIns[x]) === sub(bIns[b])) || commonPrefix(bKeys[b], aKeys[y]) - commonPrefix(bKeys[b], aKeys[x]))[0];
      if (same !== undefined) {
        usedA.add(same);
        if (!allow.modify(bIns[b], aIns[same])) problems.push(['instructions', `${bIns[b].keyword} at ${where(bIns[b])} modified: ${short(bKeys[b])} → ${short(aKeys[same])}`]);
        continue;
      }
      const other = freeA()[0];
      if (other !== undefined) {
        usedA.add(other);
        problems.push(['instructions', `keyword changed at ${where(bIns[b])}: ${short(bKeys[b])} → ${short(aKeys[other])}`]);
        continue;
      }
      problems.push(['instructions', `${bIns[b].keyword} at ${where(bIns[b])} disappeared: ${short(bKeys[b])}`]);
    }
    for (const a of freeA()) {
      usedA.add(a);
      if (!allow.add(aIns[a], aKeys[a])) problems.push(['instructions', `${aIns[a].keyword} added at line ${aIns[a].startLine} of the result: ${short(aKeys[a])}`]);
    }
  }

  // Lines outside instructions (comments, blank lines): a removed blank line must have a blank replacement in
  // its hunk; a removed comment is never replaced (no transform edits comments). Either may, for transforms that
  // move instructions, be added elsewhere verbatim (a leading comment moving with its instruction). Lines inside
  // instructions are the business of the instruction check above (an instruction matched exactly is in the
  // result whatever the line diff says); the directive block is the directive check's.
  const owner = new Array(bm.source.text.split('\n').length + 2).fill(-1);
  for (const ins of bIns) for (let l = ins.startLine; l <= ins.endLine; l++) owner[l] = ins.index;
  // Lines without a BOM and without the empty "line" after a final newline (both are checked above).
  const bLines = before.replace(/^\uFEFF/, '').split('\n');
  const aLines = after.replace(/^\uFEFF/, '').split('\n');
  if (bLines.at(-1) === '') bLines.pop();
  if (aLines.at(-1) === '') aLines.pop();
  const hunks = [];
  {
    let hunk;
    let bl = 0;
    for (const part of diffArrays(bLines, aLines)) {
      const n = part.count ?? part.value.length;
      if (part.added || part.removed) {
        hunk ??= { at: bl + 1, removed: [], added: [] };
        if (part.added) hunk.added.push(...part.value);
        else part.value.forEach((text, k) => hunk.removed.push({ text, line: bl + k + 1 }));
        if (part.removed) bl += n;
      } else {
        if (hunk) hunks.push(hunk);
        hunk = undefined;
        bl += n;
      }
    }
    if (hunk) hunks.push(hunk);
  }
  const addedAnywhere = new Map();
  for (const h of hunks) for (const l of h.added) addedAnywhere.set(l, (addedAnywhere.get(l) ?? 0) + 1);
  const directiveLines = bm.directives.length ? bm.lineOf(Math.max(bm.bodyStart, bm.directivesEnd - 1)) : 0;
  for (const h of hunks) {
    const missing = [];
    for (const { text: l, line } of h.removed) {
      if (owner[line] >= 0 || line <= directiveLines) continue;
      if (allow.moves && addedAnywhere.get(l) > 0) {
        addedAnywhere.set(l, addedAnywhere.get(l) - 1);
        continue;
      }
      if (l.trim() === '' && h.added.some((x) => x.trim() === '')) continue;
      missing.push(`${line}: ${JSON.stringify(short(l, 60))}`);
    }
    if (missing.length) problems.push(['lines', `line(s) of the original gone without a replacement in their hunk: ${missing.join(', ')}`]);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Contexts for the second pass: the outcome's context, with the files the first pass emitted laid over it.

function overlayContext(ctx, emitted) {
  if (emitted.size === 0) return ctx;
  return {
    ...ctx,
    list: (glob) => (glob ? ctx.list(glob) : [...new Set([...ctx.list(), ...emitted.keys()])].sort()),
    read: (rel) => (emitted.has(rel) ? emitted.get(rel) : ctx.read(rel)),
    exists: (rel) => emitted.has(rel) || ctx.exists(rel),
  };
}

// ---------------------------------------------------------------------------------------------------
// File-tree snapshots for the copies.

function snapshot(root) {
  const out = new Map();
  const walk = (dir, rel) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (rel === '' && e.name === '.git') continue;
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      let st;
      try {
        st = fs.lstatSync(abs);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) out.set(r, `l:${fs.readlinkSync(abs)}`);
      else if (st.isDirectory()) {
        out.set(r, `d:${st.mode}`);
        walk(abs, r);
      } else out.set(r, `f:${st.size}:${st.mtimeMs}:${st.ino}:${st.mode}`);
    }
  };
  walk(root, '');
  return out;
}

function snapshotDiff(a, b) {
  const changed = [];
  for (const [k, v] of a) if (b.get(k) !== v) changed.push(k);
  for (const k of b.keys()) if (!a.has(k)) changed.push(k);
  return changed.sort();
}

function describeEntry(abs) {
  try {
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) return { type: 'link', data: fs.readlinkSync(abs) };
    if (st.isDirectory()) return { type: 'dir', mode: st.mode & 0o777 };
    return { type: 'file', mode: st.mode & 0o777, data: fs.readFileSync(abs) };
  } catch {
    return { type: 'absent' };
  }
}

function sameEntry(x, y) {
  if (x.type !== y.type || x.mode !== y.mode) return false;
  if (x.type === 'file') return x.data.equals(y.data);
  return x.data === y.data;
}

/** Puts the copy back as the original had it, for the paths given (deepest first for removals). */
function restore(copyRoot, origRoot, rels) {
  for (const rel of [...rels].sort((a, b) => b.length - a.length)) {
    const orig = path.join(origRoot, rel);
    const dest = path.join(copyRoot, rel);
    const o = describeEntry(orig);
    if (o.type === 'absent') fs.rmSync(dest, { recursive: true, force: true });
  }
  for (const rel of [...rels].sort()) {
    const orig = path.join(origRoot, rel);
    const dest = path.join(copyRoot, rel);
    const o = describeEntry(orig);
    if (o.type === 'file') {
      fs.rmSync(dest, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(orig, dest);
      fs.chmodSync(dest, o.mode);
    } else if (o.type === 'dir') {
      fs.mkdirSync(dest, { recursive: true });
      fs.chmodSync(dest, o.mode);
    } else if (o.type === 'link') {
      fs.rmSync(dest, { recursive: true, force: true });
      fs.symlinkSync(o.data, dest);
    }
  }
}

function copyTree(src, dest) {
  fs.cpSync(src, dest, { recursive: true, verbatimSymlinks: true, filter: (p) => path.basename(p) !== '.git' });
  const g = spawnSync('git', ['init', '-q', '-b', 'main', '.'], { cwd: dest, encoding: 'utf8' });
  if (g.status !== 0) throw new Error(`git init in ${dest} failed: ${g.stderr}`);
}

// ---------------------------------------------------------------------------------------------------

function parseCli(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      transforms: { type: 'string', short: 't' },
      json: { type: 'boolean', default: false },
      'no-cli': { type: 'boolean', default: false },
      jobs: { type: 'string' },
      'max-print': { type: 'string', default: '25' },
      keep: { type: 'boolean', default: false },
      save: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stderr.write('usage: npm run sweep -- <dir> [--transforms a,b|recommended] [--json] [--no-cli] [--jobs N] [--max-print N] [--keep] [--save FILE]\n');
    process.exit(values.help ? 0 : 2);
  }
  return { dir: path.resolve(positionals[0]), ...values };
}

/** Newest mtime under dist/: a rebuild during the sweep (others at work) would mix two versions of dockshift. */
function distStamp() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else newest = Math.max(newest, fs.statSync(abs).mtimeMs);
    }
  };
  walk(path.join(REPO_ROOT, 'dist'));
  return newest;
}

async function main() {
  const args = parseCli(process.argv.slice(2));
  const started = performance.now();
  const stamp = distStamp();
  if (!fs.statSync(args.dir, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`sweep: ${args.dir} is not a directory\n`);
    process.exit(2);
  }
  const builtins = await loadBuiltins();
  const byName = new Map(builtins.map((t) => [t.meta.name, t]));
  const wanted = args.transforms ? args.transforms.split(',').map((s) => s.trim()).filter(Boolean) : [...byName.keys(), 'recommended'];
  const sets = [];
  for (const w of wanted) {
    if (w === 'recommended') {
      const rec = builtins.filter((t) => t.meta.recommended);
      sets.push({ name: `recommended (${rec.map((t) => t.meta.name).join('+')})`, key: 'recommended', transforms: rec });
    } else if (byName.has(w)) sets.push({ name: w, key: w, transforms: [byName.get(w)] });
    else {
      process.stderr.write(`sweep: unknown transform "${w}" (built-ins: ${[...byName.keys()].join(', ')}, or recommended)\n`);
      process.exit(2);
    }
  }
  const config = await loadConfig(args.dir).catch(() => undefined);
  const transformOptions = { ...(config?.config.options ?? {}) };
  const jobs = args.jobs ? Number(args.jobs) : 'auto';
  const maxPrint = Number(args['max-print']);

  const report = {
    version: 1,
    dir: args.dir,
    files: 0,
    errors: { total: 0, byKind: {} },
    sets: [],
    failures: [],
    cli: !args['no-cli'],
    elapsedMs: 0,
  };
  const fail = (set, file, check, detail) => report.failures.push({ set: set.key, path: file, check, detail });

  let copies;
  const tmp = args['no-cli'] ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-sweep-'));
  const errorFiles = new Map(); // path → kind (input errors, the same for every set)

  for (const set of sets) {
    const names = set.transforms.map((t) => t.meta.name);
    const allow = allowanceOf(names);
    const stats = { set: set.key, name: set.name, transforms: names, scanned: 0, changed: 0, unchanged: 0, skipped: 0, errors: 0, created: 0, generatedChanged: 0, findings: {}, refusals: {}, notes: {}, failures: 0, ms: {} };
    report.sets.push(stats);
    const failuresBefore = report.failures.length;
    const t0 = performance.now();
    let result;
    try {
      result = await run({ paths: ['.'], cwd: args.dir, transforms: set.transforms, transformOptions, config, jobs });
    } catch (e) {
      fail(set, '.', 'crash', `run() threw: ${e?.stack?.split('\n').slice(0, 3).join(' | ') ?? e}`);
      stats.failures = report.failures.length - failuresBefore;
      continue;
    }
    stats.ms.run = Math.round(performance.now() - t0);
    const t1 = performance.now();
    const generated = new Map(); // abs → content (after the first pass)
    for (const o of result.outcomes) {
      if (o.kind !== 'generated') continue;
      if (o.status === 'created') stats.created++;
      else if (o.status === 'changed') stats.generatedChanged++;
      else if (o.status === 'error') {
        stats.errors++;
        fail(set, o.path, 'emitted', o.messages.map((m) => m.message).join('; '));
      }
      generated.set(o.absPath, o.after ?? o.before);
    }
    const listings = new Map();
    for (const o of result.outcomes) {
      if (o.kind !== 'dockerfile') continue;
      stats.scanned++;
      const seen = new Set();
      for (const m of o.messages) {
        // A file's own errors are tallied below; an error-level message on a file that was processed is a
        // transform's finding (cache-mount-pitfalls: a mount that loses files).
        if (m.level === 'error' && o.status === 'error') continue;
        const bucket = m.level === 'error' ? stats.findings : m.level === 'warning' ? stats.refusals : stats.notes;
        const key = `${m.transform ?? '(runner)'}: ${normalise(m.message)}`;
        if (seen.has(key)) continue; // counted once per file
        seen.add(key);
        bucket[key] = (bucket[key] ?? 0) + 1;
      }
      if (o.status === 'error') {
        stats.errors++;
        for (const m of o.messages.filter((x) => x.level === 'error')) {
          const kind = errorKind(m.message);
          if (kind) fail(set, o.path, CRASH_KINDS.has(kind) || kind === 'internal error' ? 'crash' : kind === 'NotIdempotent' ? 'not-idempotent' : 'unparseable', m.message);
          else if (!errorFiles.has(o.path)) errorFiles.set(o.path, normalise(m.message));
        }
        continue;
      }
      stats[o.status]++;
      if (o.status !== 'changed' || o.after === undefined) continue;
      const before = o.before;
      const after = o.after;
      // 1. the result parses
      try {
        parseDockerfile(sourceFromText(after, o.path));
      } catch (e) {
        fail(set, o.path, 'unparseable', `the result does not parse: ${e.message}`);
        continue;
      }
      // 2. structure
      try {
        for (const [check, detail] of checkStructure(before, after, allow)) fail(set, o.path, check, detail);
      } catch (e) {
        fail(set, o.path, 'crash', `structure check threw: ${e.message}`);
      }
      // 3. a second pass over the result (same context, emitted files in place) changes nothing
      try {
        const rootAbs = o.context ? path.resolve(args.dir, o.context.path) : path.dirname(o.absPath);
        const emitted = new Map();
        for (const [abs, content] of generated) {
          const rel = path.relative(rootAbs, abs);
          if (content !== undefined && !rel.startsWith('..') && !path.isAbsolute(rel)) emitted.set(rel.split(path.sep).join('/'), content);
        }
        const ctx = overlayContext(fsContext(rootAbs, o.absPath, o.context?.origin ?? 'directory', listings), emitted);
        const second = await transformSource(after, set.transforms, { path: o.path, options: transformOptions, context: ctx });
        if (second.status === 'error') fail(set, o.path, 'not-idempotent', `second pass: ${second.messages.map((m) => m.message).join('; ')}`);
        else if (second.text !== after) fail(set, o.path, 'not-idempotent', `a second pass changes the result again (line ${firstDiffLine(after, second.text)})`);
        for (const e of second.emitted) {
          const abs = path.resolve(rootAbs, e.rel);
          if (generated.get(abs) !== e.content) fail(set, o.path, 'not-idempotent', `a second pass emits ${e.rel} differently`);
        }
      } catch (e) {
        fail(set, o.path, 'crash', `second pass threw: ${e?.message ?? e}`);
      }
    }
    stats.ms.checks = Math.round(performance.now() - t1);

    if (!args['no-cli']) {
      const t2 = performance.now();
      try {
        copies ??= prepareCopies(args.dir, tmp);
        await cliCheck(set, names, copies, result, args.dir, tmp, fail, { transformOptions, jobs });
      } catch (e) {
        fail(set, '.', 'crash', `CLI check threw: ${e?.stack?.split('\n').slice(0, 3).join(' | ') ?? e}`);
      }
      stats.ms.cli = Math.round(performance.now() - t2);
    }
    stats.failures = report.failures.length - failuresBefore;
  }
  report.files = Math.max(0, ...report.sets.map((s) => s.scanned));
  report.errors.examples = {};
  for (const [file, kind] of errorFiles) {
    report.errors.byKind[kind] = (report.errors.byKind[kind] ?? 0) + 1;
    report.errors.examples[kind] ??= file;
  }
  report.errors.total = errorFiles.size;
  report.errors.files = Object.fromEntries([...errorFiles].sort());
  if (tmp && !args.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) report.copies = tmp;
  report.elapsedMs = Math.round(performance.now() - started);
  if (distStamp() !== stamp) report.warnings = ['dist/ was rebuilt while the sweep ran: the in-process checks and the spawned CLI may have run different versions; run it again'];

  if (args.save) fs.writeFileSync(args.save, JSON.stringify(report, null, 2) + '\n');
  if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(formatText(report, maxPrint));
  process.exitCode = report.failures.length ? 1 : 0;
}

function firstDiffLine(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i).split('\n').length;
}

function prepareCopies(dir, tmp) {
  const a = path.join(tmp, 'a');
  const b = path.join(tmp, 'b');
  copyTree(dir, a);
  copyTree(dir, b);
  return { a, b, snapA: snapshot(a), snapB: snapshot(b) };
}

function spawnCli(cwd, argv, outFile, errFile) {
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  try {
    const env = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    const r = spawnSync(process.execPath, [BIN, ...argv], { cwd, stdio: ['ignore', out, err], env });
    return { status: r.status, signal: r.signal, stderr: fs.readFileSync(errFile, 'utf8') };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
}

async function cliCheck(set, names, copies, result, dir, tmp, fail, { transformOptions, jobs }) {
  const t = ['-t', names.join(',')];
  const diffFile = path.join(tmp, `${set.key}.diff`);
  const errFile = path.join(tmp, `${set.key}.stderr`);
  const expectErrors = result.totals.errors > 0;
  const checkExit = (what, r) => {
    if (r.signal || (r.status !== 0 && r.status !== 2) || (r.status === 2) !== expectErrors) {
      fail(set, '.', 'cli-exit', `${what}: exit ${r.signal ?? r.status} (run() found ${result.totals.errors} errors): ${r.stderr.split('\n').filter(Boolean).slice(-3).join(' | ')}`);
    }
    if (/internal error/.test(r.stderr)) fail(set, '.', 'crash', `${what}: ${r.stderr.split('\n').find((l) => /internal error/.test(l))}`);
  };

  // Dry run on A: writes nothing.
  const dry = spawnCli(copies.a, [...t, '--format', 'diff', '--no-color', '-q', '.'], diffFile, errFile);
  checkExit('dry run', dry);
  const afterDry = snapshot(copies.a);
  for (const rel of snapshotDiff(copies.snapA, afterDry)) fail(set, rel, 'dry-run-wrote', 'the dry run changed this path (size, mtime, inode or mode) or created/removed it');

  // git apply of the diff on A.
  if (fs.statSync(diffFile).size > 0) {
    const g = spawnSync('git', ['-c', 'core.autocrlf=false', '-c', 'core.safecrlf=false', 'apply', '--whitespace=nowarn', diffFile], { cwd: copies.a, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (g.status !== 0) fail(set, '.', 'git-apply', `git apply of the dry-run diff failed: ${g.stderr.split('\n').filter(Boolean).slice(0, 5).join(' | ')}`);
  }
  // --write on B.
  const wr = spawnCli(copies.b, [...t, '--write', '--format', 'none', '-q', '.'], path.join(tmp, `${set.key}.out`), errFile);
  checkExit('--write', wr);

  const snapA2 = snapshot(copies.a);
  const snapB2 = snapshot(copies.b);
  const touchedA = snapshotDiff(copies.snapA, snapA2);
  const touchedB = snapshotDiff(copies.snapB, snapB2);
  const touched = [...new Set([...touchedA, ...touchedB])].sort();
  for (const rel of touched) {
    const x = describeEntry(path.join(copies.a, rel));
    const y = describeEntry(path.join(copies.b, rel));
    if (!sameEntry(x, y)) {
      const what = x.type !== y.type ? `git apply gives ${x.type}, --write gives ${y.type}` : x.mode !== y.mode ? `mode ${x.mode?.toString(8)} after git apply, ${y.mode?.toString(8)} after --write` : `contents differ (git apply ${x.data?.length} bytes, --write ${y.data?.length} bytes)`;
      fail(set, rel, 'apply≠write', what);
    }
  }
  // The CLI touched exactly what run() said would change.
  const expected = new Set(result.outcomes.filter((o) => o.status === 'changed' || o.status === 'created').map((o) => o.path));
  const writtenFiles = touchedB.filter((rel) => !(snapB2.get(rel) ?? '').startsWith('d:'));
  for (const rel of writtenFiles) if (!expected.has(rel)) fail(set, rel, 'cli≠api', '--write changed this file but run() over the original did not report it changed');
  const written = new Set(writtenFiles);
  for (const rel of expected) if (!written.has(rel)) fail(set, rel, 'cli≠api', 'run() over the original reports a change that --write on the copy did not make');

  // Whole-tree second pass over the written copy: nothing changes.
  const config = await loadConfig(copies.b).catch(() => undefined);
  const again = await run({ paths: ['.'], cwd: copies.b, transforms: set.transforms, transformOptions, config, jobs });
  for (const o of again.outcomes) {
    if (o.status === 'changed' || o.status === 'created') {
      fail(set, o.path, 'not-idempotent', `a second run over the written tree ${o.status === 'created' ? 'creates' : 'changes'} it again (line ${o.after !== undefined && o.before !== undefined ? firstDiffLine(o.before, o.after) : '?'})`);
    } else if (o.status === 'error' && o.messages.some((m) => errorKind(m.message))) {
      fail(set, o.path, 'not-idempotent', `a second run over the written tree refuses it: ${o.messages.map((m) => m.message).join('; ')}`);
    }
  }

  // Reset both copies for the next set.
  restore(copies.a, dir, touchedA);
  restore(copies.b, dir, touchedB);
  copies.snapA = snapshot(copies.a);
  copies.snapB = snapshot(copies.b);
}

// ---------------------------------------------------------------------------------------------------

function formatText(r, maxPrint) {
  const lines = [];
  const pad = (s, n) => String(s).padEnd(n);
  const lpad = (s, n) => String(s).padStart(n);
  lines.push(`dockshift sweep of ${r.dir}`);
  lines.push(`files scanned: ${r.files}    errors: ${r.errors.total}    transform sets: ${r.sets.length}    failures: ${r.failures.length}`);
  lines.push('');
  if (r.errors.total) {
    lines.push('errors by kind (input files dockshift cannot process):');
    for (const [k, n] of Object.entries(r.errors.byKind).sort((a, b) => b[1] - a[1])) lines.push(`  ${lpad(n, 5)}  ${k}  (e.g. ${r.errors.examples[k]})`);
    lines.push('');
  }
  lines.push('per transform set:');
  lines.push(`  ${pad('set', 50)}${lpad('changed', 8)}${lpad('unchanged', 10)}${lpad('skipped', 8)}${lpad('errors', 7)}${lpad('created', 8)}${lpad('failures', 9)}  time (run/checks/cli)`);
  for (const s of r.sets) {
    const ms = [s.ms.run, s.ms.checks, s.ms.cli].map((x) => (x === undefined ? '–' : `${(x / 1000).toFixed(1)}s`)).join('/');
    lines.push(`  ${pad(s.name, 50)}${lpad(s.changed, 8)}${lpad(s.unchanged, 10)}${lpad(s.skipped, 8)}${lpad(s.errors, 7)}${lpad(s.created + (s.generatedChanged ? `+${s.generatedChanged}` : ''), 8)}${lpad(s.failures, 9)}  ${ms}`);
  }
  lines.push('');
  for (const [title, key] of [['findings (error-level messages on files that were processed, by reason; count = files)', 'findings'], ['refusals (left alone, by reason; count = files)', 'refusals'], ['notes (info messages, by reason)', 'notes']]) {
    const any = r.sets.some((s) => Object.keys(s[key]).length);
    if (!any) continue;
    lines.push(`${title}:`);
    for (const s of r.sets) {
      const entries = Object.entries(s[key]).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      if (!entries.length) continue;
      lines.push(`  ${s.name}`);
      for (const [k, n] of entries) lines.push(`    ${lpad(n, 5)}  ${k}`);
    }
    lines.push('');
  }
  if (r.failures.length) {
    lines.push(`failures (${r.failures.length}):`);
    const groups = new Map();
    for (const f of r.failures) {
      const k = `${f.set} · ${f.check}`;
      (groups.get(k) ?? groups.set(k, []).get(k)).push(f);
    }
    for (const [k, fs_] of groups) {
      lines.push(`  ${k} (${fs_.length})`);
      for (const f of fs_.slice(0, maxPrint)) lines.push(`    ${f.path}: ${f.detail}`);
      if (fs_.length > maxPrint) lines.push(`    … and ${fs_.length - maxPrint} more (--json or --max-print to see them)`);
    }
    lines.push('');
  } else lines.push('failures: none');
  for (const w of r.warnings ?? []) lines.push(`warning: ${w}`);
  if (r.copies) lines.push(`copies kept in ${r.copies}`);
  lines.push(`runtime: ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

// Importable (for testing the checks) without running.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
