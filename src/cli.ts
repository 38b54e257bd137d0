// argv → options → runner → reporter → exit status. Kept thin; everything heavy is imported lazily so that
// `--version` and a one-file run start fast.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NeedsFullBundle, UsageError } from './errors.js';
import type { Outcome } from './types.js';

export interface CliIO {
  argv: string[];
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function useColor(flag: boolean | undefined, io: CliIO): boolean {
  if (flag !== undefined) return flag;
  if (io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return !!io.stdout.isTTY;
}

/** Returns the exit status. */
export async function main(io: CliIO): Promise<number> {
  const errLine = (s: string) => io.stderr.write(`dockshift: ${s}\n`);
  try {
    if (io.argv.includes('--version')) {
      io.stdout.write(version() + '\n');
      return 0;
    }
    const { parseArgs, helpText } = await import('./cli/options.js');
    const args = await parseArgs(io.argv);
    if (args.help) {
      io.stdout.write((await helpText()) + '\n');
      return 0;
    }
    if (args.list) {
      const { listTransforms } = await import('./cli/list.js');
      io.stdout.write(await listTransforms(args.format === 'json'));
      return 0;
    }
    const { loadConfig, configTransforms } = await import('./config.js');
    const config = await loadConfig(io.cwd, args.config);
    const { resolveTransforms } = await import('./transform/load.js');
    const transforms = await resolveTransforms(args.transform ?? (config && configTransforms(config)), io.cwd);
    const { run } = await import('./runner/run.js');
    // Only the reporter of the chosen format is loaded.
    const { openReportStream } = await import('./report/open.js');
    const { summaryLine } = await import('./report/summary.js');
    const stream = await openReportStream(args.format, args.format === 'sarif' ? { toolVersion: version() } : { color: args.format === 'diff' && useColor(args.color, io) });
    const progress = !args.quiet && io.stderr.isTTY ? progressLine(io) : undefined;
    const out = outputTo(io.stdout);
    const templates = new TemplateHint();
    const say = (line: string) => {
      progress?.clear();
      io.stderr.write(line + '\n');
    };
    const options: Parameters<typeof run>[0] = {
      paths: args.paths,
      cwd: io.cwd,
      transforms,
      transformOptions: { ...config?.config.options, ...args.transformOptions },
      write: args.write,
      verify: args.verify,
      timeLimitMs: args.timeLimit * 1000,
      jobs: args.jobs ?? 'auto',
      // Each file is printed as soon as it (and every file before it) is done, and then forgotten.
      keep: 'none',
      onWarning: (w) => {
        if (!args.quiet) say(w);
      },
      onOutcome: async (o) => {
        const text = stream.add(o);
        if (text) {
          // The progress line shares the terminal with a diff on it.
          if (io.stdout.isTTY) progress?.clear();
          await out(text);
        }
        for (const line of problemLines(o, args.quiet)) say(line);
        templates.see(o);
      },
    };
    if (config) options.config = config;
    if (progress) options.onFile = progress.update;
    const result = await run(options);
    progress?.clear();
    const tail = stream.end(result);
    if (tail) await out(tail);
    if (!args.quiet) {
      const hint = templates.hint(io.cwd, config?.file);
      if (hint) io.stderr.write(hint + '\n');
    }
    if (!args.quiet && args.format !== 'summary') io.stderr.write(summaryLine(result) + '\n');
    if (result.totals.errors > 0) return 2;
    if (args.check && (result.totals.changed > 0 || result.totals.created > 0)) return 1;
    return 0;
  } catch (e) {
    if (e instanceof NeedsFullBundle) throw e; // for bin/dockshift.js: nothing has been printed yet
    if (e instanceof UsageError) {
      errLine(`${e.message}\nRun dockshift --help for usage.`);
      return 2;
    }
    errLine(`internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 2;
  }
}

/**
 * stdout as the run writes to it: waits when its buffer is full (a slow reader), so that output does not pile up
 * in memory; and once the reader has gone (`dockshift | head`: EPIPE), the rest is dropped quietly and the run
 * still finishes, so that --write and the exit status mean what they always mean.
 */
function outputTo(stream: NodeJS.WritableStream): (text: string) => Promise<void> | undefined {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
  });
  return (text) => {
    if (closed || stream.write(text)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('error', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('error', done);
      stream.on('close', done);
    });
  };
}

/** A progress line on a terminal, for runs of more than a handful of files; redrawn at most every 100 ms. */
function progressLine(io: CliIO): { update: (o: Outcome, done: number, total: number) => void; clear: () => void } {
  let last = 0;
  let shown = false;
  let changed = 0;
  let errors = 0;
  return {
    update(o, done, total) {
      if (o.status === 'changed') changed++;
      if (o.status === 'error') errors++;
      const now = Date.now();
      if (total <= 5 || (now - last < 100 && done < total)) return;
      last = now;
      shown = true;
      io.stderr.write(`\r\x1b[Kdockshift: ${done}/${total} files, ${changed} changed, ${errors} errors`);
    },
    clear() {
      if (shown) io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Errors are always named on stderr; warnings, refusals and notes too unless --quiet (nothing is silent). */
function problemLines(o: Outcome, quiet: boolean): string[] {
  const lines: string[] = [];
  for (const m of o.messages) {
    if (quiet && m.level !== 'error') continue;
    const where = m.line ? `${o.path}:${m.line}` : o.path;
    const who = m.transform ? ` [${m.transform}]` : '';
    const level = m.level === 'info' ? 'note' : m.level;
    lines.push(`${where}: ${level}: ${m.message}${who}`);
  }
  return lines;
}

/**
 * Files that fail because they are templates (Go/Helm `{{ }}`, Jinja `{% %}`, ERB `<% %>`, `${…}`) are common in
 * repositories that generate their Dockerfiles; one line at the end says how to leave them out for good.
 */
export class TemplateHint {
  private count = 0;
  private readonly first: string[] = [];
  /** Directories of every template seen, as a common prefix (path segments). */
  private common: string[] | undefined;

  see(o: Outcome): void {
    if (o.status !== 'error' || !o.messages.some((m) => m.level === 'error' && isTemplateError(m.message))) return;
    this.count++;
    if (this.first.length < 3) this.first.push(o.path);
    const dir = o.path.split('/').slice(0, -1);
    if (this.common === undefined) this.common = dir;
    else {
      let n = 0;
      while (n < this.common.length && n < dir.length && this.common[n] === dir[n]) n++;
      this.common.length = n;
    }
  }

  /** The line, or undefined when no template failed. Paths in `ignore` are relative to the config file's directory. */
  hint(cwd: string, configFile?: string): string | undefined {
    if (this.count === 0) return undefined;
    const configDir = configFile ? path.dirname(configFile) : cwd;
    const rel = (p: string) => {
      const r = path.relative(configDir, path.resolve(cwd, p)).split(path.sep).join('/');
      return r.startsWith('../') ? p : r;
    };
    const examples = this.count <= this.first.length || !this.common?.length ? this.first.map(rel) : [`${rel(this.common.join('/'))}/**`];
    const what = this.count === 1 ? '1 file looks like a template ({{ … }}), not a Dockerfile' : `${this.count} files look like templates ({{ … }}), not Dockerfiles`;
    const where = !configFile ? 'dockshift.config.json' : path.basename(configFile) === 'package.json' ? 'the "dockshift" key of package.json' : path.relative(cwd, configFile).split(path.sep).join('/');
    return `dockshift: ${what}; leave templates out with "ignore" in ${where}, e.g. "ignore": ${JSON.stringify(examples)}`;
  }
}

function isTemplateError(message: string): boolean {
  return /looks like a template|unknown instruction: (\{\{|\{%|<%|\$\{)/.test(message);
}
