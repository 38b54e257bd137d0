#!/usr/bin/env node
// `npm run bench` — how fast dockshift is, against the floor it builds on (dockerfile-ast's parser).
//
//   node scripts/bench.mjs [--files N] [--quick] [--seed N] [--dir PATH] [--profile] [--summarise FILE]
//
// 1. Generates a seeded corpus of varied, valid Dockerfiles with build contexts (scripts/bench-data.mjs) in
//    $TMPDIR/dockshift-bench-corpus-<files>-s<seed> (or --dir). It is kept and reused while bench-data.mjs, the
//    seed Dockerfiles, --files and --seed stay the same, so before/after runs read the very same files (and
//    neither pays ~10 s of writing and deleting 15,000 small files).
// 2. In-process, after a warm-up, best of several repetitions, files per second for:
//      a. DockerfileParser.parse(text)     (dockerfile-ast alone, texts already in memory)
//      b. parseDockerfile(text)            (dockshift's model: scanner + dockerfile-ast cross-check)
//      c. run(), no transform              (discovery + reading + parsing)
//      d. run(), the recommended set       (dry run, guard on)
//      e. run(), the recommended set, verify: false
//      d1. as d, with jobs: 1              (c–e use run()'s default parallelism: worker threads on big runs)
//    and ×a = time per file relative to (a). Target: (d) within 3× of (a). Below them, components of (c):
//    discover() alone (tree walk, and in a git work tree) and readSource() alone.
// 3. One small file as a user runs it: `node bin/dockshift.js Dockerfile`, median and p90 wall-clock ms
//    (target < 150 ms), next to `node -e 0`, `dockshift --version` and the same run from dist/src's modules
//    (DOCKSHIFT_NO_BUNDLE=1) instead of the bundle; with NODE_EXTRA_CA_CERTS too when it is set.
// 4. Last line: a JSON summary (bareParse, defaultRun, ratio, smallFileMs, …) for refreshing README figures.
//
// --quick: 500 files, fewer repetitions (< 30 s). --profile: instead of the above, runs the recommended set
// over the corpus under `node --cpu-prof` and prints where the time goes (self time by function and by module);
// --summarise FILE.cpuprofile prints the same summary for any profile (e.g. of `node --cpu-prof bin/dockshift.js`).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DockerfileParser } from 'dockerfile-ast';
import { discover, loadRecommended, parseDockerfile, readSource, run } from '../dist/src/index.js';
import { corpusSettings, describeCorpus, MANIFEST, REPO_ROOT } from './bench-data.mjs';

const SELF = fileURLToPath(import.meta.url);
const BIN = path.join(REPO_ROOT, 'bin', 'dockshift.js');
const TARGET_RATIO = 3;
const TARGET_SMALL_MS = 150;

const { values: opt } = parseArgs({
  options: {
    files: { type: 'string' },
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-child': { type: 'string' },
    summarise: { type: 'string' },
    reps: { type: 'string' },
  },
  strict: true,
});

if (opt.summarise) {
  for (const line of summariseProfile(JSON.parse(fs.readFileSync(opt.summarise, 'utf8')))) process.stdout.write(line + '\n');
  process.exit(0);
}
if (opt['profile-child']) {
  await profileChild(opt['profile-child'], Number(opt.reps ?? 3));
  process.exit(0);
}

const quick = opt.quick;
const N = Number(opt.files ?? (quick ? 500 : 3000));
const PARSE_REPS = quick ? 3 : 5;
const RUN_REPS = quick ? 1 : 3;
const CLI_RUNS = quick ? 5 : 20;
const CLI_WARMUP = quick ? 1 : 2;
if (!Number.isInteger(N) || N < 1) fail(`--files must be a positive integer (got ${opt.files})`);

const began = performance.now();
// Temp dirs are removed on any exit, failures included.
const tempDirs = [];
process.on('exit', () => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});
const log = (s = '') => process.stdout.write(s + '\n');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const astPkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'dockerfile-ast', 'package.json'), 'utf8'));
const transforms = await loadRecommended();

