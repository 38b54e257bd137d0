// The stage graph (src/dockerfile/stages.ts) and the image-path helpers (src/dockerfile/paths.ts): BuildKit's
// resolution rules for FROM, COPY --from (names, indices), RUN --mount from, ONBUILD triggers, ARG-driven bases,
// and WORKDIR resolution.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import { buildStageGraph, imageWorkdir, officialImageName } from '../src/dockerfile/stages.js';
import { cleanAbs, contextRel, isAncestor, isWithin, matchComponent, relation, resolveIn } from '../src/dockerfile/paths.js';

const graph = (text: string) => buildStageGraph(parseDockerfile(text));
const deps = (text: string, i: number) => {
  const d = graph(text).dependencies(i);
  return { stages: [...d.stages].sort((a, b) => a - b), unknown: d.unknown };
};

test('base stages, COPY --from by name and by index, RUN --mount from, transitively', () => {
  const text = [
    'FROM alpine:3.20 AS base',
    'RUN apk add curl',
    'FROM base AS build',
    'RUN make',
    'FROM golang AS tools',
    'FROM scratch AS out',
    'COPY --from=build /out /out',
    'COPY --from=2 /go/bin/x /x',
    'RUN --mount=from=tools,source=/go,target=/go true',
    '',
  ].join('\n');
  const g = graph(text);
  assert.equal(g.nodes.map((n) => n.base.kind), ['image', 'stage', 'image', 'scratch']);
  assert.equal(deps(text, 3), { stages: [0, 1, 2], unknown: false });
  assert.equal(deps(text, 1), { stages: [0], unknown: false });
  const refs = g.nodes[3]!.refs;
  assert.equal(refs.map((r) => [r.kind, r.value, r.target, r.numeric]), [
    ['copy', 'build', 1, false],
    ['copy', '2', 2, true],
    ['mount', 'tools', 2, false],
  ]);
  assert.equal(g.dependents(1).map((n) => n.index), [3]);
  assert.equal(g.chain(1), [0, 1]);
});

test('names are case-insensitive; images and named contexts are not stages', () => {
  const text = 'FROM alpine AS Builder\nFROM scratch\nCOPY --from=BUILDER /a /a\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /n\nCOPY --from=docs /d /d\n';
  const g = graph(text);
  assert.is(g.nodes[0]!.name, 'builder');
  assert.equal(g.nodes[1]!.refs.map((r) => r.target), [0, undefined, undefined]);
  assert.is(g.display(0), 'Builder');
  assert.is(g.display(1), 'stage-1');
});

test('FROM names only earlier stages; a later stage of that name is an image', () => {
  const g = graph('FROM later AS first\nFROM alpine AS later\n');
  assert.equal(g.nodes[0]!.base, { kind: 'image', ref: 'later' });
});

test('a numeric RUN --mount from is an image, not a stage index; a numeric --from out of range resolves to nothing', () => {
  const g = graph('FROM alpine\nFROM alpine\nRUN --mount=from=0,target=/x true\nCOPY --from=7 /a /a\n');
  assert.equal(g.nodes[1]!.refs.map((r) => r.target), [undefined, undefined]);
});

test('ARG-driven FROM and --from with variables: unknown, never guessed', () => {
  const text = 'ARG BASE=build\nFROM alpine AS build\nFROM ${BASE} AS app\nFROM scratch\nCOPY --from=app /a /a\n';
  const g = graph(text);
  assert.equal(g.nodes[1]!.base, { kind: 'arg', ref: '${BASE}' });
  assert.equal(deps(text, 2), { stages: [1], unknown: true });
  assert.is(g.workdirAt(1), undefined);
  assert.equal(g.root(1), { kind: 'arg', ref: '${BASE}' });
  const g2 = graph('FROM alpine AS a\nFROM scratch\nCOPY --from=$X /a /a\n');
  assert.ok(g2.nodes[1]!.refs[0]!.unknown);
});

test('a variable base that cannot expand to a stage name is an image (alpine:${V}, ${REGISTRY}/node:20)', () => {
  const g = graph('ARG V=3.20\nARG R=docker.io\nFROM alpine:${V} AS a\nFROM ${R}/library/node:20 AS b\nFROM ${V:-x} AS c\nFROM golang:${GO_VERSION}-alpine AS d\n');
  assert.equal(g.nodes[0]!.base, { kind: 'image', ref: 'alpine:${V}' });
  assert.equal(g.nodes[1]!.base, { kind: 'image', ref: '${R}/library/node:20' });
  assert.equal(g.nodes[2]!.base, { kind: 'arg', ref: '${V:-x}' }, 'the colon is inside the variable');
  assert.is(g.workdirAt(0), '/');
  assert.is(g.workdirAt(1), undefined, 'registry unknown');
  assert.is(g.workdirAt(3), '/go');
  assert.equal(deps('FROM alpine AS a\nFROM a:${T} AS b\nFROM scratch\nCOPY --from=b /x /x\n', 2), { stages: [1], unknown: false });
});

