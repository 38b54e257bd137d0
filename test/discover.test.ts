import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { discover, isDockerfileName } from '../src/context/discover.js';
import { fsContext, memoryContext, globToRegExp } from '../src/context/build-context.js';

const tmpRoots: string[] = [];

function tmp(): string {
  // realpath: on some systems os.tmpdir() is itself a symlink, and git reports real paths.
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-')));
  tmpRoots.push(d);
  return d;
}

/** Create files (content = path unless given). */
function write(root: string, files: Record<string, string> | string[]): void {
  const entries = Array.isArray(files) ? files.map((f) => [f, `# ${f}\n`] as const) : Object.entries(files);
  for (const [rel, content] of entries) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

function rels(paths: string[], cwd: string): string[] {
  return discover(paths, cwd).files.map((f) => f.rel);
}

const hasGit = spawnSync('git', ['--version']).status === 0;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

test.after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

test('isDockerfileName: positive names', () => {
  for (const name of [
    'Dockerfile', 'dockerfile', 'DOCKERFILE', 'DockerFile', 'Containerfile', 'containerfile',
    'api.Dockerfile', 'api.dockerfile', 'web.prod.Dockerfile', 'Dockerfile.dev', 'Dockerfile.prod',
    'dockerfile.alpine', 'Dockerfile.arm64', 'Dockerfile.test', 'Containerfile.fedora', 'Dockerfile.node18',
    'Dockerfile.dev.alpine',
  ]) {
    assert.ok(isDockerfileName(name), name);
  }
});

test('isDockerfileName: negative names', () => {
  for (const name of [
    'Dockerfile.dockerignore', 'Dockerfile.DOCKERIGNORE', '.dockerignore', 'Dockerfile.md', 'Dockerfile.txt',
    'Dockerfile.rst', 'Dockerfile.orig', 'Dockerfile.rej', 'Dockerfile.bak', 'Dockerfile.swp', 'Dockerfile~',
    'Dockerfile.dev~', 'Dockerfile.json', 'Dockerfile.yml', 'Dockerfile.yaml', 'Dockerfile.sh', 'Dockerfile.patch',
    'Dockerfile.diff', 'Dockerfile.lock', 'Dockerfile.j2', 'Dockerfile.m4', 'Dockerfile.dev.bak', 'Containerfile.md',
    '.dockerfile', 'Dockerfiles', 'MyDockerfile', 'docker-compose.yml', 'README.md', 'dockerfile-lint',
    'Makefile', 'Dockerfile_dev', '.Dockerfile.swp',
  ]) {
    assert.not.ok(isDockerfileName(name), name);
  }
});

test('walk: finds Dockerfiles by pattern, recursively, sorted, relative to cwd', () => {
  const root = tmp();
  write(root, [
    'Dockerfile', 'z/Containerfile', 'a/b/c/api.Dockerfile', 'a/Dockerfile.dev', 'a/dockerfile',
    'a/Dockerfile.dockerignore', 'a/Dockerfile.md', 'a/Dockerfile.txt', 'a/Dockerfile~', 'a/Dockerfile.orig',
    'a/README.md', 'a/docker-compose.yml', 'B/Dockerfile', 'a/Containerfile.fedora',
  ]);
  const { files, errors } = discover([], root);
  assert.equal(errors, []);
  assert.equal(files.map((f) => f.rel), [
    'B/Dockerfile', 'Dockerfile', 'a/Containerfile.fedora', 'a/Dockerfile.dev', 'a/b/c/api.Dockerfile',
    'a/dockerfile', 'z/Containerfile',
  ]);
  for (const f of files) assert.is(f.abs, path.join(root, f.rel));
  // `.` and an empty list are the same
  assert.equal(rels(['.'], root), files.map((f) => f.rel));
});

test('walk: paths relative to cwd when searching a subdirectory or a parent', () => {
  const root = tmp();
  write(root, ['svc/api/Dockerfile', 'svc/web/Dockerfile', 'other/Dockerfile']);
  assert.equal(rels(['svc'], root), ['svc/api/Dockerfile', 'svc/web/Dockerfile']);
  assert.equal(rels(['./svc/api/'], root), ['svc/api/Dockerfile']);
  assert.equal(rels(['..'], path.join(root, 'svc')), ['../other/Dockerfile', 'api/Dockerfile', 'web/Dockerfile']);
});

test('walk: .git and node_modules are skipped', () => {
  const root = tmp();
  write(root, ['Dockerfile', 'node_modules/pkg/Dockerfile', 'sub/node_modules/x/Dockerfile', 'sub/Dockerfile', 'sub/.gitx/Dockerfile.x']);
  assert.equal(rels([], root), ['Dockerfile', 'sub/.gitx/Dockerfile.x', 'sub/Dockerfile']);
  // a `.git` directory that is not a repository (git fails there): the walk still skips it
  write(root, ['.git/Dockerfile', 'sub/.git/Dockerfile']);
  assert.equal(rels([], root), ['Dockerfile', 'sub/.gitx/Dockerfile.x', 'sub/Dockerfile']);
  // named explicitly, a node_modules directory is searched
  assert.equal(rels(['node_modules'], root), ['node_modules/pkg/Dockerfile']);
});

test('walk: nested .gitignore files honoured outside git, relative to their own directory', () => {
  const root = tmp();
  write(root, {
    '.gitignore': 'build/\n*.generated.Dockerfile\n',
    'Dockerfile': 'FROM a\n',
    'build/Dockerfile': 'FROM a\n',
    'x.generated.Dockerfile': 'FROM a\n',
    'svc/.gitignore': '/Dockerfile.local\ntmp\n!keep.generated.Dockerfile\n',
    'svc/Dockerfile': 'FROM a\n',
    'svc/Dockerfile.local': 'FROM a\n',
    'svc/deep/Dockerfile.local': 'FROM a\n', // `/Dockerfile.local` is anchored to svc/
    'svc/tmp/Dockerfile': 'FROM a\n',
    'svc/keep.generated.Dockerfile': 'FROM a\n', // re-included by the deeper file
    'svc/deep/drop.generated.Dockerfile': 'FROM a\n',
    'other/build/Dockerfile': 'FROM a\n', // `build/` (no leading slash) matches at any depth
  });
  assert.equal(rels([], root), ['Dockerfile', 'svc/Dockerfile', 'svc/deep/Dockerfile.local', 'svc/keep.generated.Dockerfile']);
  // the same rules apply when a subdirectory is named
  assert.equal(rels(['svc'], root), ['svc/Dockerfile', 'svc/deep/Dockerfile.local', 'svc/keep.generated.Dockerfile']);
  // a directory whose parent's .gitignore ignores it yields nothing…
  assert.equal(rels(['build'], root), []);
  assert.equal(rels(['svc/tmp'], root), []);
  // …but a file named explicitly is always processed
  assert.equal(rels(['build/Dockerfile', 'x.generated.Dockerfile'], root), ['build/Dockerfile', 'x.generated.Dockerfile']);
});

test('explicit files are always processed, whatever their name; duplicates merged', () => {
  const root = tmp();
  write(root, ['notes.txt', 'Dockerfile.md', 'Dockerfile', 'node_modules/x/Dockerfile']);
  const r = discover(['notes.txt', 'Dockerfile.md', './Dockerfile', 'Dockerfile', '.', 'node_modules/x/Dockerfile'], root);
  assert.equal(r.errors, []);
  assert.equal(r.files.map((f) => f.rel), ['Dockerfile', 'Dockerfile.md', 'node_modules/x/Dockerfile', 'notes.txt']);
});

test('nonexistent path: an error entry, the others still found', () => {
  const root = tmp();
  write(root, ['Dockerfile']);
  const r = discover(['missing/Dockerfile', '.', 'nope'], root);
  assert.equal(r.files.map((f) => f.rel), ['Dockerfile']);
  assert.equal(r.errors, [
    { path: 'missing/Dockerfile', error: 'no such file or directory' },
    { path: 'nope', error: 'no such file or directory' },
  ]);
});

test('sorted by plain code-unit order', () => {
  const root = tmp();
  write(root, ['b/Dockerfile', 'B/Dockerfile', 'a-b/Dockerfile', 'a/Dockerfile', 'a.b/Dockerfile', '_/Dockerfile', 'é/Dockerfile']);
  const got = rels([], root);
  assert.equal(got, ['B/Dockerfile', '_/Dockerfile', 'a-b/Dockerfile', 'a.b/Dockerfile', 'a/Dockerfile', 'b/Dockerfile', 'é/Dockerfile']);
  assert.equal(got, [...got].sort());
});

test('symlinks: not followed by the walk, followed when named', () => {
  const root = tmp();
  const outside = tmp();
  write(outside, ['Dockerfile', 'deep/Dockerfile']);
  write(root, ['real/Dockerfile']);
  fs.symlinkSync(path.join(outside, 'Dockerfile'), path.join(root, 'linked.Dockerfile'));
  fs.symlinkSync(path.join(outside), path.join(root, 'linkdir'));
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'broken.Dockerfile'));
  // a symlink loop must not hang the walk
  fs.symlinkSync(root, path.join(root, 'real/loop'));
  const r = discover([], root);
  assert.equal(r.errors, []);
  assert.equal(r.files.map((f) => f.rel), ['real/Dockerfile']);
  // named explicitly: a file symlink is processed (path as named), a directory symlink is searched
  assert.equal(rels(['linked.Dockerfile'], root), ['linked.Dockerfile']);
  assert.equal(rels(['linkdir'], root), ['linkdir/Dockerfile', 'linkdir/deep/Dockerfile']);
  const broken = discover(['broken.Dockerfile'], root);
  assert.equal(broken.files, []);
  assert.equal(broken.errors.length, 1);
  assert.match(broken.errors[0]!.error, /no such file or directory/);
  assert.match(broken.errors[0]!.error, /broken symbolic link/);
});