log(`dockshift ${pkg.version} bench — node ${process.version}, ${os.cpus()[0]?.model?.trim() ?? 'cpu'} ×${os.availableParallelism?.() ?? os.cpus().length}, ${process.platform}/${process.arch}, dockerfile-ast ${astPkg.version}`);
log(`recommended set: ${transforms.map((t) => t.meta.name).join(', ') || '(none)'}${quick ? '   [--quick]' : ''}`);
const cores = os.availableParallelism?.() ?? os.cpus().length;
const loadNote = () => `load average ${os.loadavg()[0].toFixed(2)} on ${cores} cores`;
log(`${loadNote()} at start${os.loadavg()[0] > cores / 2 ? ' — the machine is (or was just) busy: expect noisy figures' : ''}`);
log();

// --- one small file, as a user runs it (measured first, while this process is small: spawning from a big
// process costs the child tens of ms more) ---------------------------------------------------------------

const cli = measureCli();

// --- the corpus ------------------------------------------------------------------------------------------

const corpus = loadOrGenerate();
const corpusDir = corpus.dir;
const cwd = path.dirname(corpusDir);
// Texts as the runner gets them (flat strings read from disk), not the generator's concatenated strings,
// which parse markedly slower.
const texts = corpus.dockerfiles.map((d) => fs.readFileSync(d.abs, 'utf8'));
const totalBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
for (const line of describeCorpus(corpus)) log(`corpus: ${line}`);
log(`corpus: ${corpusDir}${corpus.reused ? ' (reused)' : ` (generated in ${((corpus.ms ?? 0) / 1000).toFixed(1)} s)`}`);

if (opt.profile) {
  profileParent();
  process.exit(0);
}

// --- in-process throughput -------------------------------------------------------------------------------

let sink = 0;
const rows = [];

/**
 * Cases measured together, round-robin (so that drift and GC pressure spread over all of them): one warm-up
 * call each (`check` sees its result), then `reps` timed rounds — fewer (at least `minReps`) when the rounds
 * would overrun `budgetMs`, so that the bench keeps to its time as transforms are added. Best and median per case.
 */
async function measureGroup(reps, cases, { budgetMs = Infinity, minReps = 1 } = {}) {
  const started = performance.now();
  for (const c of cases) c.check?.(await c.fn());
  for (const c of cases) c.times = [];
  for (let i = 0; i < reps; i++) {
    const elapsed = performance.now() - started;
    if (i >= minReps && elapsed + elapsed / (i + 1) > budgetMs) break; // the next round would overrun
    for (const c of cases) {
      const start = performance.now();
      await c.fn();
      c.times.push(performance.now() - start);
    }
  }
  return cases.map((c) => {
    const times = c.times.sort((x, y) => x - y);
    const row = { label: c.label, best: times[0], median: times[Math.floor((times.length - 1) / 2)], reps: times.length };
    rows.push(row);
    return row;
  });
}

const [bare, parseOnly] = await measureGroup(PARSE_REPS, [
  {
    label: 'a. dockerfile-ast DockerfileParser.parse',
    fn: () => {
      for (const text of texts) sink += DockerfileParser.parse(text).getInstructions().length;
    },
  },
  {
    label: 'b. dockshift parseDockerfile',
    fn: () => {
      for (const text of texts) sink += parseDockerfile(text).instructions.length;
    },
  },
]);
let outcome = '';
// run() picks its own parallelism (worker threads) by default; (d1) pins it to one thread, which is the
// like-for-like comparison with (a) and (b).
const autoJobs = await import('../dist/src/runner/run.js').then((m) => m.chooseJobs?.('auto', N, os.availableParallelism())).catch(() => undefined);
const jobsNote = autoJobs === undefined ? '' : ` [${autoJobs} thread${autoJobs > 1 ? 's' : ''}]`;
const [noTransform, defaultRun, noVerify, oneThread] = await measureGroup(RUN_REPS, [
  {
    label: `c. run(), no transform${jobsNote}`,
    fn: () => run({ paths: [corpusDir], transforms: [], cwd }),
    check: (res) => {
      // Every file is found and parses.
      if (res.totals.scanned !== N || res.totals.errors) {
        fail(`run() with no transform scanned ${res.totals.scanned} files (expected ${N}) with ${res.totals.errors} errors: ${firstErrors(res)}`);
      }
    },
  },
  {
    label: `d. run(), recommended set${jobsNote}`,
    fn: () => run({ paths: [corpusDir], transforms, cwd }),
    check: (res) => {
      const t = res.totals;
      outcome = `${t.changed} changed, ${t.unchanged} unchanged, ${t.skipped} skipped, ${t.created} created, ${t.errors} errors${t.errors ? ` (${firstErrors(res)})` : ''}`;
    },
  },
  { label: `e. run(), recommended, verify: false${jobsNote}`, fn: () => run({ paths: [corpusDir], transforms, cwd, verify: false }) },
  { label: 'd1. run(), recommended set, jobs: 1', fn: () => run({ paths: [corpusDir], transforms, cwd, jobs: 1 }) },
], { budgetMs: quick ? 15_000 : 70_000, minReps: Math.min(RUN_REPS, 2) });
const mainRows = rows.length;
// Components of (c), for reading the table: what discovery and reading cost on their own.
const found = discover([corpusDir], cwd).files;
await measureGroup(RUN_REPS, [
  { label: 'discover() only (tree walk: no git)', fn: () => (sink += discover([corpusDir], cwd).files.length) },
  {
    label: 'readSource() only',
    fn: () => {
      for (const f of found) sink += readSource(f.abs, f.rel).ok ? 1 : 0;
    },
  },
]);
// Most users run inside a git work tree, where discovery asks `git ls-files` instead of walking.
if (spawnSync('git', ['init', '-q', corpusDir], { stdio: 'ignore' }).status === 0) {
  await measureGroup(RUN_REPS, [
    {
      label: 'discover() only (in a git work tree)',
      fn: () => discover([corpusDir], cwd).files.length,
      check: (n) => n === N || fail(`discover() in a git work tree found ${n} files (expected ${N})`),
    },
  ]);
  fs.rmSync(path.join(corpusDir, '.git'), { recursive: true, force: true });
}

