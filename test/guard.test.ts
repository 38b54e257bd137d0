// The runtime guard, unit level: processSource (the same code the CLI runs per file) with in-memory contexts.
// Every change must re-parse and survive a second pass unchanged; a transform that throws is named; the
// original text is what comes back whenever a file is refused. The CLI-level view of the same is in
// cli.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { memoryContext } from '../src/context/build-context.js';
import { sourceFromText } from '../src/dockerfile/parse.js';
import { processSource } from '../src/runner/process.js';
import type { ProcessResult } from '../src/runner/process.js';
import { loadTransform } from '../src/transform/load.js';
import type { FileInfo, Transform, TransformApi, TransformFn } from '../src/types.js';
import { ROOT } from './helpers.js';

const SUPPORT = path.join(ROOT, 'test', 'support');

function transform(name: string, fn: TransformFn): Transform {
  return { meta: { name, description: `test transform ${name}` }, fn, origin: `test:${name}` };
}

function run(text: string, transforms: Transform[], opts: { verify?: boolean; files?: Record<string, string>; options?: Record<string, unknown>; deadline?: number } = {}): Promise<ProcessResult> {
  const input: Parameters<typeof processSource>[0] = {
    source: sourceFromText(text, 'Dockerfile'),
    transforms,
    options: opts.options ?? {},
    context: () => memoryContext(opts.files ?? {}),
    verify: opts.verify ?? true,
  };
  if (opts.deadline !== undefined) input.deadline = opts.deadline;
  return processSource(input);
}

/** Upper-cases lower-case `from` keywords through api.edit(); idempotent. */
const upperFrom = transform('upper-from', (file: FileInfo, api: TransformApi) => {
  const ed = api.edit();
  for (const ins of api.model.instructions) {
    if (ins.keyword === 'FROM' && file.source.slice(ins.keywordSpan.start, ins.keywordSpan.end) !== 'FROM') ed.replace(ins.keywordSpan, 'FROM');
  }
  return ed.apply();
});

/** Appends a comment every time: the textbook non-idempotent transform. */
const appendComment = transform('append-comment', (file) => file.source + '# again\n');

/** Returns a Dockerfile with an unterminated heredoc. */
const unterminated = transform('unterminated', (file) => file.source + 'RUN <<EOF\necho never closed\n');

const throws = transform('thrower', () => {
  throw new Error('kaboom');
});

function onlyError(r: ProcessResult): { message: string; transform?: string; line?: number } {
  assert.is(r.status, 'error');
  const errors = r.messages.filter((m) => m.level === 'error');
  assert.is(errors.length, 1, JSON.stringify(r.messages));
  return errors[0]!;
}

const SRC = 'from alpine\nRUN echo hi\n';

test('an idempotent transform passes the guard; its output is a fixed point', async () => {
  const r = await run(SRC, [upperFrom]);
  assert.is(r.status, 'changed');
  assert.is(r.text, 'FROM alpine\nRUN echo hi\n');
  assert.equal(r.transforms, ['upper-from']);
  assert.equal(r.messages, []);
  const again = await run(r.text, [upperFrom]);
  assert.is(again.status, 'unchanged');
  assert.is(again.text, r.text);
  assert.equal(again.transforms, []);
});

test('NotIdempotent: refused, named, original text kept', async () => {
  const r = await run(SRC, [appendComment]);
  const e = onlyError(r);
  assert.ok(e.message.startsWith('NotIdempotent:'), e.message);
  assert.match(e.message, 'append-comment');
  assert.is(e.transform, 'append-comment');
  assert.match(e.message, 'changes line 4 of the result again', 'the line the second pass changes again');
  assert.is(e.line, undefined, 'no `line`: line 4 exists only in the refused result, not in the file on disk');
  assert.is(r.text, SRC);
  assert.equal(r.transforms, []);
  assert.equal(r.emitted, []);
});

test('NotIdempotent names the culprit, not the first transform of the chain', async () => {
  const r = await run(SRC, [upperFrom, appendComment]);
  const e = onlyError(r);
  assert.ok(e.message.startsWith('NotIdempotent:'), e.message);
  assert.is(e.transform, 'append-comment');
  assert.is(r.text, SRC);
});

