// Builds what the bin starts from (run by `npm run build`, after tsc):
//
//   dist/cli.cjs             the core bundle: the CLI, the engine and the recommended transforms as one CommonJS
//                            script, with dockerfile-ast and diff inside;
//   dist/cli-full.cjs        the same with every built-in transform, for runs that ask for an opt-in one;
//   dist/<bundle>.cache      V8's code cache for each, made by a real run over examples/.
//
// Why: a one-file run spent more time loading and compiling ~45 ES modules than doing its work. One script
// compiled from a code cache starts in a fraction of that (README, "Performance"). Reading and decoding the
// script is itself a good part of what is left, so a default run reads the core bundle, half the size of the
// full one. dist/src stays the package's API and what worker threads load; the bundles are only the bin's fast
// path (bin/dockshift.js).
//
// Each cache starts with a header naming its bundle's content hash, and the bin uses it only when the bundle's
// first line names the same hash: V8 itself checks little more than the source's length, and a stale cache for
// a bundle of equal length would run old code.
//
// `node scripts/bundle.mjs --analyze` also prints what each bundle is made of, largest first.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const bin = path.join(root, 'bin', 'dockshift.js');
const { BUILTIN_ORDER, RECOMMENDED } = await import(pathToFileURL(path.join(dist, 'transforms', 'index.js')).href);

// Inside: what every run needs. Outside (loaded on first use, as from dist/src): the rest — yargs (--help),
// web-tree-sitter (shell-aware transforms), jiti (.ts transforms), yaml and hcl2json (compose and bake files),
// write-file-atomic (--write), ignore (.gitignore). A dependency added later stays outside unless it is named
// here, and only strict-mode CommonJS may come inside: a bundle is one strict script (ES modules are strict,
// and so must the engine stay), and sloppy code can behave differently in it.
const INSIDE = ['dockerfile-ast', 'diff'];
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !INSIDE.includes(d));

/**
 * Three things dist modules do that a bundle run from a code cache must do differently:
 *  - they refer to their own location (`import.meta.url`: worker.js, package.json, wasm files): each gets its own
 *    original URL back, so that `new URL('./worker.js', …)` still finds dist/src/runner/worker.js;
 *  - they load bundled dependencies lazily with `createRequire(import.meta.url)('…')`: these become plain
 *    `require('…')` calls, which esbuild can see and bundle, and which it still evaluates lazily;
 *  - they `import()` what stays outside (yargs, user transforms, …): in Node 20 a `vm.Script` can do that only
 *    through an experimental option (a warning on stderr), and not at all when it was compiled from a code cache
 *    made by another process (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). So these calls go through
 *    `__dockshiftImport`, which the bin hands in. Relative imports stay `import()`: esbuild bundles them away.
 */
