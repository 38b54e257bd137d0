// The stage graph of a Dockerfile, resolved the way BuildKit's Dockerfile frontend resolves it
// (frontend/dockerfile/dockerfile2llb/convert.go, instructions/parse.go):
//
// - Stage names are lower-cased when parsed (`parseBuildStageName`) and looked up lower-cased
//   (`findStateByName`). `FROM <name>` can only name an *earlier* stage (the name map is filled while the stages
//   are added); BuildKit looks the base up as written after expanding global ARGs, so a mixed-case base never
//   matches (and fails as an image reference) — here it is matched case-insensitively, which only adds an edge.
// - `COPY --from=<n>` with a number is a stage index (`findStateByIndex`); with a name it is looked up among
//   *all* stages (the last one with that name), and BuildKit then refuses a stage that is not defined before
//   the current one; anything else is an image or a named context. Variables are not allowed in `--from`.
// - `RUN --mount=from=<name>` is looked up by name only (a number there is an image name).
// - `ONBUILD` triggers declared in a stage run in the stages built `FROM` it, so their references belong to
//   those children.
// - A `FROM` whose base uses a build argument (`FROM ${BASE}`) may name any earlier stage: such a stage's
//   dependencies are unknown and reported as such, never guessed — unless the text around the variables cannot
//   be part of a stage name (`alpine:${ALPINE_VERSION}`): that is an image.
//
// The graph is read-only and knows nothing about transforms; files-stage and others build on it.

import type { DockerfileModel, Flag, Instruction, Mount, Stage } from '../types.js';
import { cleanAbs, resolveIn } from './paths.js';

export type StageBase =
  | { kind: 'stage'; index: number }
  | { kind: 'scratch' }
  | { kind: 'image'; ref: string }
  /** The base uses a build argument: it may be an image or any earlier stage. */
  | { kind: 'arg'; ref: string };

export interface StageRef {
  kind: 'base' | 'copy' | 'mount';
  /** The instruction that holds the reference (FROM, COPY, RUN, or the ONBUILD that declares the trigger). */
  instruction: Instruction;
  /** For ONBUILD triggers: the trigger instruction inside `instruction`. */
  trigger?: Instruction;
  /** The stage whose build the reference is part of (for triggers: the child stage they run in). */
  stage: number;
  /** The reference as written. */
  value: string;
  /** The stage it resolves to; undefined for an image, a named context or an unknown reference. */
  target?: number;
  /** Not resolvable from the file alone (a build argument): it may be any stage. */
  unknown: boolean;
  /** `--from=<number>`: a stage index. */
  numeric: boolean;
  flag?: Flag;
  mount?: Mount;
}

export interface StageNode {
  index: number;
  stage: Stage;
  /** Lower-cased name, as BuildKit keys it. */
  name?: string;
  base: StageBase;
  /** Every reference this stage's build makes (its base, COPY --from, RUN --mount from, ONBUILD triggers of its base). */
  refs: StageRef[];
}

export interface Dependencies {
  stages: Set<number>;
  /** Some stage on the way has an unresolvable reference: it may depend on more. */
  unknown: boolean;
}

export interface StageGraph {
  model: DockerfileModel;
  nodes: StageNode[];
  /** `stage3`, or BuildKit's display name `stage-N` for an unnamed stage. */
  display(index: number): string;
  /** The stage a `--from` value names, as BuildKit resolves it from stage `at` (undefined: an image or context). */
  resolveFrom(value: string, at: number): Pick<StageRef, 'target' | 'unknown' | 'numeric'>;
  /** Stages `index` needs (transitively), optionally ignoring some references (what-if analysis). */
  dependencies(index: number, ignore?: (ref: StageRef) => boolean): Dependencies;
  /** Stages that reference `index` directly. */
  dependents(index: number): StageNode[];
  /** The `FROM` chain from its root to `index` (indices, root first). */
  chain(index: number): number[];
  /** The root of the chain: scratch, an image or an ARG-driven base. */
  root(index: number): Exclude<StageBase, { kind: 'stage' }>;
  /** The working directory in effect just before instruction `beforeIndex` of stage `index` (end of the stage when omitted); undefined when the file alone does not determine it. */
  workdirAt(index: number, beforeIndex?: number): string | undefined;
}

