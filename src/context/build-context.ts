// Build contexts: what a transform may see of the files a `docker build` would send.
//
// The listing is the whole context directory: .gitignore does not filter a Docker build context, and
// .dockerignore is a transform concern (dockerignore-allowlist), so neither is applied here. Only `.git` is
// left out of `list()` (it is never an interesting COPY source, and it is large). Symlinked directories are
// not entered; a symlink to a regular file is listed (BuildKit sends the link; a transform asking "does
// package.json exist" should see it); broken symlinks are not. Everything is lazy: nothing is listed or read
// until a transform calls list/read/exists, and each answer is computed once per context.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuildContext } from '../types.js';

/** A listing shared between contexts with the same root within one run (pass the same Map to fsContext). */
export type ContextListingCache = Map<string, string[]>;

/**
 * A build context over a directory on disk. `dockerfile` becomes the Dockerfile's path relative to `root`
 * (`/` separators; it may start with `../` when the Dockerfile lives outside its context).
 */
export function fsContext(root: string, dockerfileAbs: string, origin = 'directory', cache?: ContextListingCache): BuildContext {
  const absRoot = path.resolve(root);
  let files: string[] | undefined;
  const reads = new Map<string, string | undefined>();
  const globs = new Map<string, string[]>();

  const all = (): string[] => {
    if (files) return files;
    files = cache?.get(absRoot);
    if (!files) {
      files = listFiles(absRoot);
      cache?.set(absRoot, files);
    }
    return files;
  };

  return {
    root: absRoot,
    dockerfile: toPosix(path.relative(absRoot, path.resolve(dockerfileAbs))),
    origin,
    list(glob?: string): string[] {
      if (glob === undefined || glob === '' || glob === '**') return all().slice();
      let hit = globs.get(glob);
      if (!hit) {
        const re = globToRegExp(glob);
        hit = all().filter((f) => re.test(f));
        globs.set(glob, hit);
      }
      return hit.slice();
    },
    read(rel: string): string | undefined {
      const n = normalizeRel(rel);
      if (n === undefined || n === '') return undefined;
      if (reads.has(n)) return reads.get(n);
      let text: string | undefined;
      try {
        text = fs.readFileSync(path.join(absRoot, n), 'utf8');
      } catch {
        text = undefined; // missing, a directory, unreadable
      }
      reads.set(n, text);
      return text;
    },
    exists(rel: string): boolean {
      const n = normalizeRel(rel);
      if (n === undefined) return false;
      if (n === '') return true;
      return fs.existsSync(path.join(absRoot, n));
    },
  };
}

/** An in-memory build context for tests: keys are context-relative paths (`/` separators). */
export function memoryContext(files: Record<string, string>, dockerfile = 'Dockerfile'): BuildContext {
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(files)) {
    const n = normalizeRel(k);
    if (n) map.set(n, v);
  }
  const sorted = [...map.keys()].sort(compare);
  const dirs = new Set<string>();
  for (const f of sorted) {
    for (let i = f.indexOf('/'); i !== -1; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
  }
  return {
    dockerfile,
    origin: 'test',
    list(glob?: string): string[] {
      if (glob === undefined || glob === '' || glob === '**') return sorted.slice();
      const re = globToRegExp(glob);
      return sorted.filter((f) => re.test(f));
    },
    read(rel: string): string | undefined {
      const n = normalizeRel(rel);
      return n === undefined ? undefined : map.get(n);
    },
    exists(rel: string): boolean {
      const n = normalizeRel(rel);
      if (n === undefined) return false;
      return n === '' || map.has(n) || dirs.has(n);
    },
  };
}

/**
 * Glob → RegExp over context-relative paths. `*` matches any run of characters but `/`, `?` one character
 * but `/`, `**` any number of whole path segments (`**\/x`, `a/**\/x`, `a/**`), `[...]` a character class
 * (`[!...]` negated), `{a,b}` alternatives, `\x` a literal x. Dot files are matched like any other file (as
 * in .dockerignore). A leading `./` or `/` is ignored: patterns are anchored at the context root.
 */
export function globToRegExp(glob: string): RegExp {
  let g = glob;
  while (g.startsWith('./')) g = g.slice(2);
  while (g.startsWith('/')) g = g.slice(1);
  let re = '';
  let depth = 0; // inside {…}
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      let j = i;
      while (g[j + 1] === '*') j++;
      const stars = j - i + 1;
      const atStart = i === 0 || g[i - 1] === '/';
      const atEnd = j + 1 === g.length || g[j + 1] === '/';
      if (stars >= 2 && atStart && atEnd) {
        if (j + 1 === g.length) {
          // `**` at the end: everything below (and, for a bare `**`, everything).
          re += '.*';
        } else {
          // `**/`: zero or more directories.
          re += '(?:[^/]*/)*';
          j++; // consume the '/'
        }
      } else {
        re += '[^/]*';
      }
      i = j;
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = g.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
      } else {
        let body = g.slice(i + 1, close);
        let neg = false;
        if (body[0] === '!' || body[0] === '^') {
          neg = true;
          body = body.slice(1);
        }
        body = body.replace(/[\\\]^]/g, '\\$&');
        re += neg ? `(?!/)[^${body}]` : `[${body}]`;
        i = close;
      }
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) {
      re += '|';
    } else if (c === '\\' && i + 1 < g.length) {
      re += escapeRe(g[++i]!);
    } else {
      re += escapeRe(c);
    }
  }
  while (depth-- > 0) re += ')';
  return new RegExp(`^${re}$`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `./a//b/` → `a/b`; `.` → ``; undefined for paths that leave the context (`..`, absolute). */
function normalizeRel(rel: string): string | undefined {
  const s = rel.replace(/\\/g, '/');
  if (s.startsWith('/')) return undefined;
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!out.length) return undefined;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out.join('/');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

/** Every regular file under `root` (and symlinks to regular files), `.git` left out, symlinked dirs not entered. */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return; // unreadable directory: its files are not visible to transforms
    }
    for (const e of entries) {
      const name = e.name;
      if (name === '.git') continue;
      const r = rel ? `${rel}/${name}` : name;
      if (e.isDirectory()) walk(path.join(abs, name), r);
      else if (e.isFile()) out.push(r);
      else if (e.isSymbolicLink()) {
        try {
          if (fs.statSync(path.join(abs, name)).isFile()) out.push(r);
        } catch {
          /* broken link */
        }
      }
    }
  };
  walk(root, '');
  return out.sort(compare);
}
