// Copies src/ to dist/ and renders content/*.md into HTML pages.
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { marked } from 'marked';

const page = (title, body) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title} · Acme Shop</title>
  <link rel="stylesheet" href="/styles.css">
</head>
<body><main>${body}</main></body>
</html>
`;

await rm('dist', { recursive: true, force: true });
await mkdir('dist', { recursive: true });
await cp('src', 'dist', { recursive: true });

for (const name of await readdir('content')) {
  if (!name.endsWith('.md')) continue;
  const md = await readFile(`content/${name}`, 'utf8');
  const title = md.match(/^# (.+)$/m)?.[1] ?? name;
  await writeFile(`dist/${name.replace(/\.md$/, '.html')}`, page(title, marked.parse(md)));
}

console.log('built dist/');
