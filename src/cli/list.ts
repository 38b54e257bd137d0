import { loadBuiltins } from '../transform/load.js';

export async function listTransforms(json: boolean): Promise<string> {
  const all = await loadBuiltins();
  if (json) {
    const rows = all.map((t) => ({ name: t.meta.name, description: t.meta.description, recommended: !!t.meta.recommended, safety: t.meta.safety ?? 'safe' }));
    return JSON.stringify(rows, null, 2) + '\n';
  }
  const width = Math.max(...all.map((t) => t.meta.name.length));
  return all
    .map((t) => `${t.meta.name.padEnd(width)}  ${t.meta.recommended ? '[recommended]' : '             '}  ${t.meta.description}`)
    .join('\n') + '\n';
}
