// POSIX path arithmetic for paths *inside an image* (never the host): normalisation the way BuildKit cleans
// COPY/WORKDIR paths, containment, and Go `filepath.Match`-style component globbing (`*`, `?`, `[…]`, `\`
// escapes; `*` never crosses `/`), which is what COPY wildcards use (tonistiigi/fsutil copy.ResolveWildcards).

/** `path.Clean` rooted at `/`: `a/./b/../c` → `/a/c`; `..` above the root stays at the root. */
export function cleanAbs(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

/** Go's `path.Clean`, keeping a relative path relative: `a/./b/../c` → `a/c`, `/x/..` → `/`, `` → `.`. */
export function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..' && parts.length && parts[parts.length - 1] !== '..') parts.pop();
    else if (seg !== '..' || !abs) parts.push(seg);
  }
  const out = parts.join('/');
  return abs ? '/' + out : out || '.';
}

/** Resolve `p` against directory `dir` (absolute); an absolute `p` ignores `dir`. */
export function resolveIn(dir: string, p: string): string {
  return cleanAbs(p.startsWith('/') ? p : `${dir}/${p}`);
}

/** A build-context source as BuildKit sees it: relative to the context root, `..` and leading `/` removed; '' is the root. */
export function contextRel(src: string): string {
  return cleanAbs(src).slice(1);
}

export function components(abs: string): string[] {
  return abs === '/' ? [] : abs.slice(1).split('/');
}

/** `a` is `b` or lies below it (both clean and absolute). */
export function isWithin(a: string, b: string): boolean {
  return a === b || b === '/' || a.startsWith(b + '/');
}

/** `a` lies strictly above `b`. */
export function isAncestor(a: string, b: string): boolean {
  return a !== b && isWithin(b, a);
}

export function basename(p: string): string {
  const c = components(cleanAbs(p));
  return c[c.length - 1] ?? '';
}

export function dirname(abs: string): string {
  const c = components(abs);
  return '/' + c.slice(0, -1).join('/');
}

export function hasWildcard(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === '*' || ch === '?' || ch === '[') return true;
    if (ch === '\\') i++;
  }
  return false;
}

const cache = new Map<string, RegExp>();

/** Go `filepath.Match` for one path component. Malformed patterns never match. */
export function matchComponent(pattern: string, name: string): boolean {
  if (!hasWildcard(pattern)) return pattern.replace(/\\(.)/g, '$1') === name;
  let re = cache.get(pattern);
  if (!re) {
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i]!;
      if (ch === '*') src += '[^/]*';
      else if (ch === '?') src += '[^/]';
      else if (ch === '\\' && i + 1 < pattern.length) src += escapeRe(pattern[++i]!);
      else if (ch === '[') {
        const end = pattern.indexOf(']', i + 2);
        if (end < 0) return false;
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('^')) body = '^' + body.slice(1).replace(/[\\\]]/g, '\\$&');
        else body = body.replace(/[\\\]^]/g, '\\$&');
        src += `[${body}]`;
        i = end;
      } else src += escapeRe(ch);
    }
    try {
      re = new RegExp(`^${src}$`);
    } catch {
      return false;
    }
    cache.set(pattern, re);
  }
  return re.test(name);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * How a (possibly wildcarded) absolute path pattern relates to a clean absolute path `p`:
 * `within` when something it names is `p` or lies below `p`, `above` when it names a strict ancestor of `p`
 * (`/` excluded), otherwise undefined.
 */
export function relation(pattern: string, p: string): 'within' | 'above' | undefined {
  const a = components(cleanAbs(pattern));
  const b = components(p);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!matchComponent(a[i]!, b[i]!)) return undefined;
  if (a.length >= b.length) return 'within';
  return a.length === 0 ? undefined : 'above';
}
