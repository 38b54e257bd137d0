// A Docker-faithful .dockerignore matcher: a port of moby/patternmatcher (patternmatcher.go and
// ignorefile/ignorefile.go, the code BuildKit and the Docker CLI use) and of Go's path/filepath.Match and
// filepath.Clean, which patternmatcher builds on. Ported rule by rule, not re-imagined:
//
// - reading (ignorefile.ReadAll): a UTF-8 BOM is stripped from the first line; a line whose *first*
//   character is `#` is a comment (`  # x` is a pattern); lines are trimmed; a leading `!` marks an
//   exception (trimmed again after the `!`); the pattern is `filepath.Clean`ed and one leading `/` dropped.
// - compiling (patternmatcher.New / Pattern.compile): each pattern is trimmed and cleaned again, checked
//   with `filepath.Match(p, ".")` for syntax errors, and turned into an exact, prefix (`dir/**`), suffix
//   (`**/name`) or regexp match: `*` → `[^/]*`, `?` → `[^/]`, `**` → `(.*/)?` (or `.*` at the end),
//   `.+()|{}$` escaped, `\x` kept as an escape, `[`/`]` passed through as a regexp class.
// - matching: patterns apply in order and the last one that matches the path or one of its parent
//   directories wins; an exception only applies once something matched, an exclusion only while nothing
//   does. Case-sensitive. Two entry points differ in one corner: MatchesOrParentMatches (the documented rule;
//   BuildKit's lint and filterFS.Open) checks every pattern against every parent; MatchesUsingParentResults
//   (what the senders use — BuildKit's fsutil walker, the Docker CLI's tar for the legacy builder — and
//   COPY --exclude/--parents) only remembers a parent match for the patterns it evaluated at that parent.
//   `walkSent` ports both walkers, shortcuts included.
//
// The regexp patternmatcher builds is Go RE2 syntax; `goRegexpToJs` translates the constructs that differ in
// JavaScript (`.` and `\s` ranges, POSIX classes, stray `]`, escapes) so that the same string matches the
// same paths. Constructs with no faithful translation (`\Q…\E`, `\p{…}`, octal/hex escapes) are reported as
// bad patterns rather than guessed.

/** Go's filepath.ErrBadPattern. */
export class BadPatternError extends Error {
  constructor(readonly pattern: string, detail = 'syntax error in pattern') {
    super(`${detail}: ${JSON.stringify(pattern)}`);
    this.name = 'BadPatternError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Go path/filepath.Clean (Unix)

/** Go's `filepath.Clean` with `/` separators. */
export function goClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

// ---------------------------------------------------------------------------------------------------
// Go path/filepath.Match (Unix), byte for byte: Go works on UTF-8 bytes and decodes runes where it needs them.

const encoder = new TextEncoder();
const RUNE_ERROR = 0xfffd;

/** Go's utf8.DecodeRune on a byte array: [rune, size]; invalid input gives [RuneError, 1]. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const n = b.length - i;
  if (n <= 0) return [RUNE_ERROR, 0];
  const c0 = b[i]!;
  if (c0 < 0x80) return [c0, 1];
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    if (!cont(1)) return [RUNE_ERROR, 1];
    return [((c0 & 0x1f) << 6) | (b[i + 1]! & 0x3f), 2];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    if (!cont(1) || !cont(2)) return [RUNE_ERROR, 1];
    const r = ((c0 & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
    if (r < 0x800 || (r >= 0xd800 && r <= 0xdfff)) return [RUNE_ERROR, 1];
    return [r, 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return [RUNE_ERROR, 1];
    const r = ((c0 & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
    if (r < 0x10000 || r > 0x10ffff) return [RUNE_ERROR, 1];
    return [r, 4];
  }
  return [RUNE_ERROR, 1];
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const STAR = 0x2a;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const QUESTION = 0x3f;
const CARET = 0x5e;
const DASH = 0x2d;

/** scanChunk: the next run of non-star pattern, possibly preceded by a star. Works on byte offsets. */
function scanChunk(p: Uint8Array, start: number): { star: boolean; chunkStart: number; chunkEnd: number } {
  let i = start;
  let star = false;
  while (i < p.length && p[i] === STAR) {
    i++;
    star = true;
  }
  const chunkStart = i;
  let inrange = false;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === BACKSLASH) {
      if (i + 1 < p.length) i++;
    } else if (c === LBRACK) inrange = true;
    else if (c === RBRACK) inrange = false;
    else if (c === STAR && !inrange) break;
  }
  return { star, chunkStart, chunkEnd: i };
}

