import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'dockshift.js');

// Spawning the real CLI in temporary trees (shared by the end-to-end tests).

/** Hermetic environment for the CLI and git: no GIT_* from a calling hook, no user/system git config, no colors. */
export const ENV: NodeJS.ProcessEnv = (() => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && k !== 'FORCE_COLOR') env[k] = v;
  env.NO_COLOR = '1';
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.GIT_CONFIG_GLOBAL = os.devNull;
  return env;
})();

export const hasGit = spawnSync('git', ['--version'], { env: ENV }).status === 0;
/** When the temp directory itself sits in a git work tree, "outside a repository" cannot be tested. */
export const tmpInsideGit = (() => {
  for (let d = fs.realpathSync(os.tmpdir()); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return true;
    if (path.dirname(d) === d) return false;
  }
})();

const tmpRoots: string[] = [];
export function tmp(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dockshift-')));
  tmpRoots.push(d);
  return d;
}
// Not a uvu hook: hooks belong to whichever suite is current when this module loads.
process.on('exit', () => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

export function write(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

export function read(root: string, rel: string): string {
  return fs.readFileSync(path.join(root, rel), 'utf8');
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(cwd: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: ENV });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, asynchronous: independent read-only runs go in parallel (Promise.all) to keep this file fast. */
export function cliP(cwd: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export function parseReport(run: Run): JsonReport {
  try {
    return JSON.parse(run.stdout) as JsonReport;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.status}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

export interface JsonFile {
  path: string;
  kind: string;
  status: string;
  transforms: string[];
  messages: { transform?: string; level: string; message: string; line?: number }[];
  diff?: string;
}
export interface JsonReport {
  version: number;
  files: JsonFile[];
  totals: Record<string, number>;
}

export function cliJson(cwd: string, ...args: string[]): { run: Run; report: JsonReport } {
  const run = cli(cwd, '--format', 'json', ...args);
  return { run, report: parseReport(run) };
}

export async function cliJsonP(cwd: string, ...args: string[]): Promise<{ run: Run; report: JsonReport }> {
  const run = await cliP(cwd, '--format', 'json', ...args);
  return { run, report: parseReport(run) };
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: ENV });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export function gitInit(dir: string): void {
  git(dir, 'init', '-q');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'user.name', 'dockshift test');
  git(dir, 'config', 'core.autocrlf', 'false');
}

