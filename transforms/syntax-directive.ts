import type { FileInfo, TransformApi, TransformMeta } from '../src/types.js';

export const meta = {
  name: 'syntax-directive',
  description: 'Add `# syntax=docker/dockerfile:1` as a parser directive so the file builds with a current Dockerfile frontend',
  recommended: true,
  safety: 'safe',
  docs: 'https://docs.docker.com/reference/dockerfile/#syntax',
  options: {
    syntaxVersion: {
      type: 'string',
      description: 'Tag of docker/dockerfile to pin, e.g. `1`, `1.7` or `1-labs`',
      default: '1',
    },
  },
} satisfies TransformMeta;

const WINDOWS_BASE = /(^|[/:@-])(nanoserver|servercore|windowsservercore|windows\/)|mcr\.microsoft\.com\/(windows|dotnet\/framework)\//i;

/** Why the file looks like it builds a Windows container image, or undefined. */
export function windowsSignal(model: TransformApi['model']): string | undefined {
  const base = model.stages.find((s) => WINDOWS_BASE.test(s.base));
  if (base) return `base image ${base.base}`;
  const shell = model.instructions.find((i) => i.keyword === 'SHELL' && /^(powershell|pwsh|cmd)(\.exe)?$/i.test(i.args[0]?.value ?? ''));
  if (shell) return `SHELL ${shell.args[0]!.value}`;
  return undefined;
}

// `1`, `1.7`, `1.7.1`, optionally `-labs`: the tags docker/dockerfile publishes.
const VERSION_RE = /^\d+(\.\d+){0,2}(-labs)?$/;

export default function transform(file: FileInfo, api: TransformApi, options: { syntaxVersion?: unknown }): string | undefined {
  const version = syntaxVersionOption(options);
  const model = api.model;
  // Only an *effective* directive counts: a `# syntax=` after a blank line or comment is an ordinary comment.
  if (model.directives.some((d) => d.name === 'syntax')) return undefined;
  const windows = windowsSignal(model);
  if (windows) {
    api.skip(`left alone: this looks like a Windows container image (${windows}); docker/dockerfile frontend images are Linux-only, so a BuildKit builder on Windows could not run the directive`);
    return undefined;
  }
  const at = directiveOffset(model);
  if (at === undefined) return undefined;
  return api.edit().insert(at, `# syntax=docker/dockerfile:${version}${model.source.eol}`).apply();
}

/**
 * Where a syntax directive goes: at the very top (after a BOM, and after a `#!` line, which BuildKit skips when
 * it looks for the directive), so the directive block stays one block with any `# escape=`/`# check=` below.
 * Undefined for a file that is a shebang line and nothing else.
 */
export function directiveOffset(model: TransformApi['model']): number | undefined {
  const text = model.source.text;
  let at = model.bodyStart;
  if (text.startsWith('#!', at)) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return undefined; // a shebang and nothing else: not a Dockerfile this transform can improve
    at = nl + 1;
  }
  return at;
}

/** The `docker/dockerfile` tag `--syntax-version` asks for (validated), default `1`. */
export function syntaxVersionOption(options: { syntaxVersion?: unknown }): string {
  const version = String(options.syntaxVersion ?? meta.options.syntaxVersion.default);
  if (!VERSION_RE.test(version)) throw new Error(`invalid --syntax-version "${version}" (expected a docker/dockerfile tag such as 1, 1.7 or 1-labs)`);
  return version;
}
