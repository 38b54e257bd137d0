// The command line, as data: one table that both the fast parser (Node's util.parseArgs) and the help screen (yargs,
// loaded only for --help) are built from, so they cannot drift apart.

import { parseArgs as nodeParseArgs } from 'node:util';
import { UsageError } from '../errors.js';

export interface OptionSpec {
  name: string;
  alias?: string;
  type: 'boolean' | 'string' | 'number' | 'array';
  description: string;
  default?: unknown;
  choices?: readonly string[];
}

export const FORMAT_CHOICES = ['diff', 'json', 'markdown', 'sarif', 'summary', 'none'] as const;

export const OPTIONS: OptionSpec[] = [
  { name: 'transform', alias: 't', type: 'array', description: 'Built-in transform name or path to a transform module (.js, .mjs, .cjs, .ts); repeatable or comma-separated; runs in the order given' },
  { name: 'write', alias: 'w', type: 'boolean', description: 'Apply the changes in place (atomically)' },
  { name: 'check', type: 'boolean', description: 'Write nothing; exit 1 when any file would change' },
  { name: 'format', type: 'string', default: 'diff', choices: FORMAT_CHOICES, description: 'Report on stdout' },
  { name: 'verify', type: 'boolean', default: true, description: 'Guard every change: re-parse it and demand that a second pass changes nothing (--no-verify: benchmarks only)' },
  { name: 'list', type: 'boolean', description: 'List the built-in transforms (with --format json: as JSON)' },
  { name: 'list-transforms', type: 'boolean', description: 'Same as --list' },
  { name: 'config', type: 'string', description: 'Config file (default: the nearest dockshift.config.json, dockshift.config.mjs or package.json "dockshift" key, upwards from the current directory)' },
  { name: 'quiet', alias: 'q', type: 'boolean', description: 'No summary line or warnings on stderr (errors are still named)' },
  { name: 'color', type: 'boolean', description: 'Color the diff (default: when stdout is a terminal; NO_COLOR and FORCE_COLOR are honoured)' },
  { name: 'jobs', alias: 'j', type: 'number', description: 'Worker threads (default: 1 below 4 cores, else one per 1000 files, at most 4; custom transforms always run in a worker under the time limit)' },
  { name: 'time-limit', type: 'number', default: 10, description: 'Seconds one file may take before it is refused' },
  { name: 'help', alias: 'h', type: 'boolean', description: 'Show this help' },
  { name: 'version', type: 'boolean', description: 'Show the version' },
];

export interface CliArgs {
  paths: string[];
  transform?: string[];
  write: boolean;
  check: boolean;
  format: (typeof FORMAT_CHOICES)[number];
  verify: boolean;
  list: boolean;
  quiet: boolean;
  config?: string;
  color?: boolean;
  timeLimit: number;
  /** -j/--jobs; undefined = auto. */
  jobs?: number;
  help: boolean;
  version: boolean;
  /** Options dockshift does not know, camelCased, for the transforms. */
  transformOptions: Record<string, unknown>;
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * argv → option values, with Node's own util.parseArgs (no module to load: start-up time matters here).
 * `--no-<boolean>` negates a known boolean. An unknown option takes its value from `--name=value`, or, as in
 * jscodeshift, from the next argument when that is not an option (`--name value`); otherwise it is `true`.
 * Values stay strings (`--tag=1.10` is "1.10", not 1.1).
 */
function readArgv(argv: string[]): { parsed: Record<string, unknown>; unknown: Map<string, unknown> } {
  const booleans = new Set(OPTIONS.filter((o) => o.type === 'boolean').map((o) => o.name));
  const knownLong = new Set(OPTIONS.map((o) => o.name));
  const negated: string[] = [];
  const args: string[] = [];
  let positionalOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') positionalOnly = true;
    const m = positionalOnly ? null : /^--no-(.+)$/.exec(a);
    if (m && booleans.has(m[1]!)) {
      negated.push(m[1]!);
      continue;
    }
    const next = argv[i + 1];
    if (!positionalOnly && /^--[^=]+$/.test(a) && !knownLong.has(a.slice(2)) && next !== undefined && !next.startsWith('-')) {
      args.push(`${a}=${next}`);
      i++;
      continue;
    }
    args.push(a);
  }
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const o of OPTIONS) {
    options[o.name] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
    if (o.alias) options[o.name]!.short = o.alias;
    if (o.type === 'array') options[o.name]!.multiple = true;
  }
  const { values, positionals } = nodeParseArgs({ args, options, strict: false, allowPositionals: true });
  const parsed: Record<string, unknown> = { verify: true, format: 'diff', 'time-limit': '10', _: positionals };
  const unknown = new Map<string, unknown>();
  for (const [k, v] of Object.entries(values)) {
    if (Object.hasOwn(options, k)) parsed[k] = v;
    else unknown.set(k, v);
  }
  for (const n of negated) parsed[n] = false;
  return { parsed, unknown };
}

