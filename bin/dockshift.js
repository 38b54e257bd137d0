#!/usr/bin/env node
// Starts the CLI from a bundle: the engine as one script, compiled from V8's code cache made at build time
// (scripts/bundle.mjs). Loading and compiling the ~45 modules of dist/src one by one took longer than a small
// run's work. dist/cli.cjs holds the recommended transforms; a run that asks for another built-in starts again,
// before printing anything, from dist/cli-full.cjs. Without a bundle, with one older than the last tsc build
// (a developer's `tsc -w`), or with DOCKSHIFT_NO_BUNDLE set, it runs dist/src as it is. CommonJS
// (bin/package.json), because a CommonJS entry point starts faster than an ES module one.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');

/** `{ main, script, file }` from dist/<file>, or undefined when dist/src is to run instead. */
function loadBundle(file) {
  if (process.env.DOCKSHIFT_NO_BUNDLE) return undefined;
  const abs = path.join(dist, file);
  const bundle = fs.statSync(abs, { throwIfNoEntry: false });
  const tsc = fs.statSync(path.join(dist, '.tsbuildinfo'), { throwIfNoEntry: false });
  if (!bundle || (tsc && tsc.mtimeMs > bundle.mtimeMs)) return undefined;
  const source = fs.readFileSync(abs, 'utf8');
  const vm = require('node:vm');
  const Module = require('node:module');
  // The cache belongs to this bundle only when its header repeats the bundle's first line (its content hash).
  const header = source.slice(0, source.indexOf('\n') + 1);
  let cachedData;
  try {
    const cache = fs.readFileSync(`${abs}.cache`);
    if (header.length > 0 && cache.toString('latin1', 0, header.length) === header) cachedData = cache.subarray(header.length);
  } catch {
    // no cache: compile from source
  }
  const script = new vm.Script(Module.wrap(source), { filename: abs, cachedData });
  // The bundle's import() of what it leaves outside (yargs, user transforms, …) goes through this one.
  const module = { exports: {}, dynamicImport: (specifier) => import(specifier) };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(abs), module, abs, dist);
  return { main: module.exports.main, script, file };
}

async function start() {
  const io = { argv: process.argv.slice(2), cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env };
  const run = async (bundle) => (bundle ? bundle.main(io) : (await import('../dist/src/cli.js')).main(io));
  let bundle = loadBundle('cli.cjs');
  try {
    process.exitCode = await run(bundle);
  } catch (e) {
    if (!bundle || e?.code !== 'DOCKSHIFT_NEEDS_FULL_BUNDLE') throw e;
    bundle = loadBundle('cli-full.cjs');
    process.exitCode = await run(bundle);
  }
  // The build's warm-up runs (scripts/bundle.mjs) save the code compiled so far as the cache of the bundle that
  // finished the run, after a line naming it.
  const cacheOut = process.env.DOCKSHIFT_WRITE_CODE_CACHE;
  if (bundle && cacheOut) fs.writeFileSync(cacheOut, Buffer.concat([Buffer.from(`// ${bundle.file}\n`), bundle.script.createCachedData()]));
}

start().catch((e) => {
  process.stderr.write(`dockshift: internal error: ${e?.stack ?? String(e)}\n`);
  process.exitCode = 2;
});
