// argv → options → runner → reporter → exit status. Kept thin; everything heavy is imported lazily so that
// `--version` and a one-file run start fast.

import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import type { RunResult } from './types.js';

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
    const { resolveTransforms } = await import('./transform/load.js');
    const transforms = await resolveTransforms(args.transform, io.cwd);
    const { run } = await import('./runner/run.js');
    const result = await run({
      paths: args.paths,
      cwd: io.cwd,
      transforms,
      transformOptions: args.transformOptions,
      write: args.write,
      verify: args.verify,
      timeLimitMs: args.timeLimit * 1000,
      jobs: args.jobs ?? 'auto',
    });
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
