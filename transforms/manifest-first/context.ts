// What the build context really holds, as BuildKit would send it: the listing filtered by `.dockerignore`
// (moby/patternmatcher semantics, through the shared port in src/context/dockerignore.ts).

import { dockerignoreMatcher } from '../../src/context/dockerignore.js';
import type { PatternMatcher } from '../../src/context/dockerignore.js';
import type { BuildContext } from '../../src/types.js';

/** A refusal: the rewrite could change the build, so the copy/install pair is left alone with this reason. */
export class Refuse extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Refuse';
  }
}

/** Go's filepath.Clean for a relative, slash-separated path. */
export function cleanPath(p: string): string {
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const s = out.join('/');
  return rooted ? '/' + s : s || '.';
}

export interface IgnoreRules {
  /** The file the rules came from, or undefined when there is none. */
  file?: string;
  matcher?: PatternMatcher;
  /** Set when the file is one BuildKit itself would reject: every question then refuses with this reason. */
  invalid?: string;
}

/** The .dockerignore as BuildKit reads it (the shared moby/patternmatcher port). */
export function parseIgnore(text: string, file: string): IgnoreRules {
  try {
    return { file, matcher: dockerignoreMatcher(text) };
  } catch (e) {
    return { file, invalid: `${file} has a pattern BuildKit rejects (${(e as Error).message})` };
  }
}

/** MatchesOrParentMatches: is the context file `rel` excluded from the build context? */
export function isIgnored(rules: IgnoreRules, rel: string): boolean {
  if (rules.invalid) throw new Refuse(rules.invalid);
  return rules.matcher?.matchesOrParentMatches(rel) ?? false;
}

/** The build context as the build sees it. */
export class ContextView {
  private files?: Set<string>;
  private sorted?: string[];
  private rules?: IgnoreRules;

  constructor(readonly ctx: BuildContext) {}

  private includedFiles?: string[];

  private all(): string[] {
    if (!this.sorted) {
      this.sorted = this.ctx.list();
      this.files = new Set(this.sorted);
    }
    return this.sorted;
  }

  ignore(): IgnoreRules {
    if (this.rules) return this.rules;
    // BuildKit prefers `<Dockerfile>.dockerignore` next to the Dockerfile over the context's `.dockerignore`.
    const specific = this.ctx.dockerfile && !this.ctx.dockerfile.startsWith('../') ? `${this.ctx.dockerfile}.dockerignore` : undefined;
    for (const name of [specific, '.dockerignore']) {
      if (!name || !this.isFile(name)) continue;
      const text = this.ctx.read(name);
      if (text === undefined) continue;
      return (this.rules = parseIgnore(text, name));
    }
    return (this.rules = {});
  }

  /** A regular file in the context directory (before .dockerignore). */
  isFile(rel: string): boolean {
    this.all();
    return this.ctx.exists(rel) && this.files!.has(rel);
  }

  /** A regular file that the build context really contains (present and not excluded by .dockerignore). */
  has(rel: string): boolean {
    return this.isFile(rel) && !isIgnored(this.ignore(), rel);
  }

  /** The file's text when the build context contains it. */
  read(rel: string): string | undefined {
    return this.has(rel) ? this.ctx.read(rel) : undefined;
  }

  /** Files the build context contains under directory `dir` (`''` = everything). */
  filesUnder(dir: string): string[] {
    const prefix = dir === '' ? '' : dir.replace(/\/$/, '') + '/';
    return this.list().filter((f) => f.startsWith(prefix));
  }

  /** Files the build context contains whose path matches the glob (BuildContext.list semantics). */
  glob(pattern: string): string[] {
    return this.ctx.list(pattern).filter((f) => this.has(f));
  }

  /** Every file the build context contains. */
  list(): string[] {
    return (this.includedFiles ??= this.all().filter((f) => !isIgnored(this.ignore(), f)));
  }

  /** The manifest `rel` must be in the build context: refuses when it is missing or excluded. */
  require(rel: string): string {
    if (!this.isFile(rel)) throw new Refuse(`${rel} is not in the build context`);
    if (isIgnored(this.ignore(), rel)) throw new Refuse(`${this.ignore().file} excludes ${rel}, which the install needs`);
    return rel;
  }

  /**
   * The install writes into `dirs` (relative to the project directory): when the build context holds files there,
   * the whole-context COPY after the install would overwrite what the install wrote, so refuse.
   */
  checkOutputs(dirs: string[], what: string): void {
    for (const d of dirs) {
      const present = d.endsWith('/') ? this.filesUnder(d) : this.has(d) ? [d] : [];
      if (present.length) {
        throw new Refuse(`the build context contains ${d}${d.endsWith('/') ? ` (e.g. ${present[0]})` : ''}, which ${what} writes; the whole copy after the install would overwrite it — exclude it in .dockerignore`);
      }
    }
  }

  /** Directories anywhere in the context named like one of `names` that hold context files (e.g. node_modules). */
  nestedDirs(names: string[]): string[] {
    const out = new Set<string>();
    for (const f of this.list()) {
      const parts = f.split('/');
      for (let i = 0; i < parts.length - 1; i++) if (names.includes(parts[i]!)) out.add(parts.slice(0, i + 1).join('/') + '/');
    }
    return [...out].sort();
  }
}
