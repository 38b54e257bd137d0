// discover: command-line paths → the sorted list of Dockerfiles to process. A pure function of the file
// tree (and of git's view of it); nothing is read or parsed here.
//
// Rules (see CONTRACT.md, "Command line"):
// - No paths means `.`. A path that names a file (or a symlink to one) is always processed, whatever its
//   name and whatever .gitignore says.
// - A directory is searched recursively for files whose name `isDockerfileName` accepts.
// - `.git` and `node_modules` directories are always skipped.
// - Inside a git work tree, the file list comes from `git ls-files -co --exclude-standard -z`, run once per
//   repository root from that root: tracked files plus untracked files that are not ignored (so .gitignore at
//   every level, .git/info/exclude and the global excludes file are honoured). Tracked files deleted from
//   the work tree are dropped. Untracked nested repositories (listed by git as `dir/`) are searched as
//   repositories of their own; submodules are not entered (as git does by default): name a submodule's
//   directory explicitly to process it.
// - Outside git (or when git is missing or fails), the tree is walked and every `.gitignore` on the way is
//   honoured, patterns relative to its own directory, deeper files overriding shallower ones, as git does.
//   A directory containing `.git` met during the walk is handled as a repository (with git, if it works).
//   .gitignore files above the walked directory are honoured too, up to the current directory (when the
//   directory is inside it), so `dockshift sub` finds the same files under `sub` as `dockshift .`.
// - Symlinks: the walk never enters a symlinked directory and skips symlinked files silently (so does the
//   git listing: a file git lists that is a symlink is skipped). A symlink named explicitly is followed.
// - An explicit directory that is itself ignored yields nothing (its files are ignored).
// - Paths are reported relative to `cwd` with `/` separators, sorted by plain code-unit order, deduplicated.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore } from 'ignore';

// `ignore` is loaded on first use only: inside git repositories (the usual case) it is never needed.
type IgnoreFactory = (options?: { ignorecase?: boolean }) => Ignore;
let ignoreFactory: IgnoreFactory | undefined;
function newIgnore(): Ignore {
  ignoreFactory ??= createRequire(import.meta.url)('ignore') as IgnoreFactory;
  return ignoreFactory({ ignorecase: IGNORE_CASE });
}

export interface DiscoveredFile {
  abs: string;
  /** Relative to cwd, `/` separators, no `./` prefix. */
  rel: string;
}

export interface DiscoverError {
  /** The path as given on the command line. */
  path: string;
  error: string;
}

export interface DiscoverResult {
  files: DiscoveredFile[];
  errors: DiscoverError[];
}

/**
 * Extensions (lower-cased, last one only) that mark a `Dockerfile.*` / `Containerfile.*` file as something
 * other than a Dockerfile: docs, data and config, scripts and code, patches, backups and editor leftovers,
 * archives and images, checksums and signatures, and templates whose control syntax (`{% if %}`, `<% %>`,
 * `{{ if }}`) is not Dockerfile syntax. Files named `*~` (editor backups) are excluded as well. Names like
 * `Dockerfile.dev`, `Dockerfile.alpine`, `Dockerfile.arm64` or `Dockerfile.test` are Dockerfiles.
 * Any of these can still be processed by naming the file explicitly.
 */
export const EXCLUDED_EXTENSIONS: ReadonlySet<string> = new Set([
  // Docker's own non-Dockerfiles
  'dockerignore', 'hcl',
  // documentation and text
  'md', 'markdown', 'mdx', 'txt', 'text', 'rst', 'adoc', 'asciidoc', 'org', 'html', 'htm', 'pdf', 'log',
  // data and configuration
  'json', 'jsonc', 'json5', 'yml', 'yaml', 'toml', 'ini', 'cfg', 'conf', 'xml', 'csv', 'tsv', 'env',
  'properties', 'lock', 'sum', 'mod',
  // scripts and code
  'sh', 'bash', 'zsh', 'fish', 'ps1', 'psm1', 'bat', 'cmd', 'py', 'pyc', 'rb', 'pl', 'js', 'mjs', 'cjs', 'ts',
  'go', 'rs', 'java', 'c', 'h', 'mk', 'make', 'nix', 'awk', 'sed', 'sql',
  // test snapshots (golden outputs, not inputs)
  'expected', 'actual', 'golden', 'snap',
  // patches
  'patch', 'diff', 'orig', 'rej',
  // backups, swap and temp files, package-manager leftovers
  'bak', 'backup', 'old', 'save', 'sav', 'swp', 'swo', 'tmp', 'temp', 'dpkg-old', 'dpkg-new', 'dpkg-dist',
  'rpmnew', 'rpmsave', 'ucf-old', 'ucf-dist',
  // templates whose syntax is not Dockerfile syntax
  'j2', 'jinja', 'jinja2', 'tpl', 'tmpl', 'template', 'gotmpl', 'erb', 'ejs', 'mustache', 'hbs', 'handlebars',
  'liquid', 'njk', 'in', 'm4',
  // archives, images, checksums and signatures
  'gz', 'tgz', 'zip', 'tar', 'xz', 'bz2', 'zst', '7z', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'ico', 'webp',
  'sig', 'asc', 'gpg', 'pem', 'sha1', 'sha256', 'sha512', 'md5',
]);