export async function parseArgs(argv: string[]): Promise<CliArgs> {
  const { parsed, unknown } = readArgv(argv);
  for (const [k, v] of Object.entries(parsed)) {
    const spec = OPTIONS.find((o) => o.name === k);
    if (spec && spec.type !== 'boolean' && v === true) throw new UsageError(`--${k} needs a value`);
  }
  const transformOptions: Record<string, unknown> = {};
  for (const [k, v] of unknown) {
    if (k.length === 1) throw new UsageError(`unknown option -${k}`);
    transformOptions[camel(k)] = v;
  }
  const format = String(parsed.format);
  if (!(FORMAT_CHOICES as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMAT_CHOICES.join(', ')}; got "${format}"`);
  if (parsed.write && parsed.check) throw new UsageError('--write and --check cannot be used together');
  const timeLimit = Number(parsed['time-limit']);
  if (!(timeLimit > 0)) throw new UsageError('--time-limit must be a positive number of seconds');
  let jobs: number | undefined;
  if (parsed.jobs !== undefined) {
    jobs = Number(parsed.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive integer; got "${String(parsed.jobs)}"`);
  }
  if (parsed.transform !== undefined) {
    const names = (parsed.transform as unknown[]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
    if (names.length === 0) throw new UsageError('-t/--transform needs a transform name or a path to a transform module');
  }
  const args: CliArgs = {
    paths: (parsed._ as string[]).slice(),
    write: !!parsed.write,
    check: !!parsed.check,
    format: format as CliArgs['format'],
    verify: parsed.verify !== false,
    list: !!(parsed.list || parsed['list-transforms']),
    quiet: !!parsed.quiet,
    timeLimit,
    help: !!parsed.help,
    version: !!parsed.version,
    transformOptions,
  };
  if (parsed.transform !== undefined) args.transform = (parsed.transform as unknown[]).map(String);
  if (parsed.color !== undefined) args.color = !!parsed.color;
  if (parsed.config !== undefined) args.config = String(parsed.config);
  if (jobs !== undefined) args.jobs = jobs;
  return args;
}

/** Rendered by yargs, which is loaded only here (it costs ~90 ms to load). */
export async function helpText(): Promise<string> {
  const { default: yargs } = await import('yargs');
  let y = yargs([])
    .scriptName('dockshift')
    .usage('$0 [options] [PATH...]\n\nSafe, idempotent codemods for Dockerfiles. Dry run by default: prints a unified diff.')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .version(false)
    .help(false);
  for (const o of OPTIONS) {
    const def: Record<string, unknown> = { describe: o.description, type: o.type };
    if (o.alias) def.alias = o.alias;
    if (o.default !== undefined) def.default = o.default;
    if (o.choices) def.choices = o.choices;
    y = y.option(o.name, def);
  }
  y = y
    .example('$0', 'Dry run of the recommended transforms over the current directory (prints a diff)')
    .example('$0 -t syntax-directive services/', 'One transform over a directory')
    .example('$0 --check', 'CI gate: exit 1 when anything would change')
    .example('$0 --write', 'Apply the changes in place')
    .example('$0 --format json > report.json', 'A JSON report for bots')
    .example('$0 -t ./my-transform.ts --my-option=x', 'A custom transform; unknown options reach it as options.myOption')
    .epilogue('Exit status: 0 success; 1 --check found changes; 2 usage error or a file that could not be processed.\nTransforms: dockshift --list');
  return y.getHelp();
}