/**
 * Images whose configuration leaves WORKDIR unset (so `/`) or sets a well-known one. Only official Docker Hub
 * images are matched (`alpine`, `library/alpine`, `docker.io/library/alpine`, any tag or digest); an image from
 * another registry with the same name is unknown.
 */
export const KNOWN_IMAGE_WORKDIRS: Readonly<Record<string, string>> = {
  alpine: '/',
  busybox: '/',
  debian: '/',
  ubuntu: '/',
  fedora: '/',
  centos: '/',
  rockylinux: '/',
  almalinux: '/',
  amazonlinux: '/',
  oraclelinux: '/',
  archlinux: '/',
  node: '/',
  python: '/',
  nginx: '/',
  golang: '/go',
};

/** The official-image name of a reference (`docker.io/library/alpine:3.20@sha256:…` → `alpine`), or undefined. */
export function officialImageName(ref: string): string | undefined {
  let r = ref.split('@')[0]!;
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > slash) r = r.slice(0, colon);
  const parts = r.split('/');
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) {
    if (parts[0] !== 'docker.io' && parts[0] !== 'index.docker.io') return undefined;
    parts.shift();
  }
  if (parts.length === 2 && parts[0] === 'library') parts.shift();
  return parts.length === 1 && /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(parts[0]!) ? parts[0] : undefined;
}

export function imageWorkdir(ref: string): string | undefined {
  const name = officialImageName(ref);
  return name !== undefined && Object.hasOwn(KNOWN_IMAGE_WORKDIRS, name) ? KNOWN_IMAGE_WORKDIRS[name] : undefined;
}

const hasVar = (s: string) => s.includes('$');

/**
 * Whether a base that uses a build argument may expand to a stage name. BuildKit looks the expanded base up as
 * written, and stage names match `[a-z][a-z0-9-_.]*`: a literal `:`, `/` or `@` outside the variables
 * (`alpine:${ALPINE_VERSION}`, `${REGISTRY}/node:20`) makes it an image reference.
 */
export function couldNameStage(base: string): boolean {
  const literal = base.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, '');
  return !/[:/@]/.test(literal);
}

