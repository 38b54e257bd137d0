// The .dockerignore matcher against moby/patternmatcher's own test tables (patternmatcher_test.go and
// ignorefile/ignorefile_test.go at 5a6d8429a19b, ported as data), Go's filepath.Match rules, BuildKit's COPY
// wildcard resolution; then, for every dockerignore-allowlist fixture, the generated file applied to the
// fixture's context: every file the Dockerfile reads is sent, and nothing else.

import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fsContext, memoryContext } from '../src/context/build-context.js';
import { ContextTree, filesRead, normalizeSource, resolveSource } from '../src/context/copy-sources.js';
import {
  BadPatternError,
  Pattern,
  PatternMatcher,
  dockerignoreMatcher,
  goClean,
  goMatch,
  matches,
  matchesOrParentMatches,
  readIgnoreFile,
  documentedSent,
  sentFiles,
  walkSent,
} from '../src/context/dockerignore.js';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import { processSource } from '../src/runner/process.js';
import { loadTransform } from '../src/transform/load.js';
import { ROOT } from './helpers.js';

// ---------------------------------------------------------------------------------------------------
// patternmatcher_test.go

test('TestWildcardMatches / TestPatternMatches / exclusion order', () => {
  assert.ok(matches('fileutils.go', ['*']));
  assert.ok(matches('fileutils.go', ['*.go']));
  assert.ok(matches('fileutils.go', ['!fileutils.go', '*.go']), 'an exclusion followed by an inclusion');
  assert.not.ok(matches('docs/README.md', ['docs', '!docs/README.md']), 'folder pattern then exception');
  assert.not.ok(matches('docs/README.md', ['docs/', '!docs/README.md']), 'folder with slash then exception');
  assert.not.ok(matches('docs/README.md', ['docs/*', '!docs/README.md']), 'folder wildcard then exception');
  assert.not.ok(matches('fileutils.go', ['*.go', '!fileutils.go']), 'pattern then exclusion');
  assert.not.ok(matches('.', ['*.go']), '. never matches');
  assert.throws(() => matches('fileutils.go', ['!']), /illegal exclusion pattern/);
  assert.not.ok(matches('/any/path/there', []));
  assert.throws(() => matches('/any/path/there', ['[']), (e: unknown) => e instanceof BadPatternError);
});

