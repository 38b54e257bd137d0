// JSON with comments, as devcontainer.json is written (VS Code's "jsonc"): `//` and `/* */` comments and trailing
// commas before `}` or `]`. They are blanked out (newlines kept) and the rest goes to JSON.parse, so JSON.parse's
// error positions still point into the original text, and everything else stays as strict as JSON.

/** The text with comments and trailing commas replaced by spaces (same length, same line breaks). */
export function stripJsonc(text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  /** A comma seen since the last value: trailing if the next significant character closes the container. */
  let comma = -1;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      // A string: nothing inside it is a comment or a comma; `\"` does not end it.
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      i = j + 1;
      comma = -1;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const to = end === -1 ? text.length : end;
      blank(i, to);
      i = to;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new SyntaxError(`unterminated /* comment at offset ${i}`);
      blank(i, end + 2);
      i = end + 2;
    } else if (c === ',') {
      comma = i++;
    } else if (c === '}' || c === ']') {
      if (comma !== -1) out[comma] = ' ';
      comma = -1;
      i++;
    } else {
      if (!/\s/.test(c!)) comma = -1;
      i++;
    }
  }
  return out.join('');
}

export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonc(text.startsWith('\ufeff') ? text.slice(1) : text));
}
