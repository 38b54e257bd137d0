// The benchmark corpus: a deterministic (seeded) set of varied, valid Dockerfiles, each in its own directory
// with a small build context. Built from the repo's own Dockerfiles (test/fixtures/**/Dockerfile*,
// examples/**/Dockerfile*) re-rendered with variations, plus synthetic files from a small grammar of realistic
// instructions: CRLF/LF, BOM, `# syntax=`, `# escape=\``, `# check=`, lowercase keywords, comments and blank
// lines, continuations with comments inside, heredocs, 1–6 stages, `RUN --mount=…`, JSON-form CMD/ENTRYPOINT,
// small files and long ones (50–300 lines).
//
// Every file is parsed with parseDockerfile before it is kept, and the instructions found must be exactly the
// ones generated (a file whose continuations or heredocs were read differently is regenerated).
//
//   node scripts/bench-data.mjs [--out bench-data] [--files 3000] [--seed 1]
//
// writes the corpus and `corpus.json` (settings, stats, file list) into --out. bench.mjs runs it as a child
// process, so that the measuring process only ever sees strings read from disk (the generator's concatenated
// strings, and the JIT state they leave behind, make parsing measurably slower). Note: `bench-data/` is
// gitignored, so discovery from inside this repository skips it; bench.mjs uses the OS temp dir by default.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDockerfile } from '../dist/src/index.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// --- seeded randomness ------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    some: (arr, lo, hi) => {
      const copy = arr.slice();
      const n = Math.min(copy.length, r.int(lo, hi));
      const out = [];
      for (let i = 0; i < n; i++) out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]);
      return out;
    },
  };
  return r;
}

// --- the instruction model used for rendering ----------------------------------------------------------
//
// An instruction is { kw, parts, tail }: `parts` are the physical lines of its head — { s } for text (the
// first one is what follows the keyword), { c } for a comment line inside the continuation — and `tail` the
// raw lines after the head (heredoc bodies and terminators), or null. The continuation character is added at
// render time, so the same instruction renders under `\` and under `` ` ``.

const text = (s) => ({ s });
const comment = (c) => ({ c });
const ins = (kw, first, more = [], tail = null) => ({ kw, parts: [text(first), ...more], tail });

function renderInstruction(i, { escape, lowercase, indent }) {
  const kw = lowercase === 'all' ? i.kw.toLowerCase() : lowercase === 'mixed' ? i.kw[0] + i.kw.slice(1).toLowerCase() : i.kw;
  const lastText = i.parts.reduce((last, p, k) => (p.s !== undefined ? k : last), 0);
  const lines = i.parts.map((p, k) => {
    if (p.c !== undefined) return p.c;
    const body = k === 0 ? `${indent}${kw} ${p.s}` : p.s;
    return k < lastText ? `${body} ${escape}` : body;
  });
  if (i.tail) lines.push(...i.tail);
  return lines;
}

/** The physical-line count of a rendered instruction. */
const lineCount = (i) => i.parts.length + (i.tail ? i.tail.length : 0);

// --- seeds: the repo's own Dockerfiles --------------------------------------------------------------

function findFiles(dir, accept, out = []) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === '.git') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findFiles(p, accept, out);
    else if (e.isFile() && accept(e.name)) out.push(p);
  }
  return out;
}

function seedFiles(repoRoot) {
  return [
    ...findFiles(path.join(repoRoot, 'test', 'fixtures'), (n) => n.startsWith('Dockerfile')),
    ...findFiles(path.join(repoRoot, 'examples'), (n) => n.startsWith('Dockerfile')),
  ];
}

/** Seeds: every parseable `Dockerfile*` under test/fixtures and examples, as instruction lists. */
export function loadSeeds(repoRoot = REPO_ROOT) {
  const seeds = [];
  for (const file of seedFiles(repoRoot)) {
    let model;
    try {
      model = parseDockerfile(fs.readFileSync(file, 'utf8'), file);
    } catch {
      continue;
    }
    if (model.ignoreFile) continue;
    const instructions = [];
    for (const x of model.instructions) {
      const converted = fromModel(model, x);
      if (converted) instructions.push(converted);
    }
    if (instructions.length && instructions[0].kw === 'FROM') seeds.push({ file: path.relative(repoRoot, file), instructions });
  }
  return seeds;
}