// TestMatches: [pattern, text, pass]
const MATCHES: [string, string, boolean][] = [
  ['**', 'file', true],
  ['**', 'file/', true],
  ['**/', 'file', true], // weird one
  ['**/', 'file/', true],
  ['**', '/', true],
  ['**/', '/', true],
  ['**', 'dir/file', true],
  ['**/', 'dir/file', true],
  ['**', 'dir/file/', true],
  ['**/', 'dir/file/', true],
  ['**/**', 'dir/file', true],
  ['**/**', 'dir/file/', true],
  ['dir/**', 'dir/file', true],
  ['dir/**', 'dir/file/', true],
  ['dir/**', 'dir/dir2/file', true],
  ['dir/**', 'dir/dir2/file/', true],
  ['**/dir', 'dir', true],
  ['**/dir', 'dir/file', true],
  ['**/dir2/*', 'dir/dir2/file', true],
  ['**/dir2/*', 'dir/dir2/file/', true],
  ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file/', true],
  ['**file', 'file', true],
  ['**file', 'dir/file', true],
  ['**/file', 'dir/file', true],
  ['**file', 'dir/dir/file', true],
  ['**/file', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file.txt', true],
  ['**/file*txt', 'dir/dir/file.txt', true],
  ['**/file*.txt', 'dir/dir/file.txt', true],
  ['**/file*.txt*', 'dir/dir/file.txt', true],
  ['**/**/*.txt', 'dir/dir/file.txt', true],
  ['**/**/*.txt2', 'dir/dir/file.txt', false],
  ['**/*.txt', 'file.txt', true],
  ['**/**/*.txt', 'file.txt', true],
  ['a**/*.txt', 'a/file.txt', true],
  ['a**/*.txt', 'a/dir/file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true],
  ['a/*.txt', 'a/dir/file.txt', false],
  ['a/*.txt', 'a/file.txt', true],
  ['a/*.txt**', 'a/file.txt', true],
  ['a[b-d]e', 'ae', false],
  ['a[b-d]e', 'ace', true],
  ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true],
  ['.*', '.foo', true],
  ['.*', 'foo', false],
  ['abc.def', 'abcdef', false],
  ['abc.def', 'abc.def', true],
  ['abc.def', 'abcZdef', false],
  ['abc?def', 'abcZdef', true],
  ['abc?def', 'abcdef', false],
  ['a\\\\', 'a\\', true],
  ['**/foo/bar', 'foo/bar', true],
  ['**/foo/bar', 'dir/foo/bar', true],
  ['**/foo/bar', 'dir/dir2/foo/bar', true],
  ['abc/**', 'abc', false],
  ['abc/**', 'abc/def', true],
  ['abc/**', 'abc/def/ghi', true],
  ['**/.foo', '.foo', true],
  ['**/.foo', 'bar.foo', false],
  ['a(b)c/def', 'a(b)c/def', true],
  ['a(b)c/def', 'a(b)c/xyz', false],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  // non-Windows only
  ['a\\*b', 'a*b', true],
];
const MULTI: [string[], string, boolean][] = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', false],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
  [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
];

test('TestMatches (MatchesOrParentMatches)', () => {
  for (const [pattern, text, pass] of MATCHES) {
    const pm = new PatternMatcher([pattern]);
    assert.is(pm.matchesOrParentMatches(text), pass, `pattern=${JSON.stringify(pattern)} text=${JSON.stringify(text)}`);
  }
  for (const [patterns, text, pass] of MULTI) {
    assert.is(new PatternMatcher(patterns).matchesOrParentMatches(text), pass, `patterns=${JSON.stringify(patterns)} text=${text}`);
  }
});

test('TestCleanPatterns*', () => {
  assert.is(new PatternMatcher(['docs', 'config']).patterns.length, 2);
  assert.is(new PatternMatcher(['docs', 'config', '']).patterns.length, 2);
  assert.ok(new PatternMatcher(['docs', '!docs/README.md']).exclusions);
  assert.ok(new PatternMatcher(['docs', '  !docs/README.md']).exclusions, 'leading space trimmed');
  assert.ok(new PatternMatcher(['docs', '!docs/README.md  ']).exclusions, 'trailing space trimmed');
  assert.throws(() => new PatternMatcher(['!']));
});

// TestMatch: Go's filepath.Match table through the (deprecated) package-level Matches: [pattern, s, match, err]
const MATCH_TESTS: [string, string, boolean, boolean][] = [
  ['abc', 'abc', true, false],
  ['*', 'abc', true, false],
  ['*c', 'abc', true, false],
  ['a*', 'a', true, false],
  ['a*', 'abc', true, false],
  ['a*', 'ab/c', true, false],
  ['a*/b', 'abc/b', true, false],
  ['a*/b', 'a/c/b', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false, false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true, false],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false, false],
  ['ab[c]', 'abc', true, false],
  ['ab[b-d]', 'abc', true, false],
  ['ab[e-g]', 'abc', false, false],
  ['ab[^c]', 'abc', false, false],
  ['ab[^b-d]', 'abc', false, false],
  ['ab[^e-g]', 'abc', true, false],
  ['a\\*b', 'a*b', true, false],
  ['a\\*b', 'ab', false, false],
  ['a?b', 'a☺b', true, false],
  ['a[^a]b', 'a☺b', true, false],
  ['a???b', 'a☺b', false, false],
  ['a[^a][^a][^a]b', 'a☺b', false, false],
  ['[a-ζ]*', 'α', true, false],
  ['*[a-ζ]', 'A', false, false],
  ['a?b', 'a/b', false, false],
  ['a*b', 'a/b', false, false],
  ['[\\]a]', ']', true, false],
  ['[\\-]', '-', true, false],
  ['[x\\-]', 'x', true, false],
  ['[x\\-]', '-', true, false],
  ['[x\\-]', 'z', false, false],
  ['[\\-x]', 'x', true, false],
  ['[\\-x]', '-', true, false],
  ['[\\-x]', 'a', false, false],
  ['[]a]', ']', false, true],
  ['[-]', '-', false, true],
  ['[x-]', 'x', false, true],
  ['[x-]', '-', false, true],
  ['[x-]', 'z', false, true],
  ['[-x]', 'x', false, true],
  ['[-x]', '-', false, true],
  ['[-x]', 'a', false, true],
  ['\\', 'a', false, true],
  ['[a-b-c]', 'a', false, true],
  ['[', 'a', false, true],
  ['[^', 'a', false, true],
  ['[^bc', 'a', false, true],
  ['a[', 'a', false, true],
  ['a[', 'ab', false, true],
  ['*x', 'xxx', true, false],
];

