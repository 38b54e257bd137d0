#!/usr/bin/env node
// The GitHub Action's step: one dockshift run through the CLI (so it behaves exactly like the CLI), with the
// JSON report for the outputs and the markdown report for the job summary. Inputs come from DOCKSHIFT_* env.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'dockshift.js');
const env = process.env;
const mode = (env.DOCKSHIFT_MODE || 'check').trim();
if (!['check', 'write', 'dry-run'].includes(mode)) {
  console.error(`dockshift action: mode must be check, write or dry-run; got "${mode}"`);
  process.exit(2);
}
const paths = (env.DOCKSHIFT_PATHS || '.').split(/\s+/).filter(Boolean);
const common = [];
if (env.DOCKSHIFT_TRANSFORMS?.trim()) common.push('-t', env.DOCKSHIFT_TRANSFORMS.trim());
// Extra arguments are split on whitespace (quote-free by design: options are --name=value).
common.push(...(env.DOCKSHIFT_ARGS || '').split(/\s+/).filter(Boolean));

const cli = (extra) => spawnSync(process.execPath, [bin, ...common, ...extra, ...paths], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'inherit'] });

// One real run: --write applies; check and dry-run write nothing. JSON is the source of truth for outputs.
const run = cli(['--format', 'json', '--quiet', ...(mode === 'write' ? ['--write'] : [])]);
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error(`dockshift action: the run failed (exit ${run.status}) before producing a report`);
  process.exit(run.status || 2);
}
const touched = report.files.filter((f) => f.status === 'changed' || f.status === 'created').map((f) => f.path);
for (const f of report.files) {
  if (f.diff) process.stdout.write(f.diff);
  for (const m of f.messages) if (m.level !== 'info') console.log(`::${m.level === 'error' ? 'error' : 'warning'} file=${f.path}${m.line ? `,line=${m.line}` : ''}::${m.message}`);
}
if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `changed=${touched.length > 0}\nfiles=${JSON.stringify(touched)}\n`);
if (env.GITHUB_STEP_SUMMARY && env.DOCKSHIFT_SUMMARY !== 'false') {
  // The markdown report of the same files; a dry run is pure, so it describes exactly what the run did.
  const md = mode === 'write' ? { stdout: markdownFromJson(report) } : cli(['--format', 'markdown', '--quiet']);
  appendFileSync(env.GITHUB_STEP_SUMMARY, md.stdout);
}
const { totals } = report;
console.log(`dockshift: ${totals.scanned} scanned, ${totals.changed} changed, ${totals.created} created, ${totals.errors} errors`);
if (totals.errors > 0) process.exit(2);
if (mode === 'check' && touched.length > 0) process.exit(1);
process.exit(0);

/** After --write the files are already changed, so a second dry run would report nothing: build the summary from the JSON. */
function markdownFromJson(r) {
  let out = `## dockshift\n\n| file | status | transforms |\n| --- | --- | --- |\n`;
  for (const f of r.files) if (f.status !== 'unchanged') out += `| \`${f.path}\` | ${f.status} | ${f.transforms.join(', ')} |\n`;
  for (const f of r.files) if (f.diff) out += `\n<details><summary>${f.path}</summary>\n\n\`\`\`\`diff\n${f.diff}\`\`\`\`\n\n</details>\n`;
  return out;
}
