// Test transform that returns text BuildKit cannot parse: a RUN heredoc with no terminator.
export const meta = { name: 'unterminated-heredoc', description: 'adds an unterminated heredoc (unparseable output)' };

export default function transform(file, api) {
  const eol = api.model.source.eol;
  const text = file.source;
  return text + (text === '' || text.endsWith('\n') ? '' : eol) + 'RUN <<EOF' + eol + 'echo never terminated' + eol;
}