test('TestMatch (filepath.Match table through Matches)', () => {
  for (const [pattern, s, match, err] of MATCH_TESTS) {
    let got: boolean | 'error';
    try {
      got = matches(s, [pattern]);
    } catch (e) {
      assert.ok(e instanceof BadPatternError, `${pattern}: ${String(e)}`);
      got = 'error';
    }
    assert.is(got, err ? 'error' : match, `Match(${pattern}, ${s})`);
    // The same answers through MatchesOrParentMatches (what BuildKit uses).
    let got2: boolean | 'error';
    try {
      got2 = matchesOrParentMatches(s, [pattern]);
    } catch {
      got2 = 'error';
    }
    assert.is(got2, err ? 'error' : match, `MatchesOrParentMatches(${pattern}, ${s})`);
  }
});

// TestCompile: [pattern, matchType, compiled regexp (Go syntax, '/' separator)]
const COMPILE: [string, string, string][] = [
  ['*', 'regexp', '^[^/]*$'],
  ['file*', 'regexp', '^file[^/]*$'],
  ['*file', 'regexp', '^[^/]*file$'],
  ['a*/b', 'regexp', '^a[^/]*/b$'],
  ['**', 'suffix', ''],
  ['**/**', 'regexp', '^(.*/)?.*$'],
  ['dir/**', 'prefix', ''],
  ['**/dir', 'suffix', ''],
  ['**/dir2/*', 'regexp', '^(.*/)?dir2/[^/]*$'],
  ['**/dir2/**', 'regexp', '^(.*/)?dir2/.*$'],
  ['**file', 'suffix', ''],
  ['**/file*txt', 'regexp', '^(.*/)?file[^/]*txt$'],
  ['**/**/*.txt', 'regexp', '^(.*/)?(.*/)?[^/]*\\.txt$'],
  ['a[b-d]e', 'regexp', '^a[b-d]e$'],
  ['.*', 'regexp', '^\\.[^/]*$'],
  ['abc.def', 'exact', ''],
  ['abc?def', 'regexp', '^abc[^/]def$'],
  ['**/foo/bar', 'suffix', ''],
  ['a(b)c/def', 'exact', ''],
  ['a.|)$(}+{bc', 'exact', ''],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'exact', ''],
];

test('TestCompile (match types and regexps)', () => {
  for (const [pattern, type, re] of COMPILE) {
    const p = new Pattern(goClean(pattern), false);
    p.compile();
    assert.is(p.matchType, type, pattern);
    if (type === 'regexp') assert.is(p.goRegexp, re, pattern);
  }
});

test('a pattern that passes filepath.Match but not Go regexp fails at match time, every time (moby#52203)', () => {
  const pm = new PatternMatcher(['[Local-Only]/']);
  assert.throws(() => pm.matchesOrParentMatches('x'), (e: unknown) => e instanceof BadPatternError);
  assert.throws(() => pm.matchesOrParentMatches('x'), (e: unknown) => e instanceof BadPatternError);
});

