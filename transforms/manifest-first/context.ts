// What the build context really holds, as BuildKit would send it: the listing filtered by `.dockerignore`
// through the shared port in src/context/dockerignore.ts — `sentFiles` (what BuildKit's context walker sends),
// cross-checked with MatchesOrParentMatches (the documented rule). Where the two disagree about a file this
// transform asks about, it refuses: which files the build sees would depend on the builder.

import { cleanPath } from '../../src/dockerfile/paths.js';
import { dockerignoreMatcher, sentFiles } from '../../src/context/dockerignore.js';
import type { PatternMatcher } from '../../src/context/dockerignore.js';
import type { BuildContext } from '../../src/types.js';

/** A refusal: the rewrite could change the build, so the copy/install pair is left alone with this reason. */
export class Refuse extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Refuse';
  }
}

/** Go's filepath.Clean for a slash-separated path (the shared implementation). */
export { cleanPath };

export interface IgnoreRules {
  /** The file the rules came from, or undefined when there is none. */
  file?: string;
  matcher?: PatternMatcher;
  /** Set when the file is one BuildKit itself would reject: every question then refuses with this reason. */
  invalid?: string;
  /** The file's text. */
  text?: string;
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
  private includedFiles?: string[];
  private included?: Set<string>;
  /** Files that BuildKit's walker and the documented matching do not agree on. */
  private unclear?: Set<string>;

  constructor(readonly ctx: BuildContext) {}

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
      const rules = parseIgnore(text, name);
      if (!rules.invalid) rules.text = text;
      return (this.rules = rules);
    }
    return (this.rules = {});
  }

  /** The files sent (in the walker's and the documented sense), computed once. */
  private sent(): Set<string> {
    if (this.included) return this.included;
    const rules = this.ignore();
    if (rules.invalid) throw new Refuse(rules.invalid);
    const all = this.all();
    if (rules.text === undefined) {
      this.unclear = new Set();
      return (this.included = new Set(all));
    }
    let walked: Set<string>;
    try {
      walked = new Set(sentFiles(all, rules.text));
    } catch (e) {
      throw new Refuse(`${rules.file} has a pattern BuildKit rejects (${(e as Error).message})`);
    }
    const documented = all.filter((f) => !isIgnored(rules, f));
    this.unclear = new Set([...documented.filter((f) => !walked.has(f)), ...all.filter((f) => walked.has(f) && isIgnored(rules, f))]);
    return (this.included = new Set(documented.filter((f) => walked.has(f))));
  }

  private clear(rel: string): void {
    this.sent();
    if (this.unclear!.has(rel)) {
      throw new Refuse(`${this.ignore().file} sends ${rel} under one reading of its exceptions and not under the other (BuildKit's context walker vs. the documented matching), so whether the build has it depends on the builder`);
    }
  }

  /** A regular file in the context directory (before .dockerignore). */
  isFile(rel: string): boolean {
    this.all();
    return this.ctx.exists(rel) && this.files!.has(rel);
  }

  /** A regular file that the build context really contains (present and not excluded by .dockerignore). */
  has(rel: string): boolean {
    if (!this.isFile(rel)) return false;
    this.clear(rel);
    return this.sent().has(rel);
  }

  /** The file's text when the build context contains it. */
  read(rel: string): string | undefined {
    return this.has(rel) ? this.ctx.read(rel) : undefined;
  }

  /** Files the build context contains under directory `dir` (`''` = everything). */
  filesUnder(dir: string): string[] {
    const prefix = dir === '' ? '' : dir.replace(/\/$/, '') + '/';
    return this.list((f) => f.startsWith(prefix));
  }

  /** Files the build context contains whose path matches the glob (BuildContext.list semantics). */
  glob(pattern: string): string[] {
    return this.ctx.list(pattern).filter((f) => this.has(f));
  }

  /** Every file the build context contains (that `filter` accepts); refuses when one of those is unclear. */
  list(filter?: (rel: string) => boolean): string[] {
    const sent = this.sent();
    this.includedFiles ??= this.all().filter((f) => sent.has(f));
    if (!filter) {
      const first = [...this.unclear!][0];
      if (first !== undefined) this.clear(first);
      return this.includedFiles;
    }
    for (const f of this.unclear!) if (filter(f)) this.clear(f);
    return this.includedFiles.filter(filter);
  }

  /** The manifest `rel` must be in the build context: refuses when it is missing or excluded. */
  require(rel: string): string {
    if (!this.isFile(rel)) throw new Refuse(`${rel} is not in the build context`);
    if (!this.has(rel)) throw new Refuse(`${this.ignore().file} excludes ${rel}, which the install needs`);
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
    for (const f of this.list((x) => x.split('/').slice(0, -1).some((seg) => names.includes(seg)))) {
      const parts = f.split('/');
      for (let i = 0; i < parts.length - 1; i++) if (names.includes(parts[i]!)) out.add(parts.slice(0, i + 1).join('/') + '/');
    }
    return [...out].sort();
  }
}
