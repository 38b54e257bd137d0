// Test transform (TypeScript, loaded through jiti): upper-cases a lower-case `from` keyword.
import type { FileInfo, TransformApi, TransformMeta } from '../../src/types.js';

export const meta: TransformMeta = { name: 'upper-from-ts', description: 'upper-case FROM (TypeScript test transform)' };

export default function transform(file: FileInfo, api: TransformApi, options: Record<string, unknown>): string | undefined {
  if (options.myOption !== undefined) api.report(`myOption=${JSON.stringify(options.myOption)}`);
  const ed = api.edit();
  let n = 0;
  for (const ins of api.model.instructions) {
    const kw: string = file.source.slice(ins.keywordSpan.start, ins.keywordSpan.end);
    if (ins.keyword === 'FROM' && kw !== 'FROM') {
      ed.replace(ins.keywordSpan, 'FROM');
      n++;
    }
  }
  return n ? ed.apply() : undefined;
}