// ignorefile_test.go TestReadAll
test('ignorefile.ReadAll', () => {
  assert.equal(readIgnoreFile(''), []);
  const content = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ';
  assert.equal(readIgnoreFile(content), ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
});

// ---------------------------------------------------------------------------------------------------
// Rules from the docs and BuildKit notes, and the edges where npm matchers differ.

test('reading: BOM, CRLF, comments only in column 1, cleaning, leading slash', () => {
  assert.equal(readIgnoreFile('\ufeff# c\r\n./a/\r\n  # not a comment\r\n/b//c/../d\r\n'), ['a', '# not a comment', 'b/d']);
  assert.equal(readIgnoreFile('!./x/'), ['!x']);
  assert.equal(readIgnoreFile('/'), ['/']);
});

test('matching: anchored at the root, case-sensitive, last match wins, parent directories', () => {
  const m = (text: string, file: string) => dockerignoreMatcher(text).matchesOrParentMatches(file);
  assert.ok(m('*.md', 'README.md'));
  assert.not.ok(m('*.md', 'docs/README.md'), 'not like .gitignore: anchored at the root');
  assert.ok(m('**/*.md', 'docs/README.md'));
  assert.not.ok(m('*.MD', 'README.md'), 'case-sensitive');
  assert.ok(m('**.txt', 'a/b.txt'), '"**.txt" crosses directories');
  assert.ok(m('node_modules', 'node_modules/x/y.js'), 'a directory pattern covers its contents');
  assert.ok(m('*\n!src\nsrc/secret', 'src/secret/k'));
  assert.not.ok(m('*\n!src\nsrc/secret\n!src/secret/k', 'src/secret/k'));
  assert.not.ok(m('*.md\n!README*.md\nREADME-secret.md', 'README.md'));
  assert.ok(m('*.md\n!README*.md\nREADME-secret.md', 'README-secret.md'));
  assert.not.ok(m('*.md\nREADME-secret.md\n!README*.md', 'README-secret.md'), 'docs example: the exception comes last');
  assert.ok(m('a+b(c)', 'a+b(c)'), 'regexp characters are literal');
  assert.not.ok(m('a.c', 'abc'));
  assert.ok(m('[a-c]x', 'bx'));
  assert.not.ok(m('temp?', 'temp'));
  assert.ok(m('*/temp*', 'somedir/temporary.txt'));
  assert.ok(m('*/*/temp*', 'somedir/subdir/temporary.txt'));
  assert.not.ok(m('*/temp*', 'a/b/temp'));
});

test('goMatch: Go filepath.Match, byte-wise like Go', () => {
  assert.ok(goMatch('*.go', 'a.go'));
  assert.not.ok(goMatch('*.go', 'x/a.go'));
  assert.ok(goMatch('**/*.go', 'x/a.go'), '"**" is "*" for filepath.Match');
  assert.not.ok(goMatch('**/*.go', 'x/y/a.go'));
  assert.ok(goMatch('[!a]', '!'), '"!" is no negation in filepath.Match');
  assert.throws(() => goMatch('a[', 'x'), (e: unknown) => e instanceof BadPatternError, 'Go ≥ 1.16 reports the syntax error after a failed match');
  assert.ok(goMatch('*??b', '☺b'), 'Go skips bytes, not runes, after a star');
});

test('goClean', () => {
  const cases: [string, string][] = [
    ['', '.'], ['.', '.'], ['/', '/'], ['a/', 'a'], ['./a', 'a'], ['a//b', 'a/b'], ['a/./b', 'a/b'], ['a/../b', 'b'],
    ['../a', '../a'], ['/../a', '/a'], ['a/..', '.'], ['!./a', '!./a'], ['abc/def/../../..', '..'],
  ];
  for (const [i, o] of cases) assert.is(goClean(i), o, i);
});

test('COPY source resolution (BuildKit ResolveWildcards + filepath.Match)', () => {
  const tree = new ContextTree(['a.txt', 'b.md', 'src/x.go', 'src/y.go', 'src/sub/z.go', 'srcs/k', 'docs/a.md', 'homer/h.txt', 'home.txt']);
  assert.equal(resolveSource(tree, normalizeSource('./*.txt')), ['a.txt', 'home.txt']);
  assert.equal(resolveSource(tree, 'src*'), ['src', 'srcs'], 'a matching directory is a source; it is not searched');
  assert.equal(resolveSource(tree, 'src/**/*.go'), ['src/sub/z.go'], '"**" matches one level');
  assert.equal(resolveSource(tree, '*/*.go'), ['src/x.go', 'src/y.go']);
  assert.equal(filesRead(tree, { source: 'src/' }), ['src/sub/z.go', 'src/x.go', 'src/y.go']);
  assert.equal(filesRead(tree, { source: '../src/../a.txt' }), ['a.txt'], '".." cannot leave the context');
  assert.equal(filesRead(tree, { source: 'hom*', excludes: ['*.txt'] }), ['home.txt'], '--exclude applies below each source, not to it');
  assert.equal(filesRead(tree, { source: 'src', excludes: ['sub'] }), ['src/x.go', 'src/y.go']);
  assert.equal(filesRead(tree, { source: '**/*.go', parents: true }), ['src/sub/z.go', 'src/x.go', 'src/y.go'], '--parents patterns are patternmatcher patterns');
  assert.equal(filesRead(tree, { source: './src/./sub', parents: true }), ['src/sub/z.go']);
});

// ---------------------------------------------------------------------------------------------------
// What the senders do: MatchesUsingParentResults down the tree (fsutil's filterFS.Walk for BuildKit, moby's
// pkg/archive for the legacy builder), against the documented MatchesOrParentMatches.

test('MatchesUsingParentResults: the MATCHES tables, walked from the root (patternmatcher_test.go)', () => {
  const walked = (pm: PatternMatcher, text: string) => {
    const dirs = text.split('/').slice(0, -1);
    let info: boolean[] | undefined;
    for (let i = 0; i < dirs.length; i++) info = pm.matchesUsingParentResults(dirs.slice(0, i + 1).join('/'), info).info;
    return pm.matchesUsingParentResults(text, info).matched;
  };
  for (const [pattern, text, pass] of MATCHES) {
    if (text.startsWith('/') || text.endsWith('/')) continue; // not a path a walker produces
    assert.is(walked(new PatternMatcher([pattern]), text), pass, `pattern=${pattern} text=${text}`);
    assert.is(new PatternMatcher([pattern]).matchesUsingParentResults(text).matched, pass, `no context: pattern=${pattern} text=${text}`);
  }
  for (const [patterns, text, pass] of MULTI) assert.is(walked(new PatternMatcher(patterns), text), pass, `patterns=${patterns.join(',')} text=${text}`);
});

test('documentedSent is MatchesOrParentMatches, file by file', () => {
  for (const [pattern, text] of MATCHES) {
    if (text.startsWith('/') || text.endsWith('/')) continue;
    const pm = new PatternMatcher([pattern]);
    assert.is(documentedSent([text], pm).length === 0, pm.matchesOrParentMatches(text), `pattern=${pattern} text=${text}`);
  }
  for (const [patterns, text] of MULTI) {
    const pm = new PatternMatcher(patterns);
    assert.is(documentedSent([text, 'other/x'], pm).includes(text), !pm.matchesOrParentMatches(text));
  }
});

test('walkSent: fsutil filter_test.go cases', () => {
  // TestWalkerExclude
  assert.equal(walkSent(['bar', 'foo/bar2', 'foo2'], new PatternMatcher(['foo*', '!foo/bar2'])).sort(), ['bar', 'foo/bar2']);
  // TestFSWalkNested
  assert.equal(walkSent(['foo/bar'], new PatternMatcher(['foo', '!foo/bar'])), ['foo/bar']);
  // TestFilteredOpenInvert (through the walk)
  const pm = new PatternMatcher(['foo', '!foo/bar', 'foo/bar/baz', '!foo/bar/baz/x']);
  assert.equal(walkSent(['foo/bar/baz/x', 'foo/bar/baz/y'], pm), ['foo/bar/baz/x']);
  // An excluded directory with no exception below it is skipped; "**/bar" then hides everything below.
  assert.equal(walkSent(['foo/bar/baz/q', 'foo/x'], new PatternMatcher(['**/bar', '!foo/bar/baz'])).sort(), ['foo/bar/baz/q', 'foo/x']);
});

test('walkSent: where the walkers differ from the documented matching', () => {
  const both = (patterns: string[], files: string[]) => ({
    buildkit: sentFiles(files, patterns.join('\n')),
    legacy: sentFiles(files, patterns.join('\n'), 'legacy'),
    documented: sentFiles(files, patterns.join('\n'), 'documented'),
  });
  // An exclusion met while the directory is already excluded is not remembered for what lies below.
  let r = both(['*', '!**/*.go', '**/testdata'], ['main.go', 'pkg/testdata/x.go']);
  assert.equal(r.documented, ['main.go']);
  assert.equal(r.buildkit, ['main.go', 'pkg/testdata/x.go']);
  r = both(['*', '!**/*.go', '**/testdata', '**/testdata/**'], ['main.go', 'pkg/testdata/x.go']);
  assert.equal(r.buildkit, ['main.go'], '"P/**" makes BuildKit apply P below the directory');
  // A trailing "*" does not undo an exception for what lies below a directory it was skipped at.
  r = both(['a', '**/b', '!a/b', '*'], ['a/b/f']);
  assert.equal(r.documented, []);
  assert.equal(r.buildkit, ['a/b/f']);
  // An exception met while the directory is not excluded is not remembered either.
  r = both(['*', '!src', '**/*.pem', '!**/keys'], ['src/keys/k.pem']);
  assert.equal(r.documented, ['src/keys/k.pem']);
  assert.equal(r.buildkit, []);
  // The legacy builder skips an excluded directory unless an exception, as written, starts with its path.
  r = both(['*', '!packages/*/package.json', '!src'], ['packages/a/package.json', 'src/x']);
  assert.equal(r.buildkit, ['packages/a/package.json', 'src/x']);
  assert.equal(r.legacy, ['src/x']);
});

// ---------------------------------------------------------------------------------------------------
// Every dockerignore-allowlist fixture: what the build reads is sent, the rest is not.

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'dockerignore-allowlist');
const RESERVED = new Set(['Dockerfile', 'Dockerfile.expected', 'options.json', 'expect.json']);

