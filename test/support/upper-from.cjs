// Test transform (CommonJS): module.exports = fn, with fn.meta.
'use strict';

function transform(file, api, options) {
  const ed = api.edit();
  let n = 0;
  for (const ins of api.model.instructions) {
    const kw = file.source.slice(ins.keywordSpan.start, ins.keywordSpan.end);
    if (ins.keyword === 'FROM' && kw !== 'FROM') {
      ed.replace(ins.keywordSpan, 'FROM');
      n++;
    }
  }
  if (options.tag !== undefined) api.report(`tag=${JSON.stringify(options.tag)}`);
  return n ? ed.apply() : null;
}
transform.meta = { name: 'upper-from-cjs', description: 'upper-case FROM (CommonJS test transform)' };
module.exports = transform;