const perSec = (row) => N / (row.best / 1000);
const ratio = (row) => row.best / bare.best;
log(`corpus: recommended set, dry run → ${outcome}`);
log();
log(`throughput, ${N} files (${(totalBytes / 1024).toFixed(0)} KiB), best of ${bare.reps} (a, b) / ${defaultRun.reps} (c–e, d1) timed round${defaultRun.reps > 1 ? 's' : ''} (round-robin) after a warm-up round`);
log(table(
  ['', 'best ms', 'median ms', 'files/s', 'µs/file', '× a'],
  rows.map((r, k) => [
    k < mainRows ? r.label : `   ${r.label}`,
    r.best.toFixed(0),
    r.median.toFixed(0),
    Math.round(perSec(r)).toLocaleString('en-US'),
    ((r.best * 1000) / N).toFixed(0),
    k < mainRows ? ratio(r).toFixed(2) + '×' : '',
  ]),
  [(k) => (k === mainRows ? '   components of c:' : undefined)],
));
const verdict = (ok) => (ok ? 'OK' : 'MISSED');
log(`target: default run within ${TARGET_RATIO}× of bare parse → ${ratio(defaultRun).toFixed(2)}× ${verdict(ratio(defaultRun) <= TARGET_RATIO)}; in one thread (d1): ${ratio(oneThread).toFixed(2)}× ${verdict(ratio(oneThread) <= TARGET_RATIO)}`);
log();

const { nodeStart, version, small, smallModules, nodeStartCa, smallCa } = cli;
const smallChanged = small.last.stdout.includes('+# syntax=') || small.last.stdout.includes('+++');
log(`one small file (7 lines), each command spawned ${CLI_RUNS}× (round-robin) after ${CLI_WARMUP} warm-up${CLI_WARMUP > 1 ? 's' : ''}, wall clock`);
log(table(
  ['', 'median ms', 'p90 ms', 'min ms'],
  Object.values(cli).map((x) => [x.label, x.median.toFixed(0), x.p90.toFixed(0), x.min.toFixed(0)]),
));
log(`dockshift Dockerfile → exit ${small.last.status}, ${smallChanged ? 'diff printed' : 'no diff'}; ${small.last.stderr.trim().split('\n').pop()}`);
log(`target: small file under ${TARGET_SMALL_MS} ms → ${small.median.toFixed(0)} ms median ${verdict(small.median < TARGET_SMALL_MS)} (node itself: ${nodeStart.median.toFixed(0)} ms; dockshift's own share: ${(small.median - nodeStart.median).toFixed(0)} ms; from dist/src's modules instead of the bundle: ${(smallModules.median - nodeStart.median).toFixed(0)} ms)`);
if (smallCa) {
  log(`NODE_EXTRA_CA_CERTS is set in this environment: Node parses it before dockshift starts (node -e 0: +${(nodeStartCa.median - nodeStart.median).toFixed(0)} ms); with it, the small file takes ${smallCa.median.toFixed(0)} ms ${verdict(smallCa.median < TARGET_SMALL_MS)}`);
}