/**
 * True for `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*` and `Containerfile.*` (all
 * case-insensitive), except names ending in an excluded extension or in `~`.
 */
export function isDockerfileName(base: string): boolean {
  const lower = base.toLowerCase();
  if (lower === 'dockerfile' || lower === 'containerfile') return true;
  if (lower.endsWith('~')) return false;
  // `x.Dockerfile`; a bare `.dockerfile` (no stem) is a hidden file, not a Dockerfile.
  if (lower.endsWith('.dockerfile') && lower.length > '.dockerfile'.length) return true;
  if (lower.startsWith('dockerfile.') || lower.startsWith('containerfile.')) {
    const ext = lower.slice(lower.lastIndexOf('.') + 1);
    // `Dockerfile.2914851370`: a temporary file of an atomic write (write-file-atomic) interrupted by a kill.
    if (/^\d{6,}$/.test(ext)) return false;
    return !EXCLUDED_EXTENSIONS.has(ext);
  }
  return false;
}

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
/** Git's default for core.ignorecase: true on the usual case-insensitive file systems. */
const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

export function discover(paths: string[], cwd: string): DiscoverResult {
  const d = new Discovery(cwd);
  for (const p of paths.length ? paths : ['.']) d.addPath(p);
  const files = [...d.found.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, errors: d.errors };
}

class Discovery {
  readonly found = new Map<string, DiscoveredFile>();
  readonly errors: DiscoverError[] = [];
  /** Per repository root: the git listing, or null when git failed there. */
  private readonly gitListings = new Map<string, string[] | null>();
  /** Directories already searched, so that overlapping PATH arguments do not repeat work. */
  private readonly searched = new Set<string>();
  private gitMissing = false;
  /** Parsed .gitignore per directory (null when there is none). */
  private readonly ignoreFiles = new Map<string, Ignore | null>();

  constructor(private readonly cwd: string) {}