/** getEsc: a possibly escaped character of a class. Returns [rune, next offset] or throws. */
function getEsc(p: Uint8Array, i: number, end: number, pattern: string): [number, number] {
  if (i >= end || p[i] === DASH || p[i] === RBRACK) throw new BadPatternError(pattern);
  if (p[i] === BACKSLASH) {
    i++;
    if (i >= end) throw new BadPatternError(pattern);
  }
  const [r, n] = decodeRune(p.subarray(0, end), i);
  if (r === RUNE_ERROR && n === 1) throw new BadPatternError(pattern);
  const next = i + n;
  if (next >= end) throw new BadPatternError(pattern);
  return [r, next];
}

/**
 * matchChunk: does the chunk p[cs:ce] match the beginning of s[si:]? Returns the offset in s after the match,
 * or -1. Like Go ≥ 1.16, it keeps validating the chunk after a failed match (throws BadPatternError).
 */
function matchChunk(p: Uint8Array, cs: number, ce: number, s: Uint8Array, si: number, pattern: string): number {
  let failed = false;
  let c = cs;
  while (c < ce) {
    if (!failed && si >= s.length) failed = true;
    const ch = p[c]!;
    if (ch === LBRACK) {
      let r = 0;
      if (!failed) {
        const [rr, n] = decodeRune(s, si);
        r = rr;
        si += n;
      }
      c++;
      let negated = false;
      if (c < ce && p[c] === CARET) {
        negated = true;
        c++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (c < ce && p[c] === RBRACK && nrange > 0) {
          c++;
          break;
        }
        let lo: number;
        let hi: number;
        [lo, c] = getEsc(p, c, ce, pattern);
        hi = lo;
        if (p[c] === DASH) [hi, c] = getEsc(p, c + 1, ce, pattern);
        if (lo <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (ch === QUESTION) {
      if (!failed) {
        if (s[si] === SLASH) failed = true;
        const [, n] = decodeRune(s, si);
        si += n;
      }
      c++;
    } else {
      if (ch === BACKSLASH) {
        c++;
        if (c >= ce) throw new BadPatternError(pattern);
      }
      if (!failed) {
        if (p[c] !== s[si]) failed = true;
        si++;
      }
      c++;
    }
  }
  return failed ? -1 : si;
}

/**
 * Go's `filepath.Match(pattern, name)` on Unix: `*` and `?` never match `/`, `[...]` classes (`^` negates),
 * `\` escapes. Throws BadPatternError for a malformed pattern (also after a failed match, as Go ≥ 1.16 does).
 */
export function goMatch(pattern: string, name: string): boolean {
  const p = encoder.encode(pattern);
  let s = encoder.encode(name);
  let pi = 0;
  outer: while (pi < p.length) {
    const { star, chunkStart, chunkEnd } = scanChunk(p, pi);
    pi = chunkEnd;
    if (star && chunkStart === chunkEnd) return !s.includes(SLASH);
    const t = matchChunk(p, chunkStart, chunkEnd, s, 0, pattern);
    if (t >= 0 && (t === s.length || pi < p.length)) {
      s = s.subarray(t);
      continue;
    }
    if (star) {
      for (let i = 0; i < s.length && s[i] !== SLASH; i++) {
        const t2 = matchChunk(p, chunkStart, chunkEnd, s, i + 1, pattern);
        if (t2 >= 0) {
          if (pi === p.length && t2 < s.length) continue;
          s = s.subarray(t2);
          continue outer;
        }
      }
    }
    // Before returning false, check that the remainder of the pattern is well-formed.
    while (pi < p.length) {
      const next = scanChunk(p, pi);
      pi = next.chunkEnd;
      matchChunk(p, next.chunkStart, next.chunkEnd, new Uint8Array(0), 0, pattern);
    }
    return false;
  }
  return s.length === 0;
}

/** BuildKit's `containsWildcards` (dockerfile2llb and fsutil/copy): `*`, `?` or `[`, skipping `\`-escaped characters. */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Go RE2 → JavaScript regexp (only what patternmatcher's compile() can produce)

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\t ',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const PERL_CLASSES: Record<string, { pos: string; neg: string }> = {
  d: { pos: '0-9', neg: '0-9' },
  s: { pos: '\\t\\n\\f\\r ', neg: '\\t\\n\\f\\r ' },
  w: { pos: '0-9A-Za-z_', neg: '0-9A-Za-z_' },
};
const SIMPLE_ESCAPES: Record<string, string> = { a: '\\u{7}', f: '\\f', t: '\\t', n: '\\n', r: '\\r', v: '\\v' };

function literal(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/**
 * Translates the RE2 regexp string patternmatcher builds into an equivalent JavaScript RegExp (`u` flag).
 * Throws BadPatternError when Go's regexp would reject it, or for the few RE2 escapes with no faithful
 * translation here.
 */
export function goRegexpToJs(re: string, pattern: string): RegExp {
  const cps = Array.from(re);
  let out = '';
  let i = 0;
  const bad = (why: string) => new BadPatternError(pattern, why);
  // An escape sequence (after the backslash at cps[i]); returns [text, isClassShorthand].
  const escape = (inClass: boolean): string => {
    const c = cps[i + 1];
    if (c === undefined) throw bad('trailing backslash in regexp');
    i += 2;
    const cp = c.codePointAt(0)!;
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) return literal(cp); // escaped punctuation: a literal
    if (SIMPLE_ESCAPES[c]) return SIMPLE_ESCAPES[c]!;
    const lower = c.toLowerCase();
    if (PERL_CLASSES[lower] && (c === 'd' || c === 's' || c === 'w' || c === 'D' || c === 'S' || c === 'W')) {
      const body = PERL_CLASSES[lower]!.pos;
      const negated = c !== lower;
      if (inClass) {
        if (negated) throw bad(`\\${c} inside a class is not supported by dockshift's port`);
        return body;
      }
      return negated ? `[^${body}]` : `[${body}]`;
    }
    if (!inClass && c === 'A') return '^';
    if (!inClass && c === 'z') return '$';
    if (!inClass && (c === 'b' || c === 'B')) return `\\${c}`;
    throw bad(`regexp escape \\${c} is not supported`);
  };
  while (i < cps.length) {
    const c = cps[i]!;
    if (c === '\\') {
      out += escape(false);
      continue;
    }
    if (c === '[') {
      // A character class, to its closing bracket.
      let cls = '[';
      i++;
      if (cps[i] === '^') {
        cls += '^';
        i++;
      }
      let first = true;
      let closed = false;
      while (i < cps.length) {
        const d = cps[i]!;
        if (d === ']' && !first) {
          closed = true;
          i++;
          break;
        }
        first = false;
        if (d === '\\') {
          cls += escape(true);
          continue;
        }
        if (d === '[' && cps[i + 1] === ':') {
          const end = cps.indexOf(':', i + 2);
          if (end > 0 && cps[end + 1] === ']') {
            let name = cps.slice(i + 2, end).join('');
            const neg = name.startsWith('^');
            if (neg) name = name.slice(1);
            const body = POSIX_CLASSES[name];
            if (!body) throw bad(`invalid character class range [:${name}:]`);
            if (neg) throw bad(`negated POSIX class [:^${name}:] is not supported by dockshift's port`);
            cls += body;
            i = end + 2;
            continue;
          }
        }
        if (d === '-' ) {
          cls += '-';
          i++;
          continue;
        }
        cls += literal(d.codePointAt(0)!);
        i++;
      }
      if (!closed) throw bad('missing closing ] in regexp');
      out += cls + ']';
      continue;
    }
    if (c === ']') out += '\\]';
    else if (c === '.') out += '[^\\n]';
    else if ('^$*+?()|'.includes(c)) out += c;
    else if (c === '{' || c === '}') out += '\\' + c;
    else out += literal(c.codePointAt(0)!);
    i++;
  }
  try {
    return new RegExp(out, 'u');
  } catch (e) {
    throw bad(`invalid regexp (${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// patternmatcher

type MatchType = 'unknown' | 'exact' | 'prefix' | 'suffix' | 'regexp';

// patternmatcher's shouldEscape: regexp characters that are not filepath.Match characters.
const SHOULD_ESCAPE = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

export class Pattern {
  matchType: MatchType = 'unknown';
  regexp?: RegExp;
  /** Regexp text as patternmatcher builds it (Go syntax), for tests against patternmatcher's own table. */
  goRegexp?: string;
  private compileError?: BadPatternError;

  constructor(readonly cleanedPattern: string, readonly exclusion: boolean) {}

  toString(): string {
    return this.cleanedPattern;
  }

  /** Pattern.compile with `/` as the separator. */
  compile(): void {
    let regStr = '^';
    let detected: MatchType = 'exact';
    const chars = Array.from(this.cleanedPattern);
    let k = 0;
    const peek = () => chars[k];
    const next = () => chars[k++];
    for (let i = 0; peek() !== undefined; i++) {
      const ch = next()!;
      if (ch === '*') {
        if (peek() === '*') {
          next();
          if (peek() === '/') next();
          if (peek() === undefined) {
            if (detected === 'exact') detected = 'prefix';
            else {
              regStr += '.*';
              detected = 'regexp';
            }
          } else {
            regStr += '(.*/)?';
            detected = 'regexp';
          }
          if (i === 0) detected = 'suffix';
        } else {
          regStr += '[^/]*';
          detected = 'regexp';
        }
      } else if (ch === '?') {
        regStr += '[^/]';
        detected = 'regexp';
      } else if (SHOULD_ESCAPE.has(ch)) {
        regStr += '\\' + ch;
      } else if (ch === '\\') {
        if (peek() !== undefined) {
          regStr += '\\' + next()!;
          detected = 'regexp';
        } else {
          regStr += '\\';
        }
      } else if (ch === '[' || ch === ']') {
        regStr += ch;
        detected = 'regexp';
      } else {
        regStr += ch;
      }
    }
    if (detected === 'regexp') {
      regStr += '$';
      this.goRegexp = regStr;
      try {
        this.regexp = goRegexpToJs(regStr, this.cleanedPattern);
      } catch (e) {
        // Go: compile fails, matchType stays unknown, and every match returns ErrBadPattern.
        this.compileError = e instanceof BadPatternError ? e : new BadPatternError(this.cleanedPattern);
        return;
      }
    }
    this.matchType = detected;
  }

  /** Pattern.match: throws BadPatternError when the pattern cannot be compiled. */
  match(path: string): boolean {
    if (this.matchType === 'unknown' && !this.compileError) this.compile();
    if (this.compileError) throw this.compileError;
    const p = this.cleanedPattern;
    switch (this.matchType) {
      case 'exact':
        return path === p;
      case 'prefix':
        return path.startsWith(p.slice(0, -2));
      case 'suffix': {
        const suffix = p.slice(2);
        if (path.endsWith(suffix)) return true;
        return suffix[0] === '/' && path === suffix.slice(1);
      }
      case 'regexp':
        return this.regexp!.test(path);
      default:
        throw new BadPatternError(p);
    }
  }
}

export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  /** True when any pattern is an exception (`!`). */
  readonly exclusions: boolean = false;

  /** patternmatcher.New: throws on `!` alone and on patterns filepath.Match rejects. */
  constructor(patterns: readonly string[]) {
    for (let raw of patterns) {
      raw = goTrimSpace(raw);
      if (raw === '') continue;
      let p = goClean(raw);
      let exclusion = false;
      if (p[0] === '!') {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
        this.exclusions = true;
      }
      goMatch(p, '.'); // syntax check, as New does (throws BadPatternError)
      this.patterns.push(new Pattern(p, exclusion));
    }
  }

  /**
   * MatchesOrParentMatches: true when the path (slash-separated, relative to the context root) is excluded.
   * Patterns apply in order; each may match the path itself or any of its parent directories.
   */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    const parentPath = goDir(file);
    const parentPathDirs = parentPath.split('/');
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parentPath !== '.') {
        for (let i = 0; i < parentPathDirs.length; i++) {
          // Go ignores the error here (the pattern matched the file itself without one).
          match = safeMatch(pattern, parentPathDirs.slice(0, i + 1).join('/'));
          if (match) break;
        }
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * MatchesUsingParentResults: what BuildKit's walkers use (fsutil's filterFS.Walk when sending the context,
   * fsutil/copy for COPY --exclude and --parents). The caller passes the parent directory's match info: a
   * pattern the parent matched counts as matched without being evaluated; the others are evaluated against the
   * path alone. Without parent info (a top-level path) the parent directories are checked as in
   * MatchesOrParentMatches. Differs from MatchesOrParentMatches where a pattern was skipped at a parent (an
   * exception while nothing matched there yet, an exclusion after something already had): then it is not
   * recorded as matching the parent, and below it only the path itself counts.
   */
  matchesUsingParentResults(file: string, parentInfo?: readonly boolean[]): { matched: boolean; info: boolean[] } {
    let matched = false;
    const info = new Array<boolean>(this.patterns.length).fill(false);
    const hasParent = parentInfo !== undefined && parentInfo.length !== 0;
    this.patterns.forEach((pattern, i) => {
      let match = hasParent ? parentInfo[i]! : false;
      if (!match) {
        if (pattern.exclusion !== matched) return;
        match = pattern.match(file);
        if (!match && !hasParent) {
          const parentPath = goDir(file);
          if (parentPath !== '.') {
            const dirs = parentPath.split('/');
            for (let k = 0; k < dirs.length; k++) {
              match = safeMatch(pattern, dirs.slice(0, k + 1).join('/'));
              if (match) break;
            }
          }
        }
      }
      info[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { matched, info };
  }

  /** The deprecated Matches (checks only the parent directory at the pattern's own depth); kept for patternmatcher's test table. */
  matches(file: string): boolean {
    let matched = false;
    const parentPath = goDir(file);
    const parentPathDirs = parentPath.split('/');
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      const dirs = pattern.cleanedPattern.split('/');
      if (!match && parentPath !== '.' && dirs.length <= parentPathDirs.length) {
        match = safeMatch(pattern, parentPathDirs.slice(0, dirs.length).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}

function safeMatch(pattern: Pattern, path: string): boolean {
  try {
    return pattern.match(path);
  } catch {
    return false;
  }
}

/** Go's filepath.Dir for slash paths. */
function goDir(p: string): string {
  const i = p.lastIndexOf('/');
  return goClean(i < 0 ? '' : p.slice(0, i + 1));
}

// Go's unicode.IsSpace set, as strings.TrimSpace uses it.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const TRIM_RE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** Go's strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  return s.replace(TRIM_RE, '');
}

/** Package-level patternmatcher.MatchesOrParentMatches(file, patterns): "." is never excluded. */
export function matchesOrParentMatches(file: string, patterns: readonly string[]): boolean {
  const pm = new PatternMatcher(patterns);
  file = goClean(file);
  if (file === '.') return false;
  return pm.matchesOrParentMatches(file);
}

/** Package-level (deprecated) patternmatcher.Matches(file, patterns). */
export function matches(file: string, patterns: readonly string[]): boolean {
  const pm = new PatternMatcher(patterns);
  file = goClean(file);
  if (file === '.') return false;
  return pm.matches(file);
}

// ---------------------------------------------------------------------------------------------------
// ignorefile.ReadAll

/** ignorefile.ReadAll: the patterns of a .dockerignore text, in order (exceptions keep their `!`). */
export function readIgnoreFile(text: string): string[] {
  const out: string[] = [];
  // bufio.ScanLines: split on \n, drop one trailing \r; a final line without newline still counts.
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith('\ufeff')) line = line.slice(1);
    if (line.startsWith('#')) return;
    let pattern = goTrimSpace(line);
    if (pattern === '') return;
    const invert = pattern[0] === '!';
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern[0] === '/') pattern = pattern.slice(1);
    }
    out.push(invert ? '!' + pattern : pattern);
  });
  return out;
}

/** A matcher for a .dockerignore text, as BuildKit builds it (ReadAll, then New). Throws like BuildKit would fail the build. */
export function dockerignoreMatcher(text: string): PatternMatcher {
  return new PatternMatcher(readIgnoreFile(text));
}

/**
 * MatchesUsingParentResults applied down a directory tree, the way fsutil's walkers call it: each path is
 * matched with its parent directory's match info, computed once per directory.
 */
export class TreeMatcher {
  private readonly dirInfo = new Map<string, boolean[]>();

  constructor(readonly pm: PatternMatcher) {}

  /** Whether `path` (slash-separated, relative, no `.`/`..`) is matched, reached by a walk from the root. */
  matches(path: string): boolean {
    const cut = path.lastIndexOf('/');
    return this.pm.matchesUsingParentResults(path, cut < 0 ? undefined : this.info(path.slice(0, cut))).matched;
  }

  private info(dir: string): boolean[] {
    let info = this.dirInfo.get(dir);
    if (!info) {
      const cut = dir.lastIndexOf('/');
      info = this.pm.matchesUsingParentResults(dir, cut < 0 ? undefined : this.info(dir.slice(0, cut))).info;
      this.dirInfo.set(dir, info);
    }
    return info;
  }
}

// fsutil filter.go: the characters that make an exception pattern more than a plain prefix (not on Windows: `\`).
const PATTERN_CHARS = /[*[\]?^\\]/;

/** fsutil's patternWithoutTrailingGlob. */
function withoutTrailingGlob(p: string): string {
  if (p.endsWith('/**')) p = p.slice(0, -3);
  if (p.endsWith('/*')) p = p.slice(0, -2);
  return p;
}

/**
 * Which of `files` (context-relative paths of regular files) are sent with these exclude patterns, walking the
 * directories the files imply the way the senders do — depth first, MatchesUsingParentResults with each
 * directory's match info — and taking their shortcut for an excluded directory:
 * - `buildkit`: fsutil's filterFS.Walk (filter.go), what BuildKit clients run to send the context: when every
 *   exception is a plain path (after dropping a trailing `/*` or `/**`), an excluded directory no exception lies
 *   below is skipped outright; otherwise it is walked;
 * - `legacy`: moby's pkg/archive TarWithOptions, how the Docker CLI tars the context for the legacy builder
 *   (DOCKER_BUILDKIT=0): an excluded directory is skipped unless an exception pattern, as written, starts with
 *   the directory's path — so `!a/*\/b` or `!**\/*.go` let nothing through below the first wildcard.
 * Throws BadPatternError where the walk would fail the build.
 */
export function walkSent(files: readonly string[], pm: PatternMatcher, sender: 'buildkit' | 'legacy' = 'buildkit'): string[] {
  // The directories the files imply, each with its entries (walk order does not change the result).
  const children = new Map<string, string[]>([['', []]]);
  for (const f of files) {
    let parent = '';
    for (let i = f.indexOf('/'); ; i = f.indexOf('/', i + 1)) {
      const self = i < 0 ? f : f.slice(0, i);
      if (i < 0) {
        children.get(parent)!.push(self);
        break;
      }
      if (!children.has(self)) {
        children.set(self, []);
        children.get(parent)!.push(self);
      }
      parent = self;
    }
  }
  const legacy = sender === 'legacy';
  const onlyPrefixExceptions = legacy || !pm.patterns.some((p) => p.exclusion && PATTERN_CHARS.test(withoutTrailingGlob(p.cleanedPattern)));
  const prefixes = pm.patterns.filter((p) => p.exclusion).map((p) => (legacy ? p.cleanedPattern : withoutTrailingGlob(p.cleanedPattern)) + '/');
  const sent: string[] = [];
  const visit = (dir: string, parentInfo: boolean[] | undefined): void => {
    for (const path of children.get(dir)!) {
      const isDir = children.has(path);
      const { matched, info } = pm.matchesUsingParentResults(path, parentInfo);
      if (matched && isDir && onlyPrefixExceptions) {
        if (!pm.exclusions) continue; // SkipDir
        const dirSlash = path + '/';
        if (!prefixes.some((p) => p.startsWith(dirSlash))) continue;
      }
      if (isDir) visit(path, info);
      else if (!matched) sent.push(path);
    }
  };
  visit('', undefined);
  return sent;
}

/**
 * Which of `files` MatchesOrParentMatches lets through, per file (its "a parent matches" part computed once per
 * directory): the documented semantics.
 */
export function documentedSent(files: readonly string[], pm: PatternMatcher): string[] {
  const n = pm.patterns.length;
  // For each directory: does pattern i match it or one of its parents (errors count as no match, as in Go)?
  const below = new Map<string, boolean[]>();
  const dirMatches = (dir: string): boolean[] => {
    let m = below.get(dir);
    if (!m) {
      const cut = dir.lastIndexOf('/');
      const up = cut < 0 ? undefined : dirMatches(dir.slice(0, cut));
      m = pm.patterns.map((p, i) => (up !== undefined && up[i]!) || safeMatch(p, dir));
      below.set(dir, m);
    }
    return m;
  };
  return files.filter((file) => {
    const cut = file.lastIndexOf('/');
    const parents = cut < 0 ? undefined : dirMatches(file.slice(0, cut));
    let matched = false;
    for (let i = 0; i < n; i++) {
      const p = pm.patterns[i]!;
      if (p.exclusion !== matched) continue;
      const match = p.match(file) || (parents !== undefined && parents[i]!);
      if (match) matched = !p.exclusion;
    }
    return !matched;
  });
}

/**
 * Which matching decides what is sent: `buildkit` (fsutil's walker, what BuildKit sends), `legacy` (the Docker
 * CLI's tar for the legacy builder) or `documented` — MatchesOrParentMatches, the rule the documentation
 * states (a pattern matching a directory covers everything below it), which BuildKit's own checks use.
 */
export type IgnoreSemantics = 'buildkit' | 'legacy' | 'documented';

/** Which of `files` (context-relative paths of regular files) a build sends under this .dockerignore text. */
export function sentFiles(files: readonly string[], ignoreText: string | undefined, semantics: IgnoreSemantics = 'buildkit'): string[] {
  if (ignoreText === undefined) return files.slice();
  const pm = dockerignoreMatcher(ignoreText);
  if (semantics === 'documented') return documentedSent(files, pm);
  const sent = new Set(walkSent(files, pm, semantics));
  return files.filter((f) => sent.has(f));
}