log(`(bench took ${((performance.now() - began) / 1000).toFixed(1)} s; ${loadNote()} at the end, including the bench itself)`);
const r1 = (x) => Math.round(x);
const r2 = (x) => Math.round(x * 100) / 100;
log(JSON.stringify({
  bareParse: r1(perSec(bare)),
  defaultRun: r1(perSec(defaultRun)),
  ratio: r2(ratio(defaultRun)),
  smallFileMs: r1(small.median),
  smallFileP90Ms: r1(small.p90),
  nodeStartMs: r1(nodeStart.median),
  smallFileModulesMs: r1(smallModules.median),
  smallFileExtraCaMs: smallCa ? r1(smallCa.median) : null,
  versionMs: r1(version.median),
  parseOnly: r1(perSec(parseOnly)),
  noTransformRun: r1(perSec(noTransform)),
  noVerifyRun: r1(perSec(noVerify)),
  defaultRunOneThread: r1(perSec(oneThread)),
  ratioOneThread: r2(ratio(oneThread)),
  defaultRunThreads: autoJobs ?? null,
  files: N,
  transforms: transforms.map((x) => x.meta.name),
  node: process.version,
  quick,
}));

// --- helpers ---------------------------------------------------------------------------------------------

/** `node -e 0`, `dockshift --version` and `dockshift Dockerfile` on a 7-line file (bundle and modules), round-robin. */
function measureCli() {
  const smallDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-bench-small-'));
  tempDirs.push(smallDir);
  fs.writeFileSync(path.join(smallDir, 'Dockerfile'), 'FROM node:20-alpine\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n');
  fs.writeFileSync(path.join(smallDir, 'package.json'), '{ "name": "small", "version": "1.0.0" }\n');
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  // Node reads and parses NODE_EXTRA_CA_CERTS at start-up, before any JavaScript runs (tens of ms for a system
  // bundle on a slow machine). The figures are taken without it — it is the same for every Node program — and,
  // when it is set here, also with it, on rows of their own.
  const extraCa = env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_EXTRA_CA_CERTS;
  const commands = [
    { key: 'nodeStart', label: 'node -e 0', args: ['-e', '0'] },
    { key: 'version', label: 'dockshift --version', args: [BIN, '--version'] },
    { key: 'small', label: 'dockshift Dockerfile', args: [BIN, 'Dockerfile'] },
    { key: 'smallModules', label: 'dockshift Dockerfile, DOCKSHIFT_NO_BUNDLE=1', args: [BIN, 'Dockerfile'], env: { DOCKSHIFT_NO_BUNDLE: '1' } },
  ];
  if (extraCa) {
    commands.push(
      { key: 'nodeStartCa', label: 'node -e 0, NODE_EXTRA_CA_CERTS set', args: ['-e', '0'], env: { NODE_EXTRA_CA_CERTS: extraCa } },
      { key: 'smallCa', label: 'dockshift Dockerfile, NODE_EXTRA_CA_CERTS set', args: [BIN, 'Dockerfile'], env: { NODE_EXTRA_CA_CERTS: extraCa } },
    );
  }
  const once = (c) => {
    const start = performance.now();
    const r = spawnSync(process.execPath, c.args, { cwd: smallDir, env: { ...env, ...c.env }, encoding: 'utf8' });
    const ms = performance.now() - start;
    if (r.status !== 0 || r.error) fail(`${c.label} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}: ${r.stderr}`);
    c.last = r;
    return ms;
  };
  for (let i = 0; i < CLI_WARMUP; i++) for (const c of commands) once(c);
  for (const c of commands) c.times = [];
  for (let i = 0; i < CLI_RUNS; i++) for (const c of commands) c.times.push(once(c));
  fs.rmSync(smallDir, { recursive: true, force: true });
  const out = {};
  for (const c of commands) {
    const ts = c.times.sort((x, y) => x - y);
    const q = (p) => ts[Math.min(ts.length - 1, Math.ceil(p * ts.length) - 1)];
    out[c.key] = { label: c.label, median: q(0.5), p90: q(0.9), min: ts[0], last: c.last };
  }
  return out;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function firstErrors(result) {
  const errs = result.outcomes.filter((o) => o.status === 'error').slice(0, 3);
  return errs.map((o) => `${o.path}: ${o.messages.map((m) => m.message).join('; ')}`).join(' | ');
}

/**
 * The corpus in its directory when it was made with the same settings, else a new one, generated there by
 * bench-data.mjs in a child process (see there why).
 */
function loadOrGenerate() {
  const settings = corpusSettings(N, Number(opt.seed));
  const dir = path.resolve(opt.dir ?? path.join(os.tmpdir(), `dockshift-bench-corpus-${N}-s${settings.seed}`));
  const read = () => JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8'));
  let manifest;
  let reused = false;
  try {
    manifest = read();
    reused = JSON.stringify(manifest.settings) === JSON.stringify(settings);
  } catch {
    /* nothing usable there */
  }
  if (!reused) {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'bench-data.mjs'), '--out', dir, '--files', String(N), '--seed', String(settings.seed), '--quiet'], { stdio: 'inherit' });
    if (r.status !== 0) fail(`bench-data.mjs exited ${r.status}`);
    manifest = read();
  }
  fs.rmSync(path.join(dir, '.git'), { recursive: true, force: true }); // left by an interrupted run
  const dockerfiles = manifest.files.map((f) => ({ ...f, abs: path.join(dir, f.rel) }));
  return { dir, dockerfiles, stats: manifest.stats, ms: manifest.ms, reused };
}