const keepModuleLocations = {
  name: 'keep-module-locations',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined;
      const rel = path.relative(dist, args.path).split(path.sep).join('/');
      const contents = fs
        .readFileSync(args.path, 'utf8')
        .replace(/createRequire\(import\.meta\.url\)\(/g, 'require(')
        .replace(/import\.meta\.url/g, `__dockshiftModuleUrl(${JSON.stringify(rel)})`)
        .replace(/(?<![\w$.])import\((?!\s*['"]\.)/g, '__dockshiftImport(');
      return { contents, loader: 'js' };
    });
  },
};

/** In the core bundle, the registry's import of each opt-in built-in becomes a module that throws NeedsFullBundle. */
const leaveOutOptIn = {
  name: 'leave-out-opt-in-transforms',
  setup(build) {
    const registry = path.join(dist, 'transforms', 'index.js');
    build.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
      const name = args.path.slice(2, -3);
      if (args.importer !== registry || !BUILTIN_ORDER.includes(name) || RECOMMENDED.includes(name)) return undefined;
      return { path: name, namespace: 'full-bundle-only' };
    });
    build.onLoad({ filter: /.*/, namespace: 'full-bundle-only' }, (args) => ({
      contents: `import { NeedsFullBundle } from ${JSON.stringify(path.join(dist, 'src', 'errors.js'))};\nthrow new NeedsFullBundle(${JSON.stringify(args.path)});\n`,
      resolveDir: path.join(dist, 'transforms'),
      loader: 'js',
    }));
  },
};

const BUNDLES = [
  { file: 'cli.cjs', plugins: [leaveOutOptIn], warmUp: ['examples'], mustLeaveOut: BUILTIN_ORDER.filter((n) => !RECOMMENDED.includes(n)) },
  { file: 'cli-full.cjs', plugins: [], warmUp: ['-t', BUILTIN_ORDER.join(','), 'examples'], mustLeaveOut: [] },
];

for (const b of BUNDLES) fs.rmSync(path.join(dist, `${b.file}.cache`), { force: true });
for (const b of BUNDLES) await buildBundle(b);
// Caches are made once both bundles are in place: a warm-up that asks for an opt-in built-in goes from the
// core bundle to the full one, as a real run does.
for (const b of BUNDLES) makeCache(b);

async function buildBundle({ file, plugins, mustLeaveOut }) {
  const bundleFile = path.join(dist, file);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(dist, 'src', 'cli.js')],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external,
    // Resolve packages as Node does (esbuild adds a "module" condition by default), so that the bundle holds the
    // very files a run from dist/src loads: vscode-languageserver-types' UMD build, not its ES module one.
    conditions: [],
    // Names stay (stack traces of internal errors remain readable); whitespace and syntax are minified, because
    // reading and decoding the file is a measurable part of start-up.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    charset: 'ascii',
    banner: {
      js: [
        '"use strict";',
        'const __dockshiftModuleUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;',
        'const __dockshiftImport = module.dynamicImport ?? ((specifier) => import(specifier));',
      ].join('\n'),
    },
    plugins: [keepModuleLocations, ...plugins],
    metafile: true,
    logLevel: 'silent',
    write: false,
  });
  if (process.argv.includes('--analyze')) console.log(await esbuild.analyzeMetafile(result.metafile));

  const problems = [...result.errors, ...result.warnings].map((m) => `${m.location?.file ?? ''}:${m.location?.line ?? ''}: ${m.text}`);
  const inputs = Object.keys(result.metafile.inputs);
  for (const dep of INSIDE) {
    if (!inputs.some((i) => i.includes(`node_modules/${dep}/`))) problems.push(`${dep} is not in the bundle (a lazy require the build no longer recognises?)`);
  }
  for (const name of mustLeaveOut) {
    if (inputs.includes(`dist/transforms/${name}.js`)) problems.push(`${name} is in the core bundle (imported from outside the registry?)`);
  }
  // A dependency counts as strict when it is an ES module, or says so (UMD files say it inside their factory)
  // and compiles as strict code.
  for (const input of inputs.filter((i) => i.includes('node_modules/') && result.metafile.inputs[i].format !== 'esm')) {
    const code = fs.readFileSync(path.resolve(root, input), 'utf8');
    let compiles = true;
    try {
      new vm.Script(`"use strict";(function(){${code}\n})`);
    } catch {
      compiles = false;
    }
    if (!/["']use strict["']/.test(code) || !compiles) problems.push(`${input} is not strict-mode code`);
  }
  const body = result.outputFiles[0].text;
  if (body.includes('import.meta')) problems.push('the bundle still refers to import.meta');
  const dynamicImports = body.match(/(?<![\w$.])import\(/g)?.length ?? 0;
  if (dynamicImports !== 1) problems.push(`the bundle has ${dynamicImports - 1} import() calls besides the banner's; each must go through __dockshiftImport`);
  if (problems.length > 0) fail(`refused to write dist/${file}:\n  ${problems.join('\n  ')}`);

  const hash = createHash('sha256').update(body).digest('hex').slice(0, 32);
  writeAtomically(bundleFile, `// dockshift bundle ${hash}\n${body}`);
}

/** The cache is made by a real run, so that it holds the functions a run compiles, not only the top level. */
function makeCache({ file, warmUp }) {
  const bundleFile = path.join(dist, file);
  const cacheFile = `${bundleFile}.cache`;
  const tmpCache = `${cacheFile}.${process.pid}.tmp`;
  const warm = spawnSync(process.execPath, [bin, '--quiet', '--format', 'diff', ...warmUp], {
    cwd: root,
    env: { ...process.env, DOCKSHIFT_WRITE_CODE_CACHE: tmpCache, DOCKSHIFT_NO_BUNDLE: '', NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (warm.status !== 0) {
    fs.rmSync(tmpCache, { force: true });
    fail(`the warm-up run for dist/${file} (dockshift ${warmUp.join(' ')}) failed (exit ${warm.status}):\n${warm.stderr}`);
  }
  // The bin saves the cache of the bundle that finished the run.
  const saved = fs.existsSync(tmpCache) ? fs.readFileSync(tmpCache) : undefined;
  fs.rmSync(tmpCache, { force: true });
  if (!saved || !saved.subarray(0, 64).toString('latin1').startsWith(`// ${file}\n`)) fail(`the warm-up run for dist/${file} did not finish in it`);
  const source = fs.readFileSync(bundleFile, 'utf8');
  const header = source.slice(0, source.indexOf('\n') + 1);
  writeAtomically(cacheFile, Buffer.concat([Buffer.from(header), saved.subarray(saved.indexOf(10) + 1)]));
}

/** An interrupted build leaves the old file or the new one, never a truncated bundle for the bin to start from. */
function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}
