// Cargo. `cargo fetch` downloads every dependency from Cargo.toml/Cargo.lock, but it parses the manifest, and
// Cargo refuses a manifest whose targets it cannot find ("no targets specified in the manifest"): without the
// sources only targets declared with an explicit `path` parse. So a crate qualifies only when every target
// is declared with its path; anything else (the default src/main.rs, workspaces) would need dummy sources.

import { type Ecosystem, type Env, Refuse, toolOf, optional, type VariantWord } from './types.js';

interface Toml {
  /** Table headers in order, with their key lines. */
  tables: { header: string; array: boolean; keys: string[] }[];
}

function readToml(text: string): Toml {
  const tables: Toml['tables'] = [{ header: '', array: false, keys: [] }];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const h = /^(\[\[?)\s*([^\]]+?)\s*\]\]?$/.exec(line);
    if (h) tables.push({ header: h[2]!, array: h[1] === '[[', keys: [] });
    else tables[tables.length - 1]!.keys.push(line);
  }
  return { tables };
}

const TARGETS = new Set(['lib', 'bin', 'example', 'test', 'bench']);

function checkManifest(env: Env): void {
  const toml = readToml(env.ctx.read('Cargo.toml') ?? '');
  let declared = 0;
  for (const t of toml.tables) {
    if (t.header === 'workspace' || t.header.startsWith('workspace.')) throw new Refuse('Cargo.toml declares a workspace; its members would need dummy sources to fetch');
    if (t.header === 'package' && t.keys.some((k) => /^workspace\s*=/.test(k))) throw new Refuse('Cargo.toml belongs to a workspace elsewhere');
    if (TARGETS.has(t.header)) {
      if (!t.keys.some((k) => /^path\s*=/.test(k))) throw new Refuse(`Cargo.toml declares a [${t.array ? '[' + t.header + ']' : t.header}] target without a path; cargo fetch cannot parse the manifest without the sources`);
      if (t.header === 'lib' || t.header === 'bin') declared++;
      continue;
    }
    for (const k of t.keys) {
      if (/(^|[{,\s])path\s*=/.test(k)) throw new Refuse(`Cargo.toml has a path dependency ([${t.header}] ${k})`);
    }
  }
  if (declared === 0) {
    throw new Refuse('Cargo.toml declares no [lib] or [[bin]] with a path, so cargo finds its targets in the sources (src/main.rs); there is no dependency-only form without dummy sources');
  }
}

export const cargo: Ecosystem = {
  name: 'Cargo',
  primary: ['Cargo.toml', 'Cargo.lock'],
  hint: /\bcargo\s+(build|test|check|run|fetch|install)\b/,
  // cargo-chef: the dependencies are built from recipe.json before the whole copy.
  prepared: /\bcargo\s+chef\s+cook\b/,
  identify(cmd) {
    if (toolOf(cmd) !== 'cargo') return false;
    const sub = cmd.argv[1];
    if (sub === 'install') return cmd.argv.includes('--path');
    return sub !== undefined && ['build', 'b', 'test', 't', 'check', 'c', 'run', 'r', 'fetch'].includes(sub);
  },
  plan(cmd, env) {
    const sub = cmd.argv[1]!;
    if (sub === 'install') throw new Refuse('cargo install --path builds the crate itself; there is no dependency-only form without dummy sources');
    const args = cmd.argv.slice(2);
    for (const a of args) {
      if (a === undefined) continue;
      if (/^--manifest-path\b/.test(a)) throw new Refuse('cargo --manifest-path points at another manifest');
      if (/^(-p|--package|--workspace|--all)\b/.test(a)) throw new Refuse(`cargo ${a} selects workspace members`);
      if (a === '--frozen' || a === '--offline') throw new Refuse(`cargo ${a} builds without the network, so its dependencies come from elsewhere`);
      if (/^-Z/.test(a)) throw new Refuse(`cargo ${a} is an unstable option this transform does not follow`);
    }
    env.ctx.require('Cargo.toml');
    checkManifest(env);
    const files = ['Cargo.toml'];
    optional(env, files, 'Cargo.lock', 'rust-toolchain.toml', 'rust-toolchain');
    for (const cfg of ['.cargo/config.toml', '.cargo/config']) {
      const text = env.ctx.read(cfg);
      if (text === undefined) continue;
      if (/\b(directory|local-registry)\s*=|\bpath\s*=|\[patch/.test(text)) throw new Refuse(`${cfg} points cargo at local directories`);
      files.push(cfg);
    }
    const locked = args.includes('--locked');
    if (sub === 'fetch') {
      if (!locked && env.ctx.has('Cargo.lock')) throw new Refuse('cargo fetch may update Cargo.lock, and the whole copy afterwards would put the old one back (use cargo fetch --locked)');
      return { ecosystem: 'Cargo', mode: 'move', files, dirs: [] };
    }
    const variant: VariantWord[] = [...cmd.assigns.filter((w) => /^(CARGO_|RUSTUP_)/.test(w.raw)), cmd.words[0]!, 'fetch'];
    if (locked) variant.push('--locked');
    return { ecosystem: 'Cargo', mode: 'variant', variant, files, dirs: [] };
  },
};

export const RUST: Ecosystem[] = [cargo];