function table(head, body, separators = []) {
  const all = [head, ...body];
  const widths = head.map((_, c) => Math.max(...all.map((r) => String(r[c]).length)));
  const fmt = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  const out = [fmt(head)];
  body.forEach((r, k) => {
    for (const sep of separators) {
      const s = sep(k);
      if (s) out.push(s);
    }
    out.push(fmt(r));
  });
  return out.map((l) => '  ' + l.trimEnd()).join('\n');
}

// --- profile ---------------------------------------------------------------------------------------------

/** Child: runs the recommended set over the corpus (1 warm-up + reps), under --cpu-prof. */
async function profileChild(dir, reps) {
  const set = await loadRecommended();
  // One thread, so that one profile holds all the work (with worker threads each thread writes its own).
  for (let i = 0; i <= reps; i++) await run({ paths: [dir], transforms: set, cwd: path.dirname(dir), jobs: 1 });
}

function profileParent() {
  const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-bench-prof-'));
  const reps = quick ? 2 : 4;
  log(`profiling: node --cpu-prof (100 µs sampling), recommended set over the corpus, jobs: 1, 1 warm-up + ${reps} runs`);
  const start = performance.now();
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir, SELF, '--profile-child', corpusDir, '--reps', String(reps)], { stdio: 'inherit' });
  if (r.status !== 0) fail(`profile run exited ${r.status}`);
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) fail('no .cpuprofile written');
  const keep = path.join(os.tmpdir(), 'dockshift-bench.cpuprofile');
  fs.copyFileSync(path.join(profDir, file), keep);
  fs.rmSync(profDir, { recursive: true, force: true });
  log(`profile: ${keep} (${((performance.now() - start) / 1000).toFixed(1)} s; open in Chrome DevTools → Performance)`);
  log();
  for (const line of summariseProfile(JSON.parse(fs.readFileSync(keep, 'utf8')))) log(line);
}