test('ONBUILD triggers are references of the stages built FROM that stage', () => {
  const text = 'FROM alpine AS src\nFROM alpine AS base\nONBUILD COPY --from=src /a /a\nFROM base AS child\nFROM alpine AS other\n';
  const g = graph(text);
  assert.equal(g.nodes[1]!.refs.length, 0, 'the declaring stage does not run its own trigger');
  assert.equal(g.nodes[2]!.refs.map((r) => [r.kind, r.target, !!r.trigger]), [['base', 1, false], ['copy', 0, true]]);
  assert.equal(deps(text, 2), { stages: [0, 1], unknown: false });
});

test('WORKDIR: scratch is /, known official images, relative steps, variables and unknown images', () => {
  const text = [
    'FROM scratch AS s',
    'WORKDIR app',
    'WORKDIR ../srv/./x',
    'FROM alpine:3.20 AS a',
    'FROM s AS child',
    'WORKDIR y',
    'FROM golang:1.22-alpine AS go',
    'FROM myorg/base AS unknown',
    'WORKDIR rel',
    'FROM unknown AS abs',
    'WORKDIR /opt/app',
    'FROM alpine AS v',
    'WORKDIR $HOME',
    '',
  ].join('\n');
  const g = graph(text);
  assert.is(g.workdirAt(0), '/srv/x');
  assert.is(g.workdirAt(0, g.nodes[0]!.stage.instructions[2]!.index), '/app', 'before the second WORKDIR');
  assert.is(g.workdirAt(1), '/');
  assert.is(g.workdirAt(2), '/srv/x/y');
  assert.is(g.workdirAt(3), '/go');
  assert.is(g.workdirAt(4), undefined);
  assert.is(g.workdirAt(5), '/opt/app');
  assert.is(g.workdirAt(6), undefined);
});

test('official image names: tags, digests, library/ and docker.io only', () => {
  assert.is(officialImageName('alpine:3.20'), 'alpine');
  assert.is(officialImageName('docker.io/library/alpine@sha256:abc'), 'alpine');
  assert.is(officialImageName('library/node:20-alpine'), 'node');
  assert.is(officialImageName('ghcr.io/acme/alpine'), undefined);
  assert.is(officialImageName('localhost:5000/alpine'), undefined);
  assert.is(officialImageName('acme/alpine'), undefined);
  assert.is(imageWorkdir('python:3.12-slim'), '/');
  assert.is(imageWorkdir('ruby:3'), undefined);
});

test('paths: clean, resolve, containment, context sources', () => {
  assert.is(cleanAbs('a/./b/../c/'), '/a/c');
  assert.is(cleanAbs('../../x'), '/x');
  assert.is(resolveIn('/etc/app', './config'), '/etc/app/config');
  assert.is(resolveIn('/etc/app', '/abs'), '/abs');
  assert.is(contextRel('./dummy'), 'dummy');
  assert.is(contextRel('../outside/x'), 'outside/x');
  assert.is(contextRel('.'), '');
  assert.ok(isWithin('/a/b', '/a') && isWithin('/a', '/a') && isWithin('/x', '/'));
  assert.not.ok(isWithin('/ab', '/a'));
  assert.ok(isAncestor('/a', '/a/b'));
  assert.not.ok(isAncestor('/a', '/a'));
});

test('globs: filepath.Match per component, and how a pattern relates to a path', () => {
  assert.ok(matchComponent('*.yaml', 'app.yaml'));
  assert.not.ok(matchComponent('*.yaml', 'app.yml'));
  assert.ok(matchComponent('conf?', 'conf1'));
  assert.ok(matchComponent('[a-c]x', 'bx'));
  assert.ok(matchComponent('[^a-c]x', 'dx'));
  assert.ok(matchComponent('a\\*', 'a*'));
  assert.not.ok(matchComponent('[', '['));
  assert.is(relation('/etc/app/config/x', '/etc/app/config'), 'within');
  assert.is(relation('/etc/app', '/etc/app/config'), 'above');
  assert.is(relation('/', '/etc'), undefined);
  assert.is(relation('/etc/*', '/etc/app/config'), 'above');
  assert.is(relation('/*', '/dummy'), 'within');
  assert.is(relation('/etc/other', '/etc/app'), undefined);
});

test.run();
