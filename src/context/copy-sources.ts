// What a Dockerfile COPY/ADD source (or a bind-mount source) reads from a build context, resolved the way
// BuildKit does it, over a listing of the context's files. Used to check generated .dockerignore files
// against what builds actually need, and to say which files a rule hides.
//
// BuildKit (frontend/dockerfile/dockerfile2llb/convert_copy.go, solver/llbsolver/file/backend.go,
// tonistiigi/fsutil/copy/copy.go):
// - a source is made absolute and cleaned (`system.NormalizePath("/", src)`): `./a/../b/` is `b`, `..`
//   cannot leave the context;
// - with wildcards (`*`, `?`, `[`), `ResolveWildcards` splits the path at the first component that has
//   one; the literal part is a directory, and below it every path (file or directory) whose relative path
//   matches the rest with Go's `filepath.Match` is a source (a matching directory is not searched further).
//   `filepath.Match` never lets `*`, `?` or `**` cross `/`: `**` is the same as `*`. No match is not an
//   error for COPY (AllowEmptyWildcard);
// - a directory source copies everything below it; `--exclude` patterns are patternmatcher patterns
//   matched against paths relative to each source (MatchesUsingParentResults down the walk, as fsutil/copy
//   does), never against the source itself;
// - `--parents`: the source splits at an optional `/./` pivot; the part before is the source directory
//   (wildcards allowed), the part after an include pattern (patternmatcher, so `**` crosses directories)
//   matched against paths relative to it.

import { PatternMatcher, TreeMatcher, containsWildcards, goClean, goMatch } from './dockerignore.js';

/** A listing of a context: regular files (sorted) and the directories that contain them. */
export class ContextTree {
  readonly files: string[];
  readonly dirs: Set<string>;
  private readonly fileSet: Set<string>;
  /** Files and directories, sorted the way a depth-first walk meets them. */
  private readonly entries: string[];

  constructor(files: readonly string[]) {
    this.files = [...new Set(files)].sort(byPath);
    this.fileSet = new Set(this.files);
    this.dirs = new Set();
    for (const f of this.files) for (let i = f.indexOf('/'); i !== -1; i = f.indexOf('/', i + 1)) this.dirs.add(f.slice(0, i));
    this.entries = [...this.files, ...this.dirs].sort(byPath);
  }

  isFile(p: string): boolean {
    return this.fileSet.has(p);
  }

  isDir(p: string): boolean {
    return p === '' || this.dirs.has(p);
  }

  exists(p: string): boolean {
    return this.isDir(p) || this.isFile(p);
  }

  /** Files at or below `p` ('' = all). */
  filesUnder(p: string): string[] {
    if (p === '') return this.files.slice();
    return this.files.filter((f) => f === p || f.startsWith(p + '/'));
  }

  /** Files and directories strictly below directory `dir`, in walk order. */
  entriesBelow(dir: string): string[] {
    if (dir === '') return this.entries.slice();
    return this.entries.filter((e) => e.startsWith(dir + '/'));
  }
}

/** Depth-first walk order: compare path components, so `a/b` comes right after `a` and before `a-b`. */
export function byPath(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

/** `system.NormalizePath("/", src)` then relative to the context root: '' is the root itself. */
export function normalizeSource(src: string): string {
  const clean = goClean('/' + src);
  return clean === '/' ? '' : clean.slice(1);
}

/** fsutil/copy `splitWildcards`: the literal directory part and the rest, from the first component with a wildcard. */
export function splitWildcards(rel: string): { dir: string; rest: string } {
  const parts = rel === '' ? [] : rel.split('/');
  const k = parts.findIndex((p) => containsWildcards(p));
  if (k < 0) return { dir: rel, rest: '' };
  return { dir: parts.slice(0, k).join('/'), rest: parts.slice(k).join('/') };
}

/**
 * The context paths (files or directories) a source names, after BuildKit's `ResolveWildcards`. `rel` is a
 * normalized source ('' = the root). A literal path that does not exist gives nothing.
 */
export function resolveSource(tree: ContextTree, rel: string): string[] {
  const { dir, rest } = splitWildcards(rel);
  if (!rest) return tree.exists(rel) ? [rel] : [];
  if (!tree.isDir(dir)) return [];
  const out: string[] = [];
  let skip: string | undefined;
  for (const entry of tree.entriesBelow(dir)) {
    if (skip !== undefined && entry.startsWith(skip + '/')) continue;
    skip = undefined;
    const relToDir = dir === '' ? entry : entry.slice(dir.length + 1);
    if (goMatch(rest, relToDir)) {
      out.push(entry);
      if (tree.isDir(entry)) skip = entry;
    }
  }
  return out;
}

export interface CopyRead {
  /** The source as written (after variable resolution). */
  source: string;
  parents?: boolean;
  excludes?: readonly string[];
}

/** The files a COPY/ADD source (or a bind mount source, with `literal`) reads from the context. */
export function filesRead(tree: ContextTree, read: CopyRead, literal = false): string[] {
  // fsutil/copy walks each source and matches paths relative to it with MatchesUsingParentResults.
  const excludes = read.excludes?.length ? new PatternMatcher(read.excludes) : undefined;
  const excludeTrees = new Map<string, TreeMatcher>();
  const keep = (base: string, file: string) => {
    if (!excludes || file === base) return true;
    const rel = base === '' ? file : file.slice(base.length + 1);
    let tm = excludeTrees.get(base);
    if (!tm) excludeTrees.set(base, (tm = new TreeMatcher(excludes)));
    return !tm.matches(rel);
  };
  if (read.parents) {
    const cut = read.source.indexOf('/./');
    const parent = cut < 0 ? '/' : read.source.slice(0, cut);
    const pattern = normalizeSource(cut < 0 ? read.source : read.source.slice(cut + 3));
    const include = new PatternMatcher([pattern]);
    const out: string[] = [];
    for (const base of resolveSource(tree, normalizeSource(parent))) {
      const included = new TreeMatcher(include);
      for (const f of tree.filesUnder(base)) {
        const rel = base === '' ? f : f.slice(base.length + 1);
        if (f !== base && included.matches(rel) && keep(base, f)) out.push(f);
      }
    }
    return [...new Set(out)].sort(byPath);
  }
  const rel = normalizeSource(read.source);
  const bases = literal ? (tree.exists(rel) ? [rel] : []) : resolveSource(tree, rel);
  const out: string[] = [];
  for (const base of bases) for (const f of tree.filesUnder(base)) if (keep(base, f)) out.push(f);
  return [...new Set(out)].sort(byPath);
}