function fromModel(model, x) {
  const src = model.source.text;
  const esc = model.escape === '`' ? '`' : '\\\\';
  const cont = new RegExp(`[ \\t]*${esc}[ \\t]*$`);
  const headEnd = x.heredocs.length ? x.heredocs[0].bodySpan.start : x.span.end;
  const head = src.slice(x.span.start, headEnd).replace(/\r?\n$/, '').split(/\r?\n/);
  const tail = x.heredocs.length ? src.slice(headEnd, x.span.end).split(/\r?\n/) : null;
  const m = /^(\S+)[ \t]+(.*)$/.exec(head[0].replace(cont, ''));
  if (!m) return null;
  const parts = [text(m[2])];
  for (const line of head.slice(1)) {
    if (/^\s*#/.test(line)) parts.push(comment(line));
    else if (line.trim() !== '') parts.push(text(line.replace(cont, '')));
  }
  return { kw: x.keyword, parts, tail };
}

// --- synthetic instructions -----------------------------------------------------------------------

const ECOSYSTEMS = {
  node: {
    build: ['node:20-alpine', 'node:20', 'node:22-bookworm-slim', 'node:18-alpine'],
    runtime: ['node:20-alpine', 'node:22-alpine', 'gcr.io/distroless/nodejs20-debian12', 'node:20-slim'],
    manifests: ['package.json', 'package-lock.json'],
    cache: '/root/.npm',
    install: ['npm ci', 'npm ci --omit=dev', 'npm install --no-audit --no-fund'],
    build_: ['npm run build', 'npm run build -- --mode production', 'npx tsc -p tsconfig.json'],
    out: ['/app/dist', '/app/build'],
    cmd: [['node', 'dist/server.js'], ['npm', 'start'], ['node', '--enable-source-maps', 'dist/index.js']],
    port: [3000, 8080, 4000],
  },
  go: {
    build: ['golang:1.22-alpine', 'golang:1.23', 'golang:1.22-bookworm'],
    runtime: ['gcr.io/distroless/static-debian12', 'alpine:3.20', 'scratch', 'gcr.io/distroless/base-debian12:nonroot'],
    manifests: ['go.mod', 'go.sum'],
    cache: '/go/pkg/mod',
    install: ['go mod download', 'go mod download -x'],
    build_: ['go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/app', 'CGO_ENABLED=0 go build -o /out/app .', 'go build -o /out/app ./...'],
    out: ['/out/app'],
    cmd: [['/app'], ['/usr/local/bin/app', 'serve'], ['/app', '--config', '/etc/app/config.yaml']],
    port: [8080, 9090],
  },
  python: {
    build: ['python:3.12-slim', 'python:3.11', 'python:3.13-bookworm'],
    runtime: ['python:3.12-slim', 'python:3.12-alpine', 'gcr.io/distroless/python3-debian12'],
    manifests: ['requirements.txt', 'pyproject.toml'],
    cache: '/root/.cache/pip',
    install: ['pip install -r requirements.txt', 'pip install --no-cache-dir -r requirements.txt', 'pip wheel --wheel-dir /wheels -r requirements.txt'],
    build_: ['python -m compileall -q src', 'pip install --prefix=/install .', 'python -m build --wheel'],
    out: ['/install', '/wheels', '/app/dist'],
    cmd: [['python', '-m', 'app'], ['gunicorn', '-b', '0.0.0.0:8000', 'app:wsgi'], ['celery', '-A', 'app', 'worker']],
    port: [8000, 5000],
  },
  rust: {
    build: ['rust:1.80', 'rust:1.81-slim-bookworm', 'rust:1-alpine'],
    runtime: ['debian:bookworm-slim', 'gcr.io/distroless/cc-debian12', 'alpine:3.20'],
    manifests: ['Cargo.toml', 'Cargo.lock'],
    cache: '/usr/local/cargo/registry',
    install: ['cargo fetch', 'cargo fetch --locked'],
    build_: ['cargo build --release --locked', 'cargo build --release && cp target/release/app /out/app'],
    out: ['/app/target/release/app', '/out/app'],
    cmd: [['/usr/local/bin/app'], ['app', '--port', '8080']],
    port: [8080, 3000],
  },
  java: {
    build: ['maven:3.9-eclipse-temurin-21', 'gradle:8.10-jdk21', 'eclipse-temurin:21-jdk'],
    runtime: ['eclipse-temurin:21-jre', 'eclipse-temurin:21-jre-alpine', 'gcr.io/distroless/java21-debian12'],
    manifests: ['pom.xml'],
    cache: '/root/.m2',
    install: ['mvn -B dependency:go-offline', 'gradle --no-daemon dependencies'],
    build_: ['mvn -B package -DskipTests', 'gradle --no-daemon bootJar'],
    out: ['/app/target/app.jar', '/app/build/libs/app.jar'],
    cmd: [['java', '-jar', '/app/app.jar'], ['java', '-XX:MaxRAMPercentage=75', '-jar', '/app/app.jar']],
    port: [8080, 8443],
  },
  static: {
    build: ['node:20-alpine', 'node:20'],
    runtime: ['nginx:1.27-alpine', 'nginx:stable', 'caddy:2-alpine', 'httpd:2.4'],
    manifests: ['package.json', 'package-lock.json'],
    cache: '/root/.npm',
    install: ['npm ci'],
    build_: ['npm run build'],
    out: ['/app/dist', '/app/public'],
    cmd: [['nginx', '-g', 'daemon off;']],
    port: [80, 8080],
  },
  generic: {
    build: ['alpine:3.20', 'debian:bookworm-slim', 'ubuntu:24.04', 'ubuntu:22.04'],
    runtime: ['alpine:3.20', 'debian:bookworm-slim', 'busybox:1.36', 'ubuntu:24.04'],
    manifests: ['Makefile'],
    cache: '/var/cache/apt',
    install: ['make deps'],
    build_: ['make all', 'make release PREFIX=/out'],
    out: ['/out'],
    cmd: [['/entrypoint.sh'], ['sh', '-c', 'exec /usr/local/bin/run'], ['tail', '-f', '/dev/null']],
    port: [8080, 22, 6379],
  },
};
const ECO_NAMES = Object.keys(ECOSYSTEMS);
const ECO_WEIGHTS = { node: 5, go: 4, python: 4, rust: 1, java: 2, static: 2, generic: 3 };

const APT = ['curl', 'ca-certificates', 'git', 'build-essential', 'libpq-dev', 'libssl-dev', 'pkg-config', 'unzip', 'zip', 'jq', 'tzdata', 'locales', 'openssh-client', 'gnupg', 'wget', 'xz-utils', 'python3', 'make', 'gcc', 'g++', 'libffi-dev', 'zlib1g-dev', 'tini', 'dumb-init', 'procps', 'less', 'vim-tiny', 'netcat-openbsd', 'iproute2', 'dnsutils', 'rsync', 'sqlite3', 'libxml2-dev', 'libjpeg-dev', 'fonts-dejavu-core'];
const APK = ['curl', 'ca-certificates', 'git', 'bash', 'tini', 'tzdata', 'jq', 'openssl', 'build-base', 'musl-dev', 'libffi-dev', 'postgresql-client', 'su-exec', 'shadow', 'zstd', 'py3-pip'];
const WORDS = ['build', 'cache', 'deps', 'runtime', 'install', 'the', 'image', 'layer', 'keep', 'small', 'tools', 'for', 'tests', 'pinned', 'see', 'docs', 'production', 'debug', 'user', 'certificates', 'before', 'after', 'copy', 'only', 'what', 'is', 'needed', 'stage', 'fast', 'rebuilds', 'CI'];
const COMMENT_STARTS = ['Install', 'Build', 'Copy', 'Keep', 'Use', 'NOTE:', 'TODO:', 'Run', 'Set up', 'Pin', 'Cache', 'Drop', 'Add', 'Create', 'Expose'];
const STAGE_NAMES = ['base', 'deps', 'build', 'builder', 'test', 'assets', 'compile', 'tools', 'prod-deps', 'lint', 'docs', 'release', 'dev', 'final-build'];

function proseComment(r, prefix = '# ') {
  const words = [r.pick(COMMENT_STARTS)];
  for (let n = r.int(2, 10); n > 0; n--) words.push(r.pick(WORDS));
  return `${prefix}${words.join(' ')}${r.chance(0.3) ? '.' : ''}`;
}

function aptRun(r, { mount, comments }) {
  const pkgs = r.some(APT, 3, 18).sort();
  const first = mount
    ? '--mount=type=cache,target=/var/cache/apt,sharing=locked'
    : 'apt-get update';
  const more = [];
  if (mount) {
    more.push(text('    --mount=type=cache,target=/var/lib/apt,sharing=locked'));
    more.push(text('    apt-get update'));
  }
  more.push(text('    && apt-get install -y --no-install-recommends'));
  for (const p of pkgs) {
    if (comments && r.chance(0.12)) more.push(comment(`    # ${r.pick(WORDS)} ${r.pick(WORDS)} for ${p}`));
    more.push(text(`        ${p}`));
  }
  if (!mount) more.push(text('    && rm -rf /var/lib/apt/lists/*'));
  return ins('RUN', first, more);
}

function apkRun(r, { mount }) {
  const pkgs = r.some(APK, 2, 10).sort();
  if (mount) return ins('RUN', '--mount=type=cache,target=/var/cache/apk', [text(`    apk add --update ${pkgs.join(' ')}`)]);
  if (pkgs.length > 5) return ins('RUN', 'apk add --no-cache', pkgs.map((p) => text(`      ${p}`)));
  return ins('RUN', `apk add --no-cache ${pkgs.join(' ')}`);
}

function chainRun(r, { comments }) {
  const steps = [];
  for (let n = r.int(2, 8); n > 0; n--) {
    steps.push(r.pick([
      `mkdir -p /opt/${r.pick(WORDS)}/${r.pick(WORDS)}`,
      `chown -R 10001:10001 /opt/${r.pick(WORDS)}`,
      `ln -sf /usr/share/zoneinfo/UTC /etc/localtime`,
      `curl -fsSL https://example.com/${r.pick(WORDS)}.tar.gz | tar -xz -C /opt`,
      `echo "${r.pick(WORDS)}=${r.int(1, 99)}" >> /etc/app.conf`,
      `useradd --system --uid ${r.int(1000, 65000)} --create-home app`,
      `rm -rf /tmp/* /var/tmp/*`,
      `sed -i 's/#${r.pick(WORDS)}/${r.pick(WORDS)}/' /etc/${r.pick(WORDS)}.conf`,
      `chmod 0755 /usr/local/bin/${r.pick(WORDS)}`,
      `test -x /usr/local/bin/${r.pick(WORDS)} || exit 1`,
    ]));
  }
  const more = [];
  for (const s of steps.slice(1)) {
    if (comments && r.chance(0.15)) more.push(comment(proseComment(r, '    # ')));
    more.push(text(`    && ${s}`));
  }
  return ins('RUN', `set -eux; ${steps[0]}`, more);
}

function heredocRun(r, { escapeBacktick }) {
  const name = r.pick(['EOF', 'EOT', 'SCRIPT', 'SH']);
  const chomp = r.chance(0.2);
  const quoted = r.chance(0.25);
  const marker = `<<${chomp ? '-' : ''}${quoted ? `'${name}'` : name}`;
  const pad = chomp ? '\t' : '';
  const body = ['set -eu'];
  for (let n = r.int(2, 14); n > 0; n--) {
    body.push(r.pick([
      `echo "${r.pick(WORDS)} ${r.pick(WORDS)}"`,
      `# ${r.pick(WORDS)} ${r.pick(WORDS)}`,
      `mkdir -p /srv/${r.pick(WORDS)}`,
      `if [ -f /etc/${r.pick(WORDS)} ]; then`,
      `  cp /etc/${r.pick(WORDS)} /tmp/`,
      `fi`,
      `export PATH="/opt/${r.pick(WORDS)}/bin:$PATH"`,
      `apt-get -q update >/dev/null`,
      `printf '%s\\n' "${r.pick(WORDS)}" > /etc/${r.pick(WORDS)}`,
      '',
    ]));
  }
  const head = r.chance(0.5) ? marker : `${r.pick(['bash', 'sh -e', 'python3'])} ${marker}`;
  const flags = r.chance(0.3) && !escapeBacktick ? `--mount=type=cache,target=/root/.cache ` : '';
  return ins('RUN', `${flags}${head}`, [], [...body.map((l) => (l ? pad + l : l)), `${pad}${name}`]);
}

function heredocCopy(r) {
  const name = r.pick(['EOF', 'CONF', 'EOT']);
  const dest = r.pick(['/etc/app/config.yaml', '/etc/nginx/conf.d/extra.conf', '/usr/local/bin/entrypoint.sh', '/app/.env.defaults']);
  const body = [];
  for (let n = r.int(1, 8); n > 0; n--) body.push(`${r.pick(WORDS)}: ${r.pick(WORDS)}-${r.int(1, 9)}`);
  const flags = dest.endsWith('.sh') ? '--chmod=0755 ' : '';
  return ins('COPY', `${flags}<<${name} ${dest}`, [], [...body, name]);
}

function twoHeredocs(r) {
  return ins('RUN', 'cat <<A > /etc/a.conf && cat <<B > /etc/b.conf', [], [`a=${r.int(1, 9)}`, 'A', `b=${r.pick(WORDS)}`, 'B']);
}

function envBlock(r) {
  const pairs = [];
  for (let n = r.int(1, 6); n > 0; n--) pairs.push(`${r.pick(['APP', 'LOG', 'HTTP', 'CACHE', 'FEATURE', 'DB'])}_${r.pick(['LEVEL', 'PORT', 'DIR', 'MODE', 'HOST', 'FLAG'])}${r.int(1, 9)}=${r.pick(['1', 'info', '/var/lib/app', 'production', '"with spaces"', '${PORT:-8080}'])}`);
  if (pairs.length === 1 || r.chance(0.3)) return ins('ENV', pairs.join(' '));
  return ins('ENV', pairs[0], pairs.slice(1).map((p) => text(`    ${p}`)));
}

function labelBlock(r) {
  const labels = [
    'org.opencontainers.image.source="https://github.com/acme/app"',
    'org.opencontainers.image.licenses="MIT"',
    `org.opencontainers.image.version="${r.int(0, 9)}.${r.int(0, 30)}.${r.int(0, 9)}"`,
    'org.opencontainers.image.vendor="ACME"',
    `maintainer="team-${r.pick(WORDS)}@example.com"`,
    'org.opencontainers.image.description="Service image"',
  ];
  const picked = r.some(labels, 1, 6);
  if (picked.length === 1) return ins('LABEL', picked[0]);
  return ins('LABEL', picked[0], picked.slice(1).map((l) => text(`      ${l}`)));
}

function cmdLike(r, kw, argv) {
  const sep = r.chance(0.2) ? ',' : ', ';
  if (r.chance(0.8)) return ins(kw, '[' + argv.map((s) => JSON.stringify(s)).join(sep) + ']');
  return ins(kw, argv.join(' '));
}

function filler(r, env, eco, stageNames) {
  const { escapeBacktick, comments } = env;
  const roll = r.next();
  if (roll < 0.14) return aptRun(r, { mount: !escapeBacktick && r.chance(0.4), comments });
  if (roll < 0.22) return apkRun(r, { mount: !escapeBacktick && r.chance(0.4) });
  if (roll < 0.36) return chainRun(r, { comments });
  if (roll < 0.44) return heredocRun(r, { escapeBacktick });
  if (roll < 0.47) return heredocCopy(r);
  if (roll < 0.48) return twoHeredocs(r);
  if (roll < 0.55) return envBlock(r);
  if (roll < 0.59) return labelBlock(r);
  if (roll < 0.64) return ins('ARG', r.pick(['VERSION', 'TARGETOS', 'TARGETARCH', 'BUILD_DATE', 'GIT_SHA', `${r.pick(['APP', 'NODE', 'GO'])}_VERSION=${r.int(1, 22)}`]));
  if (roll < 0.72) {
    const from = stageNames.length && r.chance(0.4) ? `--from=${r.pick(stageNames)} ` : '';
    const chown = r.chance(0.2) ? '--chown=app:app ' : '';
    const link = r.chance(0.15) ? '--link ' : '';
    return ins('COPY', `${from}${chown}${link}${r.pick(['./src', 'config/', 'scripts/*.sh', '.', ...eco.manifests])} ${r.pick(['./', '/app/', '/usr/local/bin/', '/etc/app/'])}`);
  }
  if (roll < 0.74) return ins('ADD', r.chance(0.5) ? `--checksum=sha256:${'0123456789abcdef'.repeat(4)} https://example.com/tool-${r.int(1, 9)}.tar.gz /tmp/` : `vendor/${r.pick(WORDS)}.tar.gz /opt/`);
  if (roll < 0.78) return ins('WORKDIR', `/${r.pick(['app', 'srv', 'opt/app', 'src', 'workspace'])}`);
  if (roll < 0.81) return ins('EXPOSE', `${r.pick(eco.port)}${r.chance(0.3) ? '/tcp' : ''}`);
  if (roll < 0.84) return ins('USER', r.pick(['app', 'node', 'nobody', '10001:10001', 'nonroot:nonroot']));
  if (roll < 0.86) return ins('VOLUME', r.chance(0.5) ? '["/data"]' : '/var/lib/app /var/log/app');
  if (roll < 0.88) return ins('SHELL', '["/bin/bash", "-o", "pipefail", "-c"]');
  if (roll < 0.90) return ins('HEALTHCHECK', `--interval=30s --timeout=3s --retries=3`, [text(`    CMD curl -fsS http://localhost:${r.pick(eco.port)}/healthz || exit 1`)]);
  if (roll < 0.92) return ins('STOPSIGNAL', r.pick(['SIGTERM', 'SIGQUIT', 'SIGINT']));
  if (roll < 0.94) return ins('ONBUILD', r.pick(['COPY . /app/src', 'RUN make -C /app/src', 'ARG BUILD_ENV=prod']));
  if (roll < 0.95) return ins('MAINTAINER', 'Platform Team <platform@example.com>');
  if (roll < 0.975) return ins('RUN', `--mount=type=secret,id=${r.pick(['npmrc', 'netrc', 'pip_conf'])},target=/root/.${r.pick(['npmrc', 'netrc'])} ${r.pick(eco.install)}`);
  return ins('RUN', `--mount=type=bind,source=${r.pick(eco.manifests)},target=/tmp/${r.pick(eco.manifests)} ${r.pick(eco.install)}`);
}

/** One stage: a FROM, a realistic core for its role, then filler up to `budget` lines. */
function stage(r, env, eco, { role, name, stageNames, budget }) {
  const out = [];
  const base = role === 'final' ? r.pick(eco.runtime) : r.chance(0.25) && stageNames.length ? r.pick(stageNames) : r.pick(eco.build);
  const platform = role !== 'final' && r.chance(0.25) ? '--platform=$BUILDPLATFORM ' : '';
  const as = name ? ` ${env.lowercase === 'all' || r.chance(0.1) ? 'as' : 'AS'} ${name}` : '';
  out.push(ins('FROM', `${platform}${base}${as}`));
  const mount = !env.escapeBacktick && r.chance(0.5);
  if (role === 'build') {
    if (platform) out.push(ins('ARG', r.chance(0.5) ? 'TARGETOS TARGETARCH' : 'TARGETPLATFORM'));
    out.push(ins('WORKDIR', r.pick(['/app', '/src', '/build'])));
    out.push(ins('COPY', `${eco.manifests.join(' ')} ./`));
    out.push(mount
      ? ins('RUN', `--mount=type=cache,target=${eco.cache}${r.chance(0.3) ? ',sharing=locked' : ''}`, [text(`    ${r.pick(eco.install)}`)])
      : ins('RUN', r.pick(eco.install)));
    out.push(ins('COPY', '. .'));
    out.push(mount ? ins('RUN', `--mount=type=cache,target=${eco.cache} ${r.pick(eco.build_)}`) : ins('RUN', r.pick(eco.build_)));
  } else if (role === 'final') {
    for (const s of stageNames.slice(-2)) out.push(ins('COPY', `--from=${s} ${r.pick(eco.out)} ${r.pick(['/app/', '/usr/local/bin/', '/'])}`));
  }
  let lines = out.reduce((n, i) => n + lineCount(i), 0);
  while (lines < budget) {
    const f = filler(r, env, eco, stageNames);
    out.splice(role === 'build' ? r.int(1, out.length) : out.length, 0, f);
    lines += lineCount(f);
  }
  if (role === 'final') {
    if (r.chance(0.5)) out.push(ins('USER', r.pick(['app', 'nonroot', '10001'])));
    if (r.chance(0.6)) out.push(ins('EXPOSE', String(r.pick(eco.port))));
    const argv = r.pick(eco.cmd);
    if (r.chance(0.35)) {
      out.push(cmdLike(r, 'ENTRYPOINT', [argv[0]]));
      if (argv.length > 1) out.push(cmdLike(r, 'CMD', argv.slice(1)));
    } else out.push(cmdLike(r, 'CMD', argv));
  }
  return out;
}

function synthetic(r, env, eco, targetLines, stageCount) {
  const out = [];
  const stageNames = [];
  const perStage = Math.max(2, Math.floor(targetLines / stageCount));
  for (let s = 0; s < stageCount; s++) {
    const final = s === stageCount - 1;
    let name;
    if (!final || r.chance(0.15)) {
      name = r.pick(STAGE_NAMES.filter((n) => !stageNames.includes(n))) ?? `stage${s}`;
    }
    out.push(...stage(r, env, eco, { role: final ? 'final' : 'build', name, stageNames: stageNames.slice(), budget: perStage }));
    if (name) stageNames.push(name);
  }
  if (r.chance(0.2)) out.splice(0, 0, ins('ARG', `BASE_TAG=${r.int(1, 20)}`));
  return out;
}

// --- a file --------------------------------------------------------------------------------------------

const SYNTAX = ['docker/dockerfile:1', 'docker/dockerfile:1.7', 'docker/dockerfile:1.4', 'docker/dockerfile:1-labs', 'docker/dockerfile:1.9'];

function renderFile(r, instructions, env) {
  const lines = [];
  const directives = [];
  if (env.syntax) directives.push(r.chance(0.9) ? `# syntax=${env.syntax}` : `#syntax = ${env.syntax}`);
  if (env.escapeBacktick) directives.push('# escape=`');
  if (env.check) directives.push('# check=skip=JSONArgsRecommended');
  if (r.chance(0.5)) directives.reverse();
  lines.push(...directives);
  if (r.chance(0.4)) {
    if (directives.length) lines.push('');
    for (let n = r.int(1, 4); n > 0; n--) lines.push(proseComment(r));
  }
  const opts = { escape: env.escapeBacktick ? '`' : '\\', lowercase: env.lowercase, indent: '' };
  let prev;
  for (const i of instructions) {
    const newStage = i.kw === 'FROM';
    if (prev && (newStage ? r.chance(0.85) : r.chance(env.blankRate))) lines.push('');
    if (prev && newStage && r.chance(0.1)) lines.push('');
    if (r.chance(newStage ? env.commentRate * 2 : env.commentRate)) {
      for (let n = r.chance(0.8) ? 1 : r.int(2, 3); n > 0; n--) lines.push(proseComment(r));
    }
    opts.indent = env.indentRate && !newStage && r.chance(env.indentRate) ? r.pick(['  ', '    ', '\t']) : '';
    lines.push(...renderInstruction(i, opts));
    prev = i;
  }
  let body = lines.join(env.eol);
  if (env.finalNewline) body += env.eol;
  if (env.trailingBlank) body += env.eol;
  return (env.bom ? '\ufeff' : '') + body;
}

function fileEnv(r) {
  const escapeBacktick = r.chance(0.06);
  const lc = r.next();
  return {
    eol: r.chance(0.25) ? '\r\n' : '\n',
    bom: r.chance(0.07),
    syntax: r.chance(0.35) ? r.pick(SYNTAX) : undefined,
    escapeBacktick,
    check: r.chance(0.04),
    lowercase: lc < 0.1 ? 'all' : lc < 0.13 ? 'mixed' : 'none',
    comments: r.chance(0.5),
    commentRate: r.pick([0, 0.05, 0.15, 0.3]),
    blankRate: r.pick([0, 0.1, 0.25, 0.5]),
    indentRate: r.chance(0.08) ? 0.5 : 0,
    finalNewline: r.chance(0.95),
    trailingBlank: r.chance(0.05),
  };
}

function pickEco(r) {
  let total = 0;
  for (const n of ECO_NAMES) total += ECO_WEIGHTS[n];
  let x = r.next() * total;
  for (const n of ECO_NAMES) {
    x -= ECO_WEIGHTS[n];
    if (x < 0) return n;
  }
  return ECO_NAMES[0];
}

/** Seed instructions that a file with this escape can render unchanged (no accidental continuations). */
function seedUsable(instructions) {
  return instructions.every((i) => {
    for (let k = 0; k < i.parts.length; k++) {
      const p = i.parts[k];
      if (p.s === undefined) continue;
      if (/[\\`][ \t]*$/.test(p.s)) return false; // would end in a (maybe different) escape character
    }
    return true;
  });
}

/** Returns { kind, eco, env, text, expected } — expected: the keywords the parser must find, in order. */
function makeDockerfile(r, seeds, eco) {
  const env = fileEnv(r);
  const roll = r.next();
  let instructions;
  let kind;
  const seed = seeds.length ? r.pick(seeds) : undefined;
  if (seed && roll < 0.2 && seedUsable(seed.instructions)) {
    // A repo Dockerfile, re-rendered with this file's variations, sometimes with a few extra instructions.
    kind = 'seed';
    instructions = seed.instructions.slice();
    for (let n = r.chance(0.5) ? r.int(1, 4) : 0; n > 0; n--) instructions.splice(r.int(1, instructions.length), 0, filler(r, env, ECOSYSTEMS[eco], []));
  } else if (roll < 0.45) {
    kind = 'small';
    instructions = synthetic(r, env, ECOSYSTEMS[eco], r.int(3, 12), r.chance(0.7) ? 1 : 2);
  } else if (roll < 0.85) {
    kind = 'medium';
    instructions = synthetic(r, env, ECOSYSTEMS[eco], r.int(12, 40), r.int(1, 3));
  } else {
    kind = 'large';
    instructions = synthetic(r, env, ECOSYSTEMS[eco], r.int(45, 220), r.int(2, 6));
  }
  if (kind !== 'seed' && seed && r.chance(0.15) && seedUsable(seed.instructions)) {
    // Graft a repo stage in front: its exact text (Windows paths, heredocs, comment-in-continuation) gets reused.
    instructions = [...seed.instructions, ...instructions];
  }
  const text = renderFile(r, instructions, env);
  // Long files stay within 300 lines (comments and blank lines come on top of the generated budget).
  if (text.split('\n').length > 301) return makeDockerfile(r, seeds, eco);
  return { kind, eco, env, text, expected: instructions.map((i) => i.kw) };
}

/** Parses a generated file: it must not throw, and must hold exactly the instructions generated. */
export function checkDockerfile(text, expected) {
  let model;
  try {
    model = parseDockerfile(text);
  } catch (e) {
    return `throws: ${e.message}`;
  }
  const got = model.instructions.map((i) => i.keyword);
  if (got.length !== expected.length || got.some((k, n) => k !== expected[n])) {
    return `instructions differ: expected ${expected.length}, parsed ${got.length}`;
  }
  return { unsafe: model.unsafe.length > 0 };
}

// --- build contexts ----------------------------------------------------------------------------------

function contextFiles(r, eco, name) {
  const files = {};
  switch (eco) {
    case 'node':
    case 'static':
      files['package.json'] = JSON.stringify({ name, version: `1.${r.int(0, 20)}.0`, private: true, scripts: { build: 'tsc -p .', start: 'node dist/server.js' }, dependencies: { express: '^4.19.2', pino: '^9.3.0' }, devDependencies: { typescript: '^5.5.0' } }, null, 2) + '\n';
      files['package-lock.json'] = JSON.stringify({ name, lockfileVersion: 3, requires: true, packages: {} }, null, 2) + '\n';
      files['src/server.js'] = "import express from 'express';\nexpress().listen(process.env.PORT ?? 3000);\n";
      if (eco === 'static') files['public/index.html'] = '<!doctype html><title>site</title>\n';
      break;
    case 'go':
      files['go.mod'] = `module example.com/${name}\n\ngo 1.22\n\nrequire github.com/go-chi/chi/v5 v5.1.0\n`;
      files['go.sum'] = 'github.com/go-chi/chi/v5 v5.1.0 h1:acVI1TYaD+hhedDJ3r54HyA6sExp3HfXq7QWEEY/xMw=\n';
      files['cmd/app/main.go'] = 'package main\n\nfunc main() {}\n';
      break;
    case 'python':
      files['requirements.txt'] = r.some(['flask==3.0.3', 'gunicorn==22.0.0', 'celery==5.4.0', 'psycopg[binary]==3.2.1', 'pydantic==2.8.2', 'requests==2.32.3'], 2, 5).join('\n') + '\n';
      files['pyproject.toml'] = `[project]\nname = "${name}"\nversion = "0.${r.int(1, 9)}.0"\nrequires-python = ">=3.11"\n`;
      files['app/__init__.py'] = '';
      break;
    case 'rust':
      files['Cargo.toml'] = `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n`;
      files['Cargo.lock'] = '# This file is automatically @generated by Cargo.\nversion = 3\n';
      files['src/main.rs'] = 'fn main() {}\n';
      break;
    case 'java':
      files['pom.xml'] = `<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>${name}</artifactId><version>1.0</version></project>\n`;
      files['src/main/java/App.java'] = 'public class App { public static void main(String[] a) {} }\n';
      break;
    default:
      files['Makefile'] = 'all:\n\t@echo build\n';
      files['entrypoint.sh'] = '#!/bin/sh\nexec "$@"\n';
  }
  if (r.chance(0.3)) files['.dockerignore'] = ['.git', 'node_modules', '*.log', 'dist', '.env'].slice(0, r.int(1, 5)).join('\n') + '\n';
  if (r.chance(0.3)) files['README.md'] = `# ${name}\n`;
  if (r.chance(0.2)) files['config/app.yaml'] = 'log: info\n';
  return files;
}

const DOCKERFILE_NAMES = ['Dockerfile', 'Dockerfile', 'Dockerfile', 'Dockerfile', 'Dockerfile', 'Dockerfile', 'Dockerfile', 'Containerfile', 'app.Dockerfile'];
const EXTRA_NAMES = ['Dockerfile.dev', 'Dockerfile.prod', 'Dockerfile.test', 'ci.Dockerfile'];

// --- the corpus ----------------------------------------------------------------------------------------

/**
 * Writes `files` Dockerfiles under `dir` (created; must be empty or absent): dir/gNN/NNNN-eco/Dockerfile…
 * Returns { dir, dockerfiles: [{ abs, text, kind, lines }], stats }.
 */
export function generateCorpus({ dir, files = 3000, seed = 1, repoRoot = REPO_ROOT } = {}) {
  const r = prng(seed);
  const seeds = loadSeeds(repoRoot);
  fs.mkdirSync(dir, { recursive: true });
  const dockerfiles = [];
  const made = new Set();
  const mkdir = (d) => {
    if (made.has(d)) return;
    fs.mkdirSync(d, { recursive: true });
    made.add(d);
  };
  const stats = { seeds: seeds.length, kinds: {}, crlf: 0, bom: 0, syntax: 0, escape: 0, lowercase: 0, heredoc: 0, mount: 0, jsonCmd: 0, unsafe: 0, rejected: 0, rejections: {}, lines: [], bytes: 0, contexts: 0 };
  let ctx = 0;
  while (dockerfiles.length < files) {
    const eco = pickEco(r); // the Dockerfiles and the context files of a directory are of one ecosystem
    const ctxDir = path.join(dir, `g${String(Math.floor(ctx / 100)).padStart(2, '0')}`, `${String(ctx).padStart(4, '0')}-${eco}`);
    const names = [r.pick(DOCKERFILE_NAMES)];
    if (r.chance(0.08) && dockerfiles.length + 1 < files) names.push(r.pick(EXTRA_NAMES));
    const written = [];
    for (const name of names) {
      let good;
      for (let attempt = 0; attempt < 20 && !good; attempt++) {
        const d = makeDockerfile(r, seeds, eco);
        const check = checkDockerfile(d.text, d.expected);
        if (typeof check === 'string') {
          stats.rejected++;
          const why = check.replace(/\d+/g, 'N').slice(0, 60);
          stats.rejections[why] = (stats.rejections[why] ?? 0) + 1;
          continue;
        }
        good = { ...d, unsafe: check.unsafe };
      }
      if (!good) throw new Error('bench-data: could not generate a valid Dockerfile in 20 attempts');
      written.push({ name, ...good });
    }
    mkdir(ctxDir);
    for (const [rel, content] of Object.entries(contextFiles(r, eco, `svc-${ctx}`))) {
      const p = path.join(ctxDir, rel);
      mkdir(path.dirname(p));
      fs.writeFileSync(p, content);
    }
    for (const w of written) {
      const abs = path.join(ctxDir, w.name);
      fs.writeFileSync(abs, w.text);
      const lines = w.text.split('\n').length - (w.text.endsWith('\n') ? 1 : 0);
      dockerfiles.push({ abs, text: w.text, kind: w.kind, lines });
      stats.kinds[w.kind] = (stats.kinds[w.kind] ?? 0) + 1;
      if (w.env.eol === '\r\n') stats.crlf++;
      if (w.env.bom) stats.bom++;
      if (/^\ufeff?#\s*syntax\s*=/i.test(w.text)) stats.syntax++;
      if (w.env.escapeBacktick) stats.escape++;
      if (w.env.lowercase !== 'none') stats.lowercase++;
      if (/<<-?['"]?[A-Z]/.test(w.text)) stats.heredoc++;
      if (w.text.includes('--mount=')) stats.mount++;
      if (/^(CMD|ENTRYPOINT|cmd|entrypoint|Cmd|Entrypoint) \[/m.test(w.text)) stats.jsonCmd++;
      if (w.unsafe) stats.unsafe++;
      stats.lines.push(lines);
      stats.bytes += Buffer.byteLength(w.text);
    }
    stats.contexts++;
    ctx++;
  }
  return { dir, dockerfiles, stats };
}

/** One line per property, for the bench header. */
export function describeCorpus({ dockerfiles, stats }) {
  const n = dockerfiles.length;
  const lines = stats.lines.slice().sort((a, b) => a - b);
  const pct = (x) => `${Math.round((100 * x) / n)}%`;
  const q = (p) => lines[Math.min(lines.length - 1, Math.floor(p * lines.length))];
  const kinds = Object.entries(stats.kinds).map(([k, v]) => `${k} ${v}`).join(', ');
  const out = [
    `${n} Dockerfiles in ${stats.contexts} build contexts, ${(stats.bytes / 1024).toFixed(0)} KiB; from ${stats.seeds} repo Dockerfiles + synthetic (${kinds})`,
    `lines per file: min ${lines[0]}, median ${q(0.5)}, p90 ${q(0.9)}, max ${lines[lines.length - 1]}; ${lines.filter((l) => l >= 50).length} files with 50+ lines`,
    `CRLF ${pct(stats.crlf)}, BOM ${pct(stats.bom)}, # syntax ${pct(stats.syntax)}, # escape=\` ${pct(stats.escape)}, lowercase ${pct(stats.lowercase)}, heredocs ${pct(stats.heredoc)}, --mount ${pct(stats.mount)}, JSON CMD/ENTRYPOINT ${pct(stats.jsonCmd)}, unsafe regions ${pct(stats.unsafe)}`,
  ];
  if (stats.rejected) out.push(`regenerated ${stats.rejected} candidates that did not parse as generated: ${JSON.stringify(stats.rejections)}`);
  return out;
}

// --- standalone ---------------------------------------------------------------------------------------

export const MANIFEST = 'corpus.json';

/** What a corpus depends on (this generator, the seed files, the settings): equal settings, same corpus. */
export function corpusSettings(files, seed, repoRoot = REPO_ROOT) {
  let h = 2166136261;
  const mix = (str) => {
    for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 16777619);
  };
  mix(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8'));
  for (const f of seedFiles(repoRoot)) mix(f + '\0' + fs.readFileSync(f, 'utf8'));
  return { files, seed, generator: (h >>> 0).toString(16) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const k = process.argv.indexOf(name);
    return k >= 0 ? process.argv[k + 1] : dflt;
  };
  const out = path.resolve(arg('--out', path.join(REPO_ROOT, 'bench-data')));
  const settings = corpusSettings(Number(arg('--files', 3000)), Number(arg('--seed', 1)));
  // Replace only a corpus of ours (or an empty directory): --out pointing at anything else is a mistake.
  let entries = [];
  try {
    entries = fs.readdirSync(out);
  } catch {
    /* absent: fine */
  }
  if (entries.length && !entries.includes(MANIFEST)) {
    console.error(`bench-data: ${out} is not empty and holds no ${MANIFEST}; not overwriting it`);
    process.exit(1);
  }
  fs.rmSync(out, { recursive: true, force: true });
  // A placeholder first: a run cut short leaves a directory that the next run recognises and replaces.
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, MANIFEST), JSON.stringify({ settings: null, incomplete: true }));
  const start = performance.now();
  const corpus = generateCorpus({ dir: out, files: settings.files, seed: settings.seed });
  const files = corpus.dockerfiles.map((d) => ({ rel: path.relative(out, d.abs), kind: d.kind, lines: d.lines }));
  fs.writeFileSync(path.join(out, MANIFEST), JSON.stringify({ settings, ms: performance.now() - start, stats: corpus.stats, files }));
  if (!process.argv.includes('--quiet')) {
    for (const l of describeCorpus(corpus)) console.log(l);
    console.log(`written to ${out}`);
  }
}
