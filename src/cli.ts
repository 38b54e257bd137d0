// argv → options → runner → reporter → exit status. Kept thin; everything heavy is imported lazily so that
// `--version` and a one-file run start fast.

import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import type { Outcome, RunResult } from './types.js';

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
    const progress = !args.quiet && io.stderr.isTTY ? progressLine(io) : undefined;
    const options: Parameters<typeof run>[0] = {
      paths: args.paths,
      cwd: io.cwd,
      transforms,
      transformOptions: { ...config?.config.options, ...args.transformOptions },
      write: args.write,
      verify: args.verify,
      timeLimitMs: args.timeLimit * 1000,
      jobs: args.jobs ?? 'auto',
    };
    if (config) options.config = config;
    if (progress) options.onFile = progress.update;
    const result = await run(options);
    progress?.clear();
    for (const w of result.warnings ?? []) if (!args.quiet) io.stderr.write(`${w}\n`);
    const { formatResult, summaryLine } = await import('./report/index.js');
    const out = formatResult(args.format, result, { color: args.format === 'diff' && useColor(args.color, io), toolVersion: version() });
    if (out) io.stdout.write(out);
    reportProblems(result, args.quiet, io);
    if (!args.quiet && args.format !== 'summary') io.stderr.write(summaryLine(result) + '\n');
    if (result.totals.errors > 0) return 2;
    if (args.check && (result.totals.changed > 0 || result.totals.created > 0)) return 1;
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      errLine(`${e.message}\nRun dockshift --help for usage.`);
      return 2;
    }
    errLine(`internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 2;
  }
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
    },
  };
}

/** Errors are always named on stderr; warnings, refusals and notes too unless --quiet (nothing is silent). */
function reportProblems(result: RunResult, quiet: boolean, io: CliIO): void {
  for (const o of result.outcomes) {
    for (const m of o.messages) {
      if (quiet && m.level !== 'error') continue;
      const where = m.line ? `${o.path}:${m.line}` : o.path;
      const who = m.transform ? ` [${m.transform}]` : '';
      const level = m.level === 'info' ? 'note' : m.level;
      io.stderr.write(`${where}: ${level}: ${m.message}${who}\n`);
    }
  }
}
