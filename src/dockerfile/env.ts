// What the environment of a build step looks like from the Dockerfile alone: ENV values and ARG defaults in
// effect (following base stages in the same file) and the active USER. An external base image's own ENV is
// not known here; callers that need it (GOPATH of golang images, …) keep their own table.

import type { DockerfileModel, Instruction } from '../types.js';
import { buildStageGraph } from './stages.js';
import type { StageGraph } from './stages.js';

export interface StepEnv {
  /** ENV values and ARG defaults in effect, as written after quote removal (values may hold `$VAR`s). */
  vars: Map<string, string>;
  /** The last USER before the step (in the stage or its base stages), as written; undefined = the base image's user. */
  user?: string;
  /** The first stage of the chain: its base is an image (or scratch or a build argument), not a stage of this file. */
  rootStage: number;
}

const unquote = (v: string) => v.replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1');

/** The environment in effect just before instruction `beforeIndex` of stage `stageIndex`. */
export function stepEnv(graph: StageGraph, stageIndex: number, beforeIndex = Number.MAX_SAFE_INTEGER): StepEnv {
  const node = graph.nodes[stageIndex]!;
  const env: StepEnv = node.base.kind === 'stage' ? stepEnv(graph, node.base.index) : { vars: new Map(), rootStage: stageIndex };
  for (const i of node.stage.instructions) {
    if (i.index >= beforeIndex) break;
    if (i.keyword === 'ARG') {
      for (const a of i.args) {
        const eq = a.value.indexOf('=');
        if (eq > 0) env.vars.set(a.value.slice(0, eq), unquote(a.value.slice(eq + 1)));
      }
    } else if (i.keyword === 'ENV') {
      const words = i.args.map((a) => a.value);
      if (words.length >= 2 && !words[0]!.includes('=')) env.vars.set(words[0]!, unquote(words.slice(1).join(' ')));
      else for (const w of words) if (w.includes('=')) env.vars.set(w.slice(0, w.indexOf('=')), unquote(w.slice(w.indexOf('=') + 1)));
    } else if (i.keyword === 'USER' && i.args[0]) {
      env.user = i.args[0].value;
    }
  }
  return env;
}

/** The environment just before `ins` (which must belong to a stage). */
export function envBefore(model: DockerfileModel, ins: Instruction, graph: StageGraph = buildStageGraph(model)): StepEnv {
  return stepEnv(graph, ins.stage, ins.index);
}

/** `$X`, `${X}`, `${X:-d}`, `${X-d}` expanded from `vars`; undefined when a variable is unknown or another form is used. */
export function expandVars(s: string, vars: Map<string, string>): string | undefined {
  let unknown = false;
  const out = s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\{[^}]*\}/g, (all, a: string | undefined, colon: string | undefined, def: string | undefined, b: string | undefined) => {
    const name = a ?? b;
    if (name === undefined) {
      unknown = true; // ${X:+y}, ${X%…} and friends: not evaluated here
      return all;
    }
    const v = vars.get(name);
    if (v !== undefined && (v !== '' || (def !== undefined && colon === ''))) return v;
    if (def !== undefined) return def;
    unknown = true;
    return '';
  });
  return unknown ? undefined : out;
}