/** Where the time goes: self time by function, by owning module, and total time of the pipeline's steps. */
function summariseProfile(prof) {
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Paths relative to the checkout (any checkout: a profile may come from another clone), node_modules/… for deps.
  const rel = (url) => {
    const u = url.replace(/^file:\/\//, '');
    const nm = u.lastIndexOf('/node_modules/');
    if (nm >= 0) return u.slice(nm + 1);
    if (u.startsWith(REPO_ROOT + '/')) return u.slice(REPO_ROOT.length + 1);
    const d = u.lastIndexOf('/dist/');
    return d >= 0 ? u.slice(d + 1) : u;
  };
  const special = (name) => name.startsWith('(') && name.endsWith(')');
  /** The module a frame belongs to, or undefined for node internals and V8 builtins. */
  const owner = (cf) => {
    const u = rel(cf.url);
    if (!u) return special(cf.functionName) ? cf.functionName : undefined;
    if (u.startsWith('node:')) return undefined;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
    if (m) return m[1];
    if (u.startsWith('dist/')) return u.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    if (u.startsWith('scripts/')) return 'bench harness';
    return u;
  };
  const fnKey = (cf) => `${cf.functionName || '(anonymous)'}  ${rel(cf.url) ? `${rel(cf.url).replace(/^(dist|node_modules)\//, '')}:${cf.lineNumber + 1}` : '(native)'}`;

  // Synchronous steps of the pipeline, by the stack of a sample (async functions such as run() and
  // processSource() lose their callers at each await, so they cannot be totalled this way).
  const isOurs = (cf, name) => cf.functionName === name && rel(cf.url).startsWith('dist/');
  const callerOf = (stack, name) => {
    const k = stack.findIndex((cf) => isOurs(cf, name));
    return k < 0 ? undefined : (stack[k + 1]?.functionName ?? '');
  };
  const steps = [
    ['discover()', (st) => st.some((cf) => isOurs(cf, 'discover'))],
    ['readSource()', (st) => st.some((cf) => isOurs(cf, 'readSource'))],
    ['parseDockerfile(), all calls', (st) => callerOf(st, 'parseDockerfile') !== undefined],
    ['  first parse of a file', (st) => ['processSource', 'processFile'].includes(callerOf(st, 'parseDockerfile'))],
    ['  re-parse after a change (runPass)', (st) => callerOf(st, 'parseDockerfile') === 'runPass'],
    ['scan() (scan.ts)', (st) => st.some((cf) => isOurs(cf, 'scan'))],
    ['buildInstruction() (parse.ts)', (st) => st.some((cf) => isOurs(cf, 'buildInstruction'))],
    ['dockerfile-ast, all calls (for the cross-check)', (st) => st.some((cf) => /node_modules\/(dockerfile-ast|vscode-languageserver-[a-z]+)\//.test(cf.url))],
    ['crossCheck() (parse.ts, after the dockerfile-ast parse)', (st) => st.some((cf) => isOurs(cf, 'crossCheck'))],
    ['transform functions (transforms/*)', (st) => st.some((cf) => rel(cf.url).startsWith('dist/transforms/') && !rel(cf.url).endsWith('/index.js'))],
    ['Editor (edit.ts)', (st) => st.some((cf) => rel(cf.url) === 'dist/src/dockerfile/edit.js')],
    ['fsContext() listing/reading (build-context.ts)', (st) => st.some((cf) => rel(cf.url) === 'dist/src/context/build-context.js')],
    ['(garbage collector)', (st) => st[0]?.functionName === '(garbage collector)'],
  ];
  const stepTime = new Map();

  const selfFn = new Map();
  const selfOwner = new Map();
  let all = 0;
  let busy = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    if (dt <= 0) return;
    const n = nodes.get(id);
    all += dt;
    if (n.callFrame.functionName === '(idle)') return;
    busy += dt;
    selfFn.set(fnKey(n.callFrame), (selfFn.get(fnKey(n.callFrame)) ?? 0) + dt);
    const stack = [];
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) stack.push(nodes.get(cur).callFrame);
    for (const [name, test] of steps) if (test(stack)) stepTime.set(name, (stepTime.get(name) ?? 0) + dt);
    // Charge node internals and V8 builtins to the nearest caller that is project or dependency code.
    let o;
    for (const cf of stack) if ((o = owner(cf))) break;
    o ??= 'node internals (no project caller)';
    selfOwner.set(o, (selfOwner.get(o) ?? 0) + dt);
  });
  const pct = (v) => `${((100 * v) / busy).toFixed(1)}%`;
  const ms = (v) => (v / 1000).toFixed(0);
  const out = [];
  out.push(`busy ${ms(busy)} ms of ${ms(all)} ms sampled`);
  out.push('');
  out.push('self time by module (node/V8 builtins charged to the project or dependency code calling them):');
  out.push(table(['', 'ms', '%'], [...selfOwner].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, ms(v), pct(v)])));
  out.push('');
  out.push('top self time by function:');
  out.push(table(['', 'ms', '%'], [...selfFn].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => [k, ms(v), pct(v)])));
  out.push('');
  out.push('total (inclusive) time of the synchronous pipeline steps:');
  out.push(table(['', 'ms', '%'], steps.filter(([name]) => stepTime.has(name)).map(([name]) => [name, ms(stepTime.get(name)), pct(stepTime.get(name))])));
  return out;
}