if (hasGit) {
  test('git: ignored files skipped, untracked files found, deleted tracked files dropped', () => {
    const root = tmp();
    git(root, 'init', '-q');
    write(root, {
      '.gitignore': 'dist/\n*.local.Dockerfile\n',
      'Dockerfile': 'FROM a\n',
      'tracked/Dockerfile': 'FROM a\n',
      'gone/Dockerfile': 'FROM a\n',
      'dist/Dockerfile': 'FROM a\n',
      'x.local.Dockerfile': 'FROM a\n',
      'untracked/Dockerfile.dev': 'FROM a\n',
      'node_modules/p/Dockerfile': 'FROM a\n',
      'svc/.gitignore': 'secret/\n',
      'svc/secret/Dockerfile': 'FROM a\n',
      'svc/Dockerfile': 'FROM a\n',
      'notes/Dockerfile.md': '# notes\n',
    });
    fs.writeFileSync(path.join(root, '.git/info/exclude'), 'excluded/\n');
    write(root, ['excluded/Dockerfile']);
    git(root, 'add', 'Dockerfile', 'tracked/Dockerfile', 'gone/Dockerfile', '.gitignore');
    git(root, 'add', '-f', 'node_modules/p/Dockerfile'); // tracked, still skipped
    fs.rmSync(path.join(root, 'gone'), { recursive: true });
    assert.equal(rels([], root), ['Dockerfile', 'svc/Dockerfile', 'tracked/Dockerfile', 'untracked/Dockerfile.dev']);
    // from a subdirectory: the same repository rules, paths relative to that cwd
    assert.equal(rels([], path.join(root, 'svc')), ['Dockerfile']);
    assert.equal(rels(['..'], path.join(root, 'svc')), ['../Dockerfile', '../tracked/Dockerfile', '../untracked/Dockerfile.dev', 'Dockerfile']);
    // an ignored file named explicitly is processed
    assert.equal(rels(['dist/Dockerfile', 'svc'], root), ['dist/Dockerfile', 'svc/Dockerfile']);
  });

  test('git: a tracked file that is a symlink is skipped; named explicitly it is processed', () => {
    const root = tmp();
    git(root, 'init', '-q');
    write(root, ['real/Dockerfile']);
    fs.symlinkSync('real/Dockerfile', path.join(root, 'alias.Dockerfile'));
    git(root, 'add', '.');
    assert.equal(rels([], root), ['real/Dockerfile']);
    assert.equal(rels(['alias.Dockerfile'], root), ['alias.Dockerfile']);
  });

  test('git: nested repositories found by the walk and inside a repository use their own rules', () => {
    const root = tmp();
    // not a repository at the top; two repositories below, one holding an untracked nested repository
    write(root, { 'plain/Dockerfile': 'FROM a\n', 'r1/Dockerfile': 'FROM a\n', 'r1/ign/Dockerfile': 'FROM a\n' });
    git(path.join(root, 'r1'), 'init', '-q');
    fs.writeFileSync(path.join(root, 'r1/.gitignore'), 'ign/\n');
    write(root, { 'r1/inner/Dockerfile': 'FROM a\n', 'r1/inner/.gitignore': 'skip.Dockerfile\n', 'r1/inner/skip.Dockerfile': 'FROM a\n' });
    git(path.join(root, 'r1/inner'), 'init', '-q');
    assert.equal(rels([], root), ['plain/Dockerfile', 'r1/Dockerfile', 'r1/inner/Dockerfile']);
  });

  test('git: one git spawn per repository, and fast enough for thousands of files', () => {
    const root = tmp();
    git(root, 'init', '-q');
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`svc${i % 50}/m${i}/${i % 3 ? 'main.go' : 'Dockerfile'}`] = 'x\n';
    write(root, files);
    // count spawns with a wrapper `git` first on PATH
    const bin = tmp();
    const log = path.join(bin, 'log');
    const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$PWD" >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    try {
      const t0 = performance.now();
      const got = rels(['.', 'svc1', 'svc2/m2', 'svc3/m3/Dockerfile'], root);
      const ms = performance.now() - t0;
      assert.is(got.length, 1000);
      assert.ok(ms < 1000, `took ${ms} ms`);
      assert.equal(fs.readFileSync(log, 'utf8').trim().split('\n'), [root]);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  test('git: when git is missing, falls back to walking (and .gitignore still applies)', () => {
    const root = tmp();
    git(root, 'init', '-q');
    write(root, { '.gitignore': 'out/\n', 'Dockerfile': 'x\n', 'out/Dockerfile': 'x\n', 'a/Dockerfile': 'x\n' });
    const savedPath = process.env.PATH;
    process.env.PATH = tmp(); // an empty directory: no git
    try {
      assert.equal(rels([], root), ['Dockerfile', 'a/Dockerfile']);
      assert.equal(rels(['a'], root), ['a/Dockerfile']);
      assert.equal(rels(['out'], root), []);
    } finally {
      process.env.PATH = savedPath;
    }
  });
}

test('walk: fallback honours .gitignore like git does', () => {
  // Same tree as the git test, without git: same answer.
  const root = tmp();
  write(root, {
    '.gitignore': 'dist/\n*.local.Dockerfile\n',
    'Dockerfile': 'FROM a\n',
    'dist/Dockerfile': 'FROM a\n',
    'x.local.Dockerfile': 'FROM a\n',
    'svc/.gitignore': 'secret/\n',
    'svc/secret/Dockerfile': 'FROM a\n',
    'svc/Dockerfile': 'FROM a\n',
  });
  assert.equal(rels([], root), ['Dockerfile', 'svc/Dockerfile']);
});

// ---------------------------------------------------------------------------------------------------
// build contexts

test('globToRegExp', () => {
  const m = (g: string, p: string) => globToRegExp(g).test(p);
  assert.ok(m('*.json', 'package.json'));
  assert.not.ok(m('*.json', 'a/package.json'));
  assert.ok(m('**/*.json', 'package.json'));
  assert.ok(m('**/*.json', 'a/b/package.json'));
  assert.ok(m('a/**', 'a/b/c'));
  assert.not.ok(m('a/**', 'ab/c'));
  assert.ok(m('a/**/c', 'a/c'));
  assert.ok(m('a/**/c', 'a/x/y/c'));
  assert.ok(m('?.txt', 'a.txt'));
  assert.not.ok(m('?.txt', '/.txt'));
  assert.ok(m('*.{json,lock}', 'yarn.lock'));
  assert.ok(m('[pP]ackage.json', 'Package.json'));
  assert.not.ok(m('[!p]*', 'package.json'));
  assert.ok(m('./requirements*.txt', 'requirements-dev.txt'));
  assert.ok(m('.env', '.env'));
  assert.ok(m('*', '.env'));
  assert.not.ok(m('a.b', 'axb'));
});

test('fsContext: lazy listing of every file (ignored ones too), .git skipped, symlinked dirs not entered', () => {
  const root = tmp();
  const outside = tmp();
  write(outside, ['x.txt']);
  write(root, {
    '.gitignore': 'dist/\n',
    '.dockerignore': '*\n',
    'Dockerfile': 'FROM a\n',
    'package.json': '{}\n',
    'dist/out.js': 'x\n',
    'src/a/b.ts': 'x\n',
    '.git/config': 'x\n',
    'node_modules/p/index.js': 'x\n',
  });
  fs.symlinkSync(outside, path.join(root, 'linkdir'));
  fs.symlinkSync(path.join(root, 'package.json'), path.join(root, 'alias.json'));
  const ctx = fsContext(root, path.join(root, 'Dockerfile'));
  assert.is(ctx.root, root);
  assert.is(ctx.dockerfile, 'Dockerfile');
  assert.is(ctx.origin, 'directory');
  assert.equal(ctx.list(), [
    '.dockerignore', '.gitignore', 'Dockerfile', 'alias.json', 'dist/out.js', 'node_modules/p/index.js',
    'package.json', 'src/a/b.ts',
  ]);
  assert.equal(ctx.list('*.json'), ['alias.json', 'package.json']);
  assert.equal(ctx.list('**/*.ts'), ['src/a/b.ts']);
  assert.is(ctx.read('package.json'), '{}\n');
  assert.is(ctx.read('./package.json'), '{}\n');
  assert.is(ctx.read('missing'), undefined);
  assert.is(ctx.read('src'), undefined);
  assert.is(ctx.read('../' + path.basename(outside) + '/x.txt'), undefined);
  assert.ok(ctx.exists('src'));
  assert.ok(ctx.exists('src/a/b.ts'));
  assert.ok(ctx.exists('.'));
  assert.not.ok(ctx.exists('nope'));
  assert.not.ok(ctx.exists('../x'));
  // the listing is taken once: later files are not seen by list()
  write(root, ['late.json']);
  assert.equal(ctx.list('*.json'), ['alias.json', 'package.json']);
  const other = fsContext(root, path.join(root, 'docker/Dockerfile'), 'compose');
  assert.is(other.dockerfile, 'docker/Dockerfile');
  assert.is(other.origin, 'compose');
});

test('memoryContext', () => {
  const ctx = memoryContext({ 'package.json': '{}', 'src/index.ts': 'x', './b.txt': 'b' });
  assert.is(ctx.root, undefined);
  assert.is(ctx.origin, 'test');
  assert.is(ctx.dockerfile, 'Dockerfile');
  assert.equal(ctx.list(), ['b.txt', 'package.json', 'src/index.ts']);
  assert.equal(ctx.list('src/*'), ['src/index.ts']);
  assert.is(ctx.read('package.json'), '{}');
  assert.is(ctx.read('nope'), undefined);
  assert.ok(ctx.exists('src'));
  assert.ok(ctx.exists('src/index.ts'));
  assert.not.ok(ctx.exists('sr'));
  assert.is(memoryContext({}, 'docker/api.Dockerfile').dockerfile, 'docker/api.Dockerfile');
});

test.run();
