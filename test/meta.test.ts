// Declared metadata must match the code and the docs: names, registry, safety, options documented.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadBuiltins } from '../src/transform/load.js';
import { BUILTIN_ORDER } from '../transforms/index.js';
import { ROOT } from './helpers.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

test('every transform module is in the registry, and the registry has nothing else', () => {
  const files = readdirSync(path.join(ROOT, 'transforms')).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3)).sort();
  assert.equal([...BUILTIN_ORDER].sort(), files);
});

test('meta is complete and honest for every built-in', async () => {
  for (const t of await loadBuiltins()) {
    const m = t.meta;
    assert.is(m.name, t.origin, 'meta.name equals the registry name and file name');
    assert.ok(/^[a-z][a-z0-9-]*$/.test(m.name), `${m.name}: kebab-case`);
    assert.ok(m.description && m.description.length > 20, `${m.name}: a real description`);
    assert.type(m.recommended, 'boolean', `${m.name}: recommended is declared`);
    assert.ok(m.safety === 'safe' || m.safety === 'unsafe', `${m.name}: safety is declared`);
    assert.ok(README.includes(`### \`${m.name}\``), `${m.name}: README has a section`);
    for (const [opt, spec] of Object.entries(m.options ?? {})) {
      assert.ok(spec.description, `${m.name}: option ${opt} is described`);
      assert.ok(README.includes(`--${kebab(opt)}`), `${m.name}: README documents --${kebab(opt)}`);
    }
  }
});

test('the static RECOMMENDED list matches the modules\' meta.recommended, in registry order', async () => {
  const { RECOMMENDED } = await import('../transforms/index.js');
  const fromMeta = (await loadBuiltins()).filter((t) => t.meta.recommended).map((t) => t.meta.name);
  assert.equal(RECOMMENDED, fromMeta);
});

test('the README lists the recommended transforms in the order they run', async () => {
  const recommended = (await loadBuiltins()).filter((t) => t.meta.recommended).map((t) => t.meta.name);
  const positions = recommended.map((n) => README.indexOf(`### \`${n}\``));
  assert.equal([...positions].sort((a, b) => a - b), positions);
});

test('the cache-id-platform knowledge table in the README matches the code', async () => {
  const { KNOWLEDGE } = await import('../transforms/cache-id-platform.js');
  for (const k of KNOWLEDGE) {
    const row = `| ${k.paths.split(', ').map((p) => '`' + p + '`').join(', ')} | ${k.class === 'platform' ? 'scoped' : 'shared'} | ${k.why} |`;
    assert.ok(README.includes(row), `README row for ${k.paths}`);
  }
});

test.run();
