// Test transform, deliberately NOT idempotent: appends a comment line every time it runs.
export const meta = { name: 'append-comment', description: 'appends a comment on every run (not idempotent)' };

export default function transform(file, api) {
  const eol = api.model.source.eol;
  const text = file.source;
  return text + (text === '' || text.endsWith('\n') ? '' : eol) + '# appended by append-comment' + eol;
}
