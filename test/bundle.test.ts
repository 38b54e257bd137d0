// The bin runs dist/cli.cjs, or dist/cli-full.cjs for the opt-in built-ins (scripts compiled from a code cache,
// scripts/bundle.mjs), instead of the modules of dist/src. It must be the same program: same output in every
// format, same files written, same exit statuses; and a cache must never be used for a bundle it was not made
// for. Every other end-to-end test runs the bundles too (they spawn bin/dockshift.js); these compare them with
// dist/src and exercise the bin's choices.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ENV, ROOT, tmp, write } from './helpers.js';
import type { Run } from './helpers.js';

const BUNDLE = path.join(ROOT, 'dist', 'cli.cjs');
const FULL_BUNDLE = path.join(ROOT, 'dist', 'cli-full.cjs');
const OPT_IN = 'manifest-first,files-stage,dockerignore-allowlist,cache-mounts,cache-mount-pitfalls';

function runBin(bin: string, cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...ENV, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run times are the only thing allowed to differ between two runs. */
const untimed = (s: string) => s.replace(/\(\d+ ms\)/g, '(N ms)');

/** A package with the bin and the bundles only (no dist/src): what runs there can only be a bundle. */
function bundleOnlyPackage(): string {
  const pkg = tmp();
  fs.cpSync(path.join(ROOT, 'bin'), path.join(pkg, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(pkg, 'dist'));
  for (const f of [BUNDLE, FULL_BUNDLE, `${BUNDLE}.cache`, `${FULL_BUNDLE}.cache`]) fs.copyFileSync(f, path.join(pkg, 'dist', path.basename(f)));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  return pkg;
}

/** Which bundle finished the run (the bin saves its code cache after a line naming it), or undefined for dist/src. */
function bundleThatRan(bin: string, cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string | undefined {
  const out = path.join(tmp(), 'cache');
  const r = runBin(bin, cwd, args, { ...env, DOCKSHIFT_WRITE_CODE_CACHE: out });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return fs.existsSync(out) ? /^\/\/ (\S+)\n/.exec(fs.readFileSync(out, 'latin1'))?.[1] : undefined;
}

const SMALL = { 'app/Dockerfile': 'FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n' };

test('the build made both bundles, each with a code cache (same content hash in both), the core one without the opt-in built-ins', () => {
  for (const file of [BUNDLE, FULL_BUNDLE]) {
    const bundle = fs.readFileSync(file, 'utf8');
    const header = bundle.slice(0, bundle.indexOf('\n') + 1);
    assert.match(header, /^\/\/ dockshift bundle [0-9a-f]{32}\n$/);
    const cache = fs.readFileSync(`${file}.cache`);
    assert.is(cache.toString('latin1', 0, header.length), header);
    assert.ok(cache.length > header.length + 10_000, 'the cache holds compiled code');
  }
  assert.ok(fs.statSync(BUNDLE).size < fs.statSync(FULL_BUNDLE).size * 0.7, 'the core bundle is markedly smaller');
  assert.not.match(fs.readFileSync(BUNDLE, 'utf8'), 'manifest-first/node.js');
  assert.match(fs.readFileSync(FULL_BUNDLE, 'utf8'), 'manifest-first/node.js');
});

test('bundle and dist/src give the same output in every format, the same --check status and the same --help', () => {
  const root = tmp();
  fs.cpSync(path.join(ROOT, 'examples'), path.join(root, 'examples'), { recursive: true });
  const bin = path.join(ROOT, 'bin', 'dockshift.js');
  assert.is(bundleThatRan(bin, root, ['examples']), 'cli.cjs', 'the bin runs the core bundle (after `tsc` alone, run `npm run build`)');
  assert.is(bundleThatRan(bin, root, ['-t', 'manifest-first', 'examples']), 'cli-full.cjs', 'and the full one for an opt-in built-in');
  const cases = [
    ['examples'],
    ...['json', 'sarif', 'markdown', 'summary'].map((f) => ['--format', f, 'examples']),
    ['--check', 'examples'],
    ['-t', OPT_IN, '--format', 'json', 'examples'],
    ['-t', 'syntax-directive,manifest-first', '--check', 'examples'],
    ['-t', 'manifest-first,no-such-transform', 'examples'],
    ['--help'],
    ['--list'],
    ['--format', 'json', 'examples/no-such-dir'],
  ];
  for (const args of cases) {
    const bundled = runBin(bin, root, args);
    const modules = runBin(bin, root, args, { DOCKSHIFT_NO_BUNDLE: '1' });
    const label = args.join(' ');
    assert.is(bundled.status, modules.status, `${label}: exit status`);
    assert.is(untimed(bundled.stdout), untimed(modules.stdout), `${label}: stdout`);
    assert.is(untimed(bundled.stderr), untimed(modules.stderr), `${label}: stderr`);
  }
});

test('bundle and dist/src write the same bytes with --write', () => {
  const a = tmp();
  const b = tmp();
  fs.cpSync(path.join(ROOT, 'examples'), a, { recursive: true });
  fs.cpSync(path.join(ROOT, 'examples'), b, { recursive: true });
  const bin = path.join(ROOT, 'bin', 'dockshift.js');
  const args = ['--write', '-q', '-t', 'syntax-directive,cache-id-platform,manifest-first,dockerignore-allowlist', '.'];
  assert.is(runBin(bin, a, args).status, 0);
  assert.is(runBin(bin, b, args, { DOCKSHIFT_NO_BUNDLE: '1' }).status, 0);
  const files = (d: string) => (fs.readdirSync(d, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(d, f)).isFile()).sort();
  assert.equal(files(a), files(b));
  for (const f of files(a)) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), f);
});

test('the bundles run on their own (no dist/src), and a cache that is missing, foreign or corrupt changes nothing', () => {
  const pkg = bundleOnlyPackage();
  const bin = path.join(pkg, 'bin', 'dockshift.js');
  const work = tmp();
  write(work, SMALL);
  const expected = runBin(path.join(ROOT, 'bin', 'dockshift.js'), work, ['--format', 'json', 'app']);
  assert.is(expected.status, 0, expected.stderr);
  const cacheFile = path.join(pkg, 'dist', 'cli.cjs.cache');
  const header = fs.readFileSync(cacheFile).toString('latin1', 0, fs.readFileSync(BUNDLE, 'utf8').indexOf('\n') + 1);
  const variants: [string, () => void][] = [
    ['the build cache', () => undefined],
    ['a cache whose code V8 rejects', () => fs.writeFileSync(cacheFile, Buffer.concat([Buffer.from(header), Buffer.alloc(4096, 7)]))],
    ['a cache made for another bundle', () => fs.writeFileSync(cacheFile, Buffer.concat([Buffer.from('// dockshift bundle 0000\n'), fs.readFileSync(`${BUNDLE}.cache`).subarray(header.length)]))],
    ['no cache', () => fs.rmSync(cacheFile)],
  ];
  for (const [label, prepare] of variants) {
    prepare();
    const r = runBin(bin, work, ['--format', 'json', 'app']);
    assert.is(r.status, 0, `${label}: ${r.stderr}`);
    assert.is(r.stdout, expected.stdout, label);
    assert.is(untimed(r.stderr), untimed(expected.stderr), `${label}: no warning`);
  }
  assert.is(runBin(bin, work, ['--version']).stdout, runBin(path.join(ROOT, 'bin', 'dockshift.js'), work, ['--version']).stdout);
  // An opt-in built-in (the full bundle), also named in a config file rather than on the command line.
  const optIn = runBin(path.join(ROOT, 'bin', 'dockshift.js'), work, ['-t', OPT_IN, '--format', 'json', 'app']);
  assert.is(optIn.status, 0, optIn.stderr);
  const r = runBin(bin, work, ['-t', OPT_IN, '--format', 'json', 'app']);
  assert.is(r.stdout, optIn.stdout);
  write(work, { 'dockshift.config.json': JSON.stringify({ transforms: OPT_IN.split(',') }) });
  assert.is(runBin(bin, work, ['--format', 'json', 'app']).stdout, optIn.stdout);
});

test('a tsc build newer than the bundle (a stale bundle) is run from dist/src; DOCKSHIFT_NO_BUNDLE does the same', () => {
  const pkg = bundleOnlyPackage();
  const bin = path.join(pkg, 'bin', 'dockshift.js');
  fs.symlinkSync(path.join(ROOT, 'dist', 'src'), path.join(pkg, 'dist', 'src'));
  fs.symlinkSync(path.join(ROOT, 'dist', 'transforms'), path.join(pkg, 'dist', 'transforms'));
  const work = tmp();
  write(work, SMALL);
  const ranBundle = (env: NodeJS.ProcessEnv = {}) => bundleThatRan(bin, work, ['app'], env) !== undefined;
  assert.ok(ranBundle(), 'a fresh bundle is used');
  assert.not.ok(ranBundle({ DOCKSHIFT_NO_BUNDLE: '1' }), 'DOCKSHIFT_NO_BUNDLE runs dist/src');
  const tsbuildinfo = path.join(pkg, 'dist', '.tsbuildinfo');
  fs.writeFileSync(tsbuildinfo, '{}');
  const later = new Date(fs.statSync(path.join(pkg, 'dist', 'cli.cjs')).mtimeMs + 60_000);
  fs.utimesSync(tsbuildinfo, later, later);
  assert.not.ok(ranBundle(), 'a bundle older than the last tsc build is not used');
});

test('a broken bundle is an internal error with exit status 2, not a silent fallback', () => {
  const pkg = bundleOnlyPackage();
  const core = path.join(pkg, 'dist', 'cli.cjs');
  fs.writeFileSync(core, fs.readFileSync(core, 'utf8').slice(0, 5000));
  const work = tmp();
  write(work, SMALL);
  const r = runBin(path.join(pkg, 'bin', 'dockshift.js'), work, ['app']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^dockshift: internal error: [^]*SyntaxError/);
  assert.is(r.stdout, '');
});

test.run();
