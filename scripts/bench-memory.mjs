#!/usr/bin/env node
// `npm run bench:memory -- [options]` — peak memory (max RSS) of the real CLI on a large tree.
//
//   node scripts/bench-memory.mjs [--files 50000] [--seed 1] [--dir PATH] [--formats diff,json] [--no-write]
//                                 [--bin PATH]...
//
// 1. The tree: the benchmark corpus of scripts/bench-data.mjs (varied Dockerfiles, each in a small build
//    context) with --files Dockerfiles, in $TMPDIR/dockshift-bench-corpus-<files>-s<seed> (or --dir); kept and
//    reused while the generator, its seed files and the settings stay the same (50,000 files take about a minute
//    to write and 1.3 GB of disk).
// 2. For each --bin (default: this checkout's bin/dockshift.js; give several to compare builds, e.g. a copy of an
//    older dist/), the recommended transforms over the whole tree: a dry run per --format (stdout to /dev/null),
//    then `--write --format none` on a fresh copy of the tree (unless --no-write). Each is one process; its peak
//    resident set comes from process.resourceUsage().maxRSS at exit (the same figure as `/usr/bin/time -v`).
// 3. A table, then a JSON line with the figures.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { corpusSettings, MANIFEST, REPO_ROOT } from './bench-data.mjs';

const { values: opt } = parseArgs({
  options: {
    files: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string' },
    formats: { type: 'string', default: 'diff,json' },
    write: { type: 'boolean', default: true },
    bin: { type: 'string', multiple: true },
  },
  allowNegative: true,
  strict: true,
});

const files = Number(opt.files);
const seed = Number(opt.seed);
const bins = (opt.bin?.length ? opt.bin : [path.join(REPO_ROOT, 'bin', 'dockshift.js')]).map((b) => path.resolve(b));
const formats = opt.formats.split(',').filter(Boolean);
const log = (s = '') => process.stdout.write(s + '\n');
const tempDirs = [];
process.on('exit', () => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

// --- the tree --------------------------------------------------------------------------------------------

const dir = path.resolve(opt.dir ?? path.join(os.tmpdir(), `dockshift-bench-corpus-${files}-s${seed}`));
const settings = corpusSettings(files, seed);
let manifest;
try {
  manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8'));
} catch {
  manifest = undefined;
}
if (JSON.stringify(manifest?.settings) !== JSON.stringify(settings)) {
  log(`generating ${files} Dockerfiles in ${dir} …`);
  const gen = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'bench-data.mjs'), '--out', dir, '--files', String(files), '--seed', String(seed), '--quiet'], { stdio: 'inherit' });
  if (gen.status !== 0) process.exit(1);
} else {
  log(`reusing ${dir}`);
}

// --- measuring -------------------------------------------------------------------------------------------

// Loaded into the measured process with --import: writes its peak RSS (KiB) where the environment says.
const probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-rss-')), 'probe.mjs');
tempDirs.push(path.dirname(probe));
fs.writeFileSync(probe, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.DOCKSHIFT_RSS_OUT, String(process.resourceUsage().maxRSS)));\n");

function measure(bin, args, cwd) {
  const out = path.join(path.dirname(probe), `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', probe, bin, ...args], {
    cwd,
    env: { ...process.env, DOCKSHIFT_RSS_OUT: out, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const ms = performance.now() - started;
  const rssKiB = Number(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  const summary = (r.stderr ?? '').split('\n').filter((l) => l.startsWith('dockshift: ')).pop() ?? '';
  return { status: r.status, rssMiB: rssKiB / 1024, s: ms / 1000, summary };
}

log(`node ${process.version}, ${os.availableParallelism?.() ?? os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}`);
const results = [];
for (const bin of bins) {
  const label = path.relative(process.cwd(), bin) || bin;
  for (const format of formats) {
    const m = measure(bin, ['-q', '--format', format, '.'], dir);
    results.push({ bin: label, run: `--format ${format}`, ...m });
    log(`${label}  --format ${format}: max RSS ${m.rssMiB.toFixed(0)} MiB, ${m.s.toFixed(1)} s, exit ${m.status}`);
  }
  if (opt.write) {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-bench-write-'));
    tempDirs.push(copy);
    fs.cpSync(dir, copy, { recursive: true });
    const m = measure(bin, ['--write', '--format', 'none', '.'], copy);
    results.push({ bin: label, run: '--write', ...m });
    log(`${label}  --write (on a copy): max RSS ${m.rssMiB.toFixed(0)} MiB, ${m.s.toFixed(1)} s, exit ${m.status}; ${m.summary}`);
    fs.rmSync(copy, { recursive: true, force: true });
  }
}
log(JSON.stringify({ files, seed, results: results.map((r) => ({ bin: r.bin, run: r.run, maxRssMiB: Math.round(r.rssMiB), seconds: Number(r.s.toFixed(1)), status: r.status })) }));