  addPath(p: string): void {
    const abs = path.resolve(this.cwd, p);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (err) {
      this.errors.push({ path: p, error: fsError(err) });
      return;
    }
    if (st.isSymbolicLink()) {
      try {
        st = fs.statSync(abs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        this.errors.push({
          path: p,
          error: code === 'ENOENT' ? 'no such file or directory (broken symbolic link)' : fsError(err),
        });
        return;
      }
    }
    if (st.isDirectory()) this.searchDir(abs);
    else this.add(abs); // named explicitly: always processed (read reports what is wrong with it)
  }

  private add(abs: string): void {
    const rel = toRel(this.cwd, abs);
    if (!this.found.has(rel)) this.found.set(rel, { abs, rel });
  }

  /** Search a directory (named explicitly, or a nested repository met on the way). */
  private searchDir(dir: string): void {
    if (this.searched.has(dir)) return;
    this.searched.add(dir);
    const root = findRepoRoot(dir);
    if (root !== undefined) {
      const listing = this.gitListing(root);
      if (listing) {
        this.fromListing(root, listing, dir);
        return;
      }
      // git failed: walk, with the .gitignore files from the repository root down.
      this.walk(dir, this.ignoreLayers(root, dir));
      return;
    }
    const top = isInside(this.cwd, dir) ? this.cwd : dir;
    this.walk(dir, this.ignoreLayers(top, dir));
  }

  private gitListing(root: string): string[] | null {
    let listing = this.gitListings.get(root);
    if (listing !== undefined) return listing;
    listing = this.gitMissing ? null : this.runGit(root);
    this.gitListings.set(root, listing);
    return listing;
  }

  private runGit(root: string): string[] | null {
    const env = { ...process.env };
    // Hooks and wrappers may point git elsewhere; the repository is the one at `root`, nothing else.
    for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX']) delete env[k];
    // Loaded here: child_process costs a one-file run (`dockshift Dockerfile`, a pre-commit hook) ~7 ms it never uses.
    const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const r = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
      cwd: root,
      env,
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'ignore'],
      windowsHide: true,
    });
    if (r.error) {
      if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') this.gitMissing = true;
      return null;
    }
    if (r.status !== 0 || !r.stdout) return null;
    const out = r.stdout.toString('utf8');
    const entries = out.split('\0');
    if (entries[entries.length - 1] === '') entries.pop();
    return entries;
  }

  /** Use a repository's git listing for the part of it under `dir`. */
  private fromListing(root: string, listing: string[], dir: string): void {
    const prefix = dir === root ? '' : toPosix(path.relative(root, dir)) + '/';
    for (const entry of listing) {
      if (prefix && !entry.startsWith(prefix)) continue;
      if (entry.endsWith('/')) {
        // An untracked nested repository: git does not look inside; search it as a repository of its own.
        if (!hasSkippedSegment(entry, prefix.length)) this.searchDir(path.join(root, entry.slice(0, -1)));
        continue;
      }
      const base = entry.slice(entry.lastIndexOf('/') + 1);
      if (!isDockerfileName(base) || hasSkippedSegment(entry, prefix.length)) continue;
      const abs = path.join(root, entry);
      // git lists symlinks, and tracked files that were deleted from the work tree: keep regular files only.
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch {
        continue;
      }
      if (st.isFile()) this.add(abs);
    }
  }

  /** The .gitignore files from `top` down to `dir` (inclusive), outermost first. */
  private ignoreLayers(top: string, dir: string): IgnoreLayer[] {
    const chain: string[] = [];
    for (let d = dir; ; d = path.dirname(d)) {
      chain.push(d);
      if (d === top || path.dirname(d) === d) break;
    }
    const layers: IgnoreLayer[] = [];
    for (let i = chain.length - 1; i >= 0; i--) {
      const d = chain[i]!;
      // A directory on the way down that its parents' rules ignore hides everything below it.
      if (i < chain.length - 1 && layers.length && isIgnored(layers, d, true)) return [{ dir: d, ig: 'all' }];
      const ig = this.loadIgnore(d);
      if (ig) layers.push({ dir: d, ig });
    }
    return layers;
  }

  private loadIgnore(dir: string): Ignore | null {
    let ig = this.ignoreFiles.get(dir);
    if (ig !== undefined) return ig;
    ig = null;
    try {
      const text = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
      ig = newIgnore().add(text);
    } catch {
      /* no .gitignore (or unreadable): no rules */
    }
    this.ignoreFiles.set(dir, ig);
    return ig;
  }

  private walk(dir: string, layers: IgnoreLayer[]): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      this.errors.push({ path: toRel(this.cwd, dir) || '.', error: `cannot search directory: ${fsError(err)}` });
      return;
    }
    for (const e of entries) {
      const name = e.name;
      if (e.isDirectory()) {
        if (SKIPPED_DIRS.has(name)) continue;
        const sub = path.join(dir, name);
        if (layers.length && isIgnored(layers, sub, true)) continue;
        if (fs.existsSync(path.join(sub, '.git'))) {
          // A repository of its own: its ignore rules do not inherit ours.
          this.searchDir(sub);
          continue;
        }
        const ig = this.loadIgnore(sub);
        this.walk(sub, ig ? [...layers, { dir: sub, ig }] : layers);
      } else if (e.isFile()) {
        // Symlinks (to files or directories) are neither: skipped silently.
        if (!isDockerfileName(name)) continue;
        const file = path.join(dir, name);
        if (layers.length && isIgnored(layers, file, false)) continue;
        this.add(file);
      }
    }
  }
}

interface IgnoreLayer {
  dir: string;
  /** `all`: everything below `dir` is ignored (an ancestor of the walked directory is itself ignored). */
  ig: Ignore | 'all';
}

/** Git's rule: the last matching pattern wins, deeper .gitignore files after shallower ones. */
function isIgnored(layers: IgnoreLayer[], abs: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { dir, ig } of layers) {
    if (abs === dir) continue;
    if (ig === 'all') {
      ignored = true;
      continue;
    }
    let rel = path.relative(dir, abs);
    if (path.sep !== '/') rel = rel.split(path.sep).join('/');
    if (isDir) rel += '/';
    const r = ig.test(rel);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

function findRepoRoot(dir: string): string | undefined {
  for (let d = dir; ; ) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

/** True when a path segment (from `from` on) is `.git` or `node_modules`. */
function hasSkippedSegment(entry: string, from: number): boolean {
  let start = from;
  while (start < entry.length) {
    let end = entry.indexOf('/', start);
    if (end === -1) end = entry.length;
    const len = end - start;
    if (
      (len === 4 && entry.startsWith('.git', start)) ||
      (len === 12 && entry.startsWith('node_modules', start))
    ) {
      return end < entry.length; // only directories: a file named `.git` is not a directory to skip
    }
    start = end + 1;
  }
  return false;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

function toRel(cwd: string, abs: string): string {
  return toPosix(path.relative(cwd, abs));
}

function fsError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory (a parent in the path is a file)';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
