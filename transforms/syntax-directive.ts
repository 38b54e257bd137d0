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

// `1`, `1.7`, `1.7.1`, optionally `-labs`: the tags docker/dockerfile publishes.
const VERSION_RE = /^\d+(\.\d+){0,2}(-labs)?$/;

export default function transform(file: FileInfo, api: TransformApi, options: { syntaxVersion?: unknown }): string | undefined {
  const version = String(options.syntaxVersion ?? meta.options.syntaxVersion.default);
  if (!VERSION_RE.test(version)) throw new Error(`invalid --syntax-version "${version}" (expected a docker/dockerfile tag such as 1, 1.7 or 1-labs)`);
  const model = api.model;
  // Only an *effective* directive counts: a `# syntax=` after a blank line or comment is an ordinary comment.
  if (model.directives.some((d) => d.name === 'syntax')) return undefined;
  // At the very top (after a BOM): the directive block stays one block, with any `# escape=`/`# check=` below.
  return api.edit().insert(model.bodyStart, `# syntax=docker/dockerfile:${version}${model.source.eol}`).apply();
}