export function buildStageGraph(model: DockerfileModel): StageGraph {
  const stages = model.stages;
  const nodes: StageNode[] = stages.map((stage) => ({
    index: stage.index,
    stage,
    name: stage.name?.toLowerCase(),
    base: { kind: 'scratch' },
    refs: [],
  }));

  const byName = (name: string, before = stages.length): number | undefined => {
    const lower = name.toLowerCase();
    for (let i = Math.min(before, stages.length) - 1; i >= 0; i--) if (nodes[i]!.name === lower) return i;
    return undefined;
  };

  const resolveFrom = (value: string, at: number): Pick<StageRef, 'target' | 'unknown' | 'numeric'> => {
    if (hasVar(value)) return { unknown: true, numeric: false };
    if (/^\d+$/.test(value)) {
      const n = Number(value);
      return { target: n < stages.length ? n : undefined, unknown: false, numeric: true };
    }
    void at;
    return { target: byName(value), unknown: false, numeric: false };
  };

  const resolveMountFrom = (value: string): Pick<StageRef, 'target' | 'unknown' | 'numeric'> => {
    if (hasVar(value)) return { unknown: true, numeric: false };
    return { target: byName(value), unknown: false, numeric: false };
  };

  // Bases first: a child needs its parent's ONBUILD triggers.
  for (const node of nodes) {
    const base = node.stage.base;
    if (hasVar(base)) node.base = couldNameStage(base) ? { kind: 'arg', ref: base } : { kind: 'image', ref: base };
    else if (base.toLowerCase() === 'scratch') node.base = { kind: 'scratch' };
    else {
      const idx = byName(base, node.index);
      node.base = idx !== undefined ? { kind: 'stage', index: idx } : { kind: 'image', ref: base };
    }
    const from = node.stage.from;
    if (node.base.kind === 'stage') node.refs.push({ kind: 'base', instruction: from, stage: node.index, value: base, target: node.base.index, unknown: false, numeric: false });
    else if (node.base.kind === 'arg') node.refs.push({ kind: 'base', instruction: from, stage: node.index, value: base, unknown: true, numeric: false });
  }

  const refsOf = (ins: Instruction, stage: number, holder: Instruction, trigger?: Instruction): StageRef[] => {
    const out: StageRef[] = [];
    if (ins.keyword === 'COPY') {
      const flag = ins.flags.find((f) => f.name.toLowerCase() === 'from');
      if (flag && flag.value !== undefined) {
        const r: StageRef = { kind: 'copy', instruction: holder, stage, value: flag.value, flag, ...resolveFrom(flag.value, stage) };
        if (trigger) r.trigger = trigger;
        out.push(r);
      }
    } else if (ins.keyword === 'RUN') {
      for (const mount of ins.mounts) {
        const from = mount.get('from');
        if (!from?.value) continue;
        const r: StageRef = { kind: 'mount', instruction: holder, stage, value: from.value, flag: mount.flag, mount, ...resolveMountFrom(from.value) };
        if (trigger) r.trigger = trigger;
        out.push(r);
      }
    }
    return out;
  };

  for (const node of nodes) {
    for (const ins of node.stage.instructions) {
      if (ins.keyword === 'ONBUILD') continue;
      node.refs.push(...refsOf(ins, node.index, ins));
    }
    if (node.base.kind === 'stage') {
      for (const ins of nodes[node.base.index]!.stage.instructions) {
        if (ins.keyword === 'ONBUILD' && ins.trigger) node.refs.push(...refsOf(ins.trigger, node.index, ins, ins.trigger));
      }
    }
  }

  const dependencies = (index: number, ignore?: (ref: StageRef) => boolean): Dependencies => {
    const seen = new Set<number>();
    let unknown = false;
    const stack = [index];
    while (stack.length) {
      const i = stack.pop()!;
      for (const ref of nodes[i]!.refs) {
        if (ignore?.(ref)) continue;
        if (ref.unknown) unknown = true;
        if (ref.target === undefined || seen.has(ref.target) || ref.target === index) continue;
        seen.add(ref.target);
        stack.push(ref.target);
      }
    }
    return { stages: seen, unknown };
  };

  const chain = (index: number): number[] => {
    const out: number[] = [];
    const seen = new Set<number>();
    for (let i: number | undefined = index; i !== undefined && !seen.has(i); ) {
      seen.add(i);
      out.unshift(i);
      const b: StageBase = nodes[i]!.base;
      i = b.kind === 'stage' ? b.index : undefined;
    }
    return out;
  };

  const root = (index: number): Exclude<StageBase, { kind: 'stage' }> => {
    const first = nodes[chain(index)[0]!]!.base;
    return first.kind === 'stage' ? { kind: 'arg', ref: '' } : first;
  };

  const workdirAt = (index: number, beforeIndex = Number.MAX_SAFE_INTEGER): string | undefined => {
    const ids = chain(index);
    const r = root(index);
    let dir: string | undefined = r.kind === 'scratch' ? '/' : r.kind === 'image' ? imageWorkdir(r.ref) : undefined;
    for (const i of ids) {
      for (const ins of nodes[i]!.stage.instructions) {
        if (i === index && ins.index >= beforeIndex) break;
        if (ins.keyword !== 'WORKDIR') continue;
        const value = ins.args.length === 1 ? ins.args[0]!.value : undefined;
        if (value === undefined || /[$"'`\\]/.test(value) || /^[A-Za-z]:/.test(value)) {
          dir = undefined;
          continue;
        }
        if (value.startsWith('/')) dir = cleanAbs(value);
        else dir = dir === undefined ? undefined : resolveIn(dir, value);
      }
    }
    return dir;
  };

  return {
    model,
    nodes,
    display: (i) => (nodes[i]?.stage.name ? nodes[i]!.stage.name! : `stage-${i}`),
    resolveFrom,
    dependencies,
    dependents: (index) => nodes.filter((n) => n.index !== index && n.refs.some((r) => r.target === index)),
    chain,
    root,
    workdirAt,
  };
}
