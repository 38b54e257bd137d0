// Test transform (ESM): upper-cases a lower-case `from` keyword. Reports the `--my-option` value it was given.
export const meta = { name: 'upper-from-mjs', description: 'upper-case FROM (ESM test transform)' };

export default function transform(file, api, options) {
  if (options.myOption !== undefined) api.report(`myOption=${JSON.stringify(options.myOption)}`);
  const ed = api.edit();
  let n = 0;
  for (const ins of api.model.instructions) {
    const kw = file.source.slice(ins.keywordSpan.start, ins.keywordSpan.end);
    if (ins.keyword === 'FROM' && kw !== 'FROM') {
      ed.replace(ins.keywordSpan, 'FROM');
      n++;
    }
  }
  return n ? ed.apply() : undefined;
}