function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const abs = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(abs).isDirectory()) out.push(...walk(abs, rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Expectations beyond "exactly the files the Dockerfile reads": files a source reads that must stay out
 * (secret-looking, or excluded by the user's own rules), and files sent although no source reads them.
 */
const EXCEPTIONS: Record<string, { hidden?: string[]; extra?: string[] }> = {
  'secrets-in-allowed-dir': { hidden: ['config/.env', 'config/.env.production', 'config/.npmrc', 'config/id_rsa', 'config/tls/server.key'] },
  'merge-existing': { hidden: ['src/.env'], extra: ['NOTICE'] },
  'per-dockerfile-merge-root': { hidden: ['app/.env'] },
  'wildcard-secret-reallowed': { hidden: ['keys/.env'] },
  'secret-patterns-option': { hidden: ['conf/local.ini'] },
  'copy-dotfiles-wildcard': { hidden: ['.env'] },
  // --exclude is not narrowed when another source reads in the same directory: sent, though not copied.
  'exclude-overlap-not-narrowed': { extra: ['src/CHANGES.md'] },
  'merge-user-exception-secret': { hidden: ['app/config/.env'] },
};

/** The rules that applied before: the hand-written ignore file, or the user's part of a generated one. */
function rulesBefore(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.split(/\r?\n/);
  if (!lines[0]!.startsWith('# Generated by dockshift dockerignore-allowlist')) return text;
  const at = lines.findIndex((l) => l.startsWith('# Your rules'));
  return at < 0 ? '' : lines.slice(at + 1).join('\n');
}

/** Independent of the transform: what BuildKit's COPY/ADD/bind mounts read, from the model and copy-sources. */
function neededFiles(dockerfile: string, tree: ContextTree, options: Record<string, unknown>): Set<string> {
  const model = parseDockerfile(dockerfile, 'Dockerfile');
  const out = new Set<string>();
  const vars = new Map<string, string>();
  for (const ins of model.instructions) {
    if (ins.keyword === 'ARG' || ins.keyword === 'ENV') for (const a of ins.args) if (a.value.includes('=')) vars.set(a.value.split('=')[0]!, a.value.split('=').slice(1).join('='));
    const sub = (s: string) => (options.trustArgDefaults ? s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => vars.get(n) ?? '') : s);
    if (ins.keyword === 'RUN') {
      for (const m of ins.mounts) {
        if (m.type !== 'bind' || m.get('from')?.value) continue;
        for (const f of filesRead(tree, { source: sub(m.get('source')?.value ?? '') }, true)) out.add(f);
      }
    }
    if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') continue;
    if (ins.flags.some((f) => f.name === 'from' && f.value)) continue;
    const parents = ins.flags.some((f) => f.name === 'parents');
    const excludes = ins.flags.filter((f) => f.name === 'exclude').map((f) => sub(f.value!));
    const args = ins.args.filter((a) => !ins.heredocs.some((h) => a.span.start < h.markerSpan.end && h.markerSpan.start < a.span.end));
    for (const a of args.slice(0, -1)) {
      if (/^(https?|git|ssh):\/\//.test(a.value) || /^[\w-]+@[\w.-]+:/.test(a.value)) continue;
      for (const f of filesRead(tree, { source: sub(a.value), parents, excludes })) out.add(f);
    }
  }
  return out;
}

const fixtureDirs = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => statSync(path.join(FIXTURES, d)).isDirectory()).sort() : [];

test('there are dockerignore-allowlist fixtures', () => {
  assert.ok(fixtureDirs.length >= 10);
});

for (const name of fixtureDirs) {
  const dir = path.join(FIXTURES, name);
  const files = walk(dir);
  const emitted = files.filter((f) => f.endsWith('.expected') && f !== 'Dockerfile.expected');
  if (!emitted.some((f) => f.endsWith('.dockerignore.expected'))) continue;
  const opaque = emitted.every((f) => readFileSync(path.join(dir, f), 'utf8').includes('allowlist is switched off'));
  if (opaque) continue;
  test(`fixture ${name}: the generated ignore file sends exactly what the build reads`, async () => {
    const input: Record<string, string> = {};
    for (const f of files) if (!RESERVED.has(f) && !f.endsWith('.expected')) input[f] = readFileSync(path.join(dir, f), 'utf8');
    const output: Record<string, string> = { ...input };
    for (const f of emitted) output[f.slice(0, -'.expected'.length)] = readFileSync(path.join(dir, f), 'utf8');
    // BuildKit reads Dockerfile.dockerignore next to the Dockerfile, else the context's .dockerignore.
    const effective = (ctx: Record<string, string>) => ctx['Dockerfile.dockerignore'] ?? ctx['.dockerignore'];
    const ignore = effective(output);
    assert.ok(ignore !== undefined);
    const contextFiles = Object.keys(input).filter((f) => f !== '.dockerignore' && !f.endsWith('.dockerignore'));
    const options = existsSync(path.join(dir, 'options.json')) ? (JSON.parse(readFileSync(path.join(dir, 'options.json'), 'utf8')) as Record<string, unknown>) : {};
    const tree = new ContextTree(contextFiles);
    // Needed: what a source reads and the rules in place before still let through (--force drops those rules).
    const sentBefore = new Set(sentFiles(contextFiles, options.force ? undefined : rulesBefore(effective(input))));
    const needed = new Set([...neededFiles(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), tree, options)].filter((f) => sentBefore.has(f)));
    const sent = new Set(sentFiles(contextFiles, ignore));
    // The generated lines mean the same to BuildKit's walker and to the documented matching.
    const documented = new Set(sentFiles(contextFiles, ignore, 'documented'));
    for (const f of contextFiles) assert.is(documented.has(f), sent.has(f), `${f}: BuildKit's walker and the documented matching agree`);
    const ex = EXCEPTIONS[name] ?? {};
    for (const f of needed) {
      if (ex.hidden?.includes(f)) assert.not.ok(sent.has(f), `${f} is read but secret-looking: it must stay out`);
      else assert.ok(sent.has(f), `${f} is read by the Dockerfile but not sent`);
    }
    for (const f of ex.hidden ?? []) assert.ok(needed.has(f), `${f} (expected hidden) is read by a source`);
    for (const f of sent) if (!needed.has(f)) assert.ok(ex.extra?.includes(f), `${f} is sent but nothing reads it`);
    for (const f of ex.extra ?? []) assert.ok(sent.has(f), `${f} (expected extra) is sent`);
    assert.ok(needed.size > 0 || name === 'nothing-read', 'the fixture reads something');
  });
}

// Several Dockerfiles sharing one context, processed one by one as the runner does.
test('several Dockerfiles in one context: each gets its own ignore file, each sends what it reads', async () => {
  const transform = await loadTransform('dockerignore-allowlist', ROOT);
  const context: Record<string, string> = {
    'api.Dockerfile': 'FROM node:22\nCOPY package.json package-lock.json ./\nCOPY api/ ./api/\n',
    'worker.Dockerfile': 'FROM python:3.12\nCOPY worker/*.py /app/\nRUN --mount=type=bind,source=requirements.txt,target=/r.txt pip install -r /r.txt\n',
    'package.json': '{}',
    'package-lock.json': '{}',
    'api/server.js': '',
    'api/.env': 'SECRET=1',
    'worker/main.py': '',
    'worker/util.py': '',
    'worker/README.md': '',
    'requirements.txt': '',
    '.git/HEAD': '',
    'docs/index.md': '',
  };
  const emitted: Record<string, string> = {};
  for (const df of ['api.Dockerfile', 'worker.Dockerfile']) {
    const text = context[df]!;
    const result = await processSource({
      source: { path: df, text, eol: '\n', bom: false },
      transforms: [transform],
      options: {},
      context: () => memoryContext(context, df),
      verify: true,
    });
    assert.is.not(result.status, 'error', result.messages.map((m) => m.message).join('\n'));
    assert.equal(result.emitted.map((e) => e.rel), [`${df}.dockerignore`]);
    emitted[df] = result.emitted[0]!.content;
  }
  const files = Object.keys(context);
  assert.equal(sentFiles(files, emitted['api.Dockerfile']).sort(), ['api/server.js', 'package-lock.json', 'package.json']);
  assert.equal(sentFiles(files, emitted['worker.Dockerfile']).sort(), ['requirements.txt', 'worker/main.py', 'worker/util.py']);
});

test('an exception in the user rules that sends a secret-looking file is not reported as kept out', async () => {
  const transform = await loadTransform('dockerignore-allowlist', ROOT);
  const dir = path.join(FIXTURES, 'merge-user-exception-secret');
  const ctx: Record<string, string> = {};
  for (const f of walk(dir)) if (!RESERVED.has(f) && !f.endsWith('.expected')) ctx[f] = readFileSync(path.join(dir, f), 'utf8');
  const result = await processSource({
    source: { path: 'Dockerfile', text: readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), eol: '\n', bom: false },
    transforms: [transform],
    options: {},
    context: () => memoryContext(ctx),
    verify: true,
  });
  const messages = result.messages.map((m) => m.message).join('\n');
  assert.not.match(messages, /\.env\.defaults/, 'app/config/.env.defaults is read and sent: nothing to say about it');
  assert.match(messages, /kept out as secret-looking although inside allowed paths: app\/config\/\.env \(/);
});

test('a source inside .git (left out of the context listing) is checked on disk, not reported missing', async () => {
  const transform = await loadTransform('dockerignore-allowlist', ROOT);
  const root = mkdtempSync(path.join(tmpdir(), 'dockshift-git-'));
  try {
    mkdirSync(path.join(root, '.git', 'refs'), { recursive: true });
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(path.join(root, 'src', 'app.py'), '');
    writeFileSync(path.join(root, 'pyproject.toml'), '');
    const text = 'FROM python:3.12\nWORKDIR /src\nCOPY pyproject.toml ./\nCOPY src/ src/\nRUN --mount=type=bind,source=.git,target=/src/.git pip install .\n';
    writeFileSync(path.join(root, 'Dockerfile'), text);
    const result = await processSource({
      source: { path: path.join(root, 'Dockerfile'), text, eol: '\n', bom: false },
      transforms: [transform],
      options: {},
      context: () => fsContext(root, path.join(root, 'Dockerfile')),
      verify: true,
    });
    const messages = result.messages.map((m) => m.message).join('\n');
    assert.not.match(messages, /matches nothing/);
    const ignore = result.emitted.find((e) => e.rel === '.dockerignore')!.content;
    assert.match(ignore, /^!\.git$/m, '.git is named by the Dockerfile, so it is allowed again after the secret block');
    assert.equal(sentFiles(['.git/HEAD', 'src/app.py', 'pyproject.toml', 'Dockerfile'], ignore).sort(), ['.git/HEAD', 'pyproject.toml', 'src/app.py']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