test('a transform that is idempotent alone but not after another one is still caught', async () => {
  // Adds "# n" where n is the number of instructions: changes again once a second transform adds one.
  const counts = transform('counts', (file, api) => {
    const tag = `# instructions: ${api.model.instructions.length}\n`;
    const body = file.source.replace(/^# instructions: \d+\n/, '');
    return tag + body;
  });
  const addsRun = transform('adds-run', (file) => (file.source.includes('RUN true') ? undefined : file.source + 'RUN true\n'));
  const r = await run('FROM a\n', [counts, addsRun]);
  const e = onlyError(r);
  assert.ok(e.message.startsWith('NotIdempotent:'), e.message);
  assert.is(e.transform, 'counts');
  assert.is(r.text, 'FROM a\n');
});

test('NotIdempotent for an emitted file whose content changes on every pass', async () => {
  let n = 0;
  const stamp = transform('stamp', (_file, api) => {
    api.emitFile('.dockerignore', `# run ${++n}\n`);
    return undefined;
  });
  const r = await run(SRC, [stamp]);
  const e = onlyError(r);
  assert.ok(e.message.startsWith('NotIdempotent:'), e.message);
  assert.match(e.message, '.dockerignore');
  assert.is(e.transform, 'stamp');
  assert.equal(r.emitted, [], 'nothing is emitted for a refused file');
});

test('an emitted file that the second pass sees (overlay) and leaves alone passes', async () => {
  const ignoreOnce = transform('ignore-once', (_file, api) => {
    if (!api.context.exists('.dockerignore')) api.emitFile('.dockerignore', '*\n');
    return undefined;
  });
  const r = await run(SRC, [ignoreOnce]);
  assert.is(r.status, 'unchanged', 'the Dockerfile text itself did not change');
  assert.equal(r.emitted, [{ rel: '.dockerignore', content: '*\n', transform: 'ignore-once' }]);
  assert.equal(r.transforms, ['ignore-once']);
});

test('UnparseableOutput: refused, named, original kept', async () => {
  const r = await run(SRC, [unterminated]);
  const e = onlyError(r);
  assert.ok(e.message.startsWith('UnparseableOutput:'), e.message);
  assert.match(e.message, 'unterminated');
  assert.match(e.message, /heredoc/);
  assert.is(e.transform, 'unterminated');
  assert.match(e.message, 'near line 3 of its output');
  assert.is(e.line, undefined, 'the line is one of the refused output, so it is not reported as a line of the file');
  assert.is(r.text, SRC);
});

test('UnparseableOutput is refused in the middle of a chain too (later transforms never see it)', async () => {
  let sawIt = false;
  const after = transform('after', (file) => {
    if (file.source.includes('<<EOF')) sawIt = true;
    return undefined;
  });
  const r = await run(SRC, [upperFrom, unterminated, after]);
  const e = onlyError(r);
  assert.ok(e.message.startsWith('UnparseableOutput:'), e.message);
  assert.is(e.transform, 'unterminated');
  assert.not.ok(sawIt);
  assert.is(r.text, SRC);
});

test('a transform that throws: TransformError, named, original kept', async () => {
  const r = await run(SRC, [upperFrom, throws]);
  const e = onlyError(r);
  assert.ok(e.message.startsWith('TransformError:'), e.message);
  assert.match(e.message, 'thrower');
  assert.match(e.message, 'kaboom');
  assert.is(e.transform, 'thrower');
  assert.is(r.text, SRC);
});

test('an async transform that rejects is a TransformError too', async () => {
  const rejects = transform('rejects', async () => {
    await new Promise((r) => setTimeout(r, 1));
    throw new Error('async kaboom');
  });
  const e = onlyError(await run(SRC, [rejects]));
  assert.ok(e.message.startsWith('TransformError:'), e.message);
  assert.match(e.message, 'async kaboom');
  assert.is(e.transform, 'rejects');
});

test('a transform that returns something other than a string is refused', async () => {
  const bad = transform('returns-number', (() => 42) as unknown as TransformFn);
  const e = onlyError(await run(SRC, [bad]));
  assert.ok(e.message.startsWith('TransformError:'), e.message);
  assert.match(e.message, 'number');
  assert.is(e.transform, 'returns-number');
});

test('an async transform past the deadline is refused (TimeLimit)', async () => {
  const slow = transform('slow', () => new Promise<string>((r) => setTimeout(() => r('FROM late\n'), 500)));
  const started = Date.now();
  const r = await run(SRC, [slow], { deadline: Date.now() + 50 });
  const e = onlyError(r);
  assert.ok(e.message.startsWith('TimeLimit:'), e.message);
  assert.match(e.message, 'slow');
  assert.ok(Date.now() - started < 450, 'does not wait for the transform');
  assert.is(r.text, SRC);
});

test('a transform that keeps the thread busy past the deadline is refused when it returns, naming the pass', async () => {
  // Awaits that resolve at once never let the deadline timer fire; the result is refused all the same.
  const busy = (ms: number, when: RegExp) => async ({ source }: { source: string }) => {
    const until = Date.now() + (when.test(source) ? ms : 0);
    while (Date.now() < until) await Promise.resolve();
    return source.replace('alpine', 'busybox');
  };
  const hog = transform('hog', busy(120, /./) as unknown as TransformFn);
  const first = onlyError(await run(SRC, [hog], { deadline: Date.now() + 40 }));
  assert.is(first.message, 'TimeLimit: time limit exceeded while hog ran');
  // Quick on the input, busy on its own result: the guard's re-run is the pass that overruns, and the message says so.
  const lateHog = transform('hog', busy(600, /busybox/) as unknown as TransformFn);
  const second = onlyError(await run(SRC, [lateHog], { deadline: Date.now() + 300 }));
  assert.is(second.message, 'TimeLimit: time limit exceeded while hog ran again (the idempotency check on its result)');
});

test('verify: false (--no-verify) lets a non-idempotent transform through', async () => {
  const r = await run(SRC, [appendComment], { verify: false });
  assert.is(r.status, 'changed');
  assert.is(r.text, SRC + '# again\n');
  assert.equal(r.transforms, ['append-comment']);
});

test('the second pass only runs when something changed (a no-op file costs one pass)', async () => {
  let calls = 0;
  const counting = transform('counting', () => {
    calls++;
    return undefined;
  });
  const r = await run('FROM a\n', [counting]);
  assert.is(r.status, 'unchanged');
  assert.is(calls, 1);
  calls = 0;
  await run('from a\n', [upperFrom, counting]);
  assert.is(calls, 2, 'first pass + verification pass');
});

test('returning the same string, null or undefined is "no change"', async () => {
  for (const out of [undefined, null, SRC]) {
    const r = await run(SRC, [transform('noop', () => out)]);
    assert.is(r.status, 'unchanged', String(out));
    assert.is(r.text, SRC);
    assert.equal(r.transforms, []);
  }
});

test('an unparseable input is an error before any transform runs', async () => {
  let called = false;
  const spy = transform('spy', () => {
    called = true;
    return undefined;
  });
  const r = await run('FROM a\nRUN <<EOF\necho hi\n', [spy]);
  const e = onlyError(r);
  assert.match(e.message, /unterminated heredoc/);
  assert.is(e.line, 2);
  assert.not.ok(called);
});

test('# dockshift-ignore-file: skipped, transforms not called, reported', async () => {
  let called = false;
  const spy = transform('spy', () => {
    called = true;
    return 'FROM changed\n';
  });
  const r = await run('# dockshift-ignore-file\nfrom a\n', [spy, upperFrom]);
  assert.is(r.status, 'skipped');
  assert.not.ok(called);
  assert.is(r.text, '# dockshift-ignore-file\nfrom a\n');
  assert.is(r.messages.length, 1);
  assert.match(r.messages[0]!.message, 'dockshift-ignore-file');
});

test('# dockshift-ignore: an edit inside the suppressed instruction is refused by the editor and reported', async () => {
  const r = await run('# dockshift-ignore\nfrom a\n', [upperFrom]);
  assert.is(r.status, 'skipped');
  assert.is(r.text, '# dockshift-ignore\nfrom a\n');
  assert.ok(r.messages.some((m) => m.level === 'warning' && m.transform === 'upper-from' && /suppressed/.test(m.message)), JSON.stringify(r.messages));
  assert.ok(r.messages.some((m) => m.level === 'info' && m.line === 2 && /left alone for upper-from/.test(m.message)), JSON.stringify(r.messages));
});

test('# dockshift-ignore NAME only suppresses that transform', async () => {
  const text = '# dockshift-ignore other\nfrom a\n';
  const r = await run(text, [upperFrom]);
  assert.is(r.status, 'changed');
  assert.is(r.text, '# dockshift-ignore other\nFROM a\n');
});

test('a transform that checks api.isSuppressed changes the other instructions', async () => {
  const polite = transform('polite', (file, api) => {
    const ed = api.edit();
    for (const ins of api.model.instructions) {
      if (api.isSuppressed(ins)) continue;
      if (ins.keyword === 'FROM' && file.source.slice(ins.keywordSpan.start, ins.keywordSpan.end) !== 'FROM') ed.replace(ins.keywordSpan, 'FROM');
    }
    return ed.apply();
  });
  const r = await run('from a AS one\n# dockshift-ignore\nfrom b\n', [polite]);
  assert.is(r.status, 'changed');
  assert.is(r.text, 'FROM a AS one\n# dockshift-ignore\nfrom b\n');
  assert.ok(r.messages.some((m) => m.level === 'info' && m.line === 3 && /left alone for polite/.test(m.message)), JSON.stringify(r.messages));
});

test('the support transforms load (.mjs/.cjs/.ts) and behave like the inline ones under the guard', async () => {
  for (const file of ['upper-from.mjs', 'upper-from.cjs', 'upper-from-ts.ts']) {
    const t = await loadTransform(path.join(SUPPORT, file), ROOT);
    const r = await run(SRC, [t]);
    assert.is(r.status, 'changed', file);
    assert.is(r.text, 'FROM alpine\nRUN echo hi\n', file);
  }
  const kinds: Record<string, string> = { 'append-comment.mjs': 'NotIdempotent', 'unterminated-heredoc.mjs': 'UnparseableOutput' };
  for (const [file, kind] of Object.entries(kinds)) {
    const t = await loadTransform(path.join(SUPPORT, file), ROOT);
    const e = onlyError(await run(SRC, [t]));
    assert.ok(e.message.startsWith(kind + ':'), e.message);
    assert.is(e.transform, t.meta.name);
  }
});

test('message lines refer to the file on disk, also for transforms later in a chain', async () => {
  const addTop = transform('add-top', (file) => (file.source.startsWith('# added') ? undefined : '# added\n# lines\n' + file.source));
  const reportRun = transform('report-run', (_file, api) => {
    for (const ins of api.model.instructions) if (ins.keyword === 'RUN') api.report('found RUN', ins.span);
    return undefined;
  });
  const r = await run('FROM a\n# dockshift-ignore\nRUN true\n', [addTop, reportRun]);
  assert.is(r.status, 'changed');
  const found = r.messages.find((m) => m.message === 'found RUN')!;
  const note = r.messages.find((m) => m.message.includes('dockshift-ignore'))!;
  assert.is(found.line, 3, 'the RUN is line 3 of the original even though it is line 5 of the intermediate text');
  assert.is(note.line, 3);
});

test('lineMapper: head and tail map exactly, a changed region maps to its first line', async () => {
  const { lineMapper } = await import('../src/runner/process.js');
  const map = lineMapper('a\nb\nc\nd\n', 'a\nX\nY\nZ\nc\nd\n');
  assert.equal([1, 2, 3, 4, 5, 6].map(map), [1, 2, 2, 2, 3, 4]);
});

test.run();
