// Syntax trees of RUN scripts live in WebAssembly memory, which JavaScript's garbage collector neither sees nor
// frees: a tree stays allocated until it is deleted (4 KB and more per RUN; cache-mounts over a large tree would
// exhaust the WebAssembly heap). So the scripts read for one model are kept with it — read once, shared by every
// transform that asks — and the runner releases them when it is done with the model. Free of dependencies, so
// the runner can import it without loading the shell parser.

interface Deletable {
  delete(): void;
}

interface ModelScripts {
  trees: Deletable[];
  /** Per instruction: the promise of its read script (shared, so each RUN is parsed once per model). */
  reads: Map<object, Promise<unknown>>;
}

const byModel = new WeakMap<object, ModelScripts>();
let liveTrees = 0;

/** The scripts read for `model` so far (created on first use). */
export function scriptsOf(model: object): ModelScripts {
  let s = byModel.get(model);
  if (!s) byModel.set(model, (s = { trees: [], reads: new Map() }));
  return s;
}

export function trackTree(model: object, tree: Deletable): void {
  scriptsOf(model).trees.push(tree);
  liveTrees++;
}

/**
 * Deletes the trees of `model`'s scripts. Only when nothing may still use them: a transform stopped at the time
 * limit may still be running on them, so the runner leaves that file's trees allocated instead.
 */
export function releaseScripts(model: object): void {
  const s = byModel.get(model);
  if (!s) return;
  byModel.delete(model);
  for (const t of s.trees) t.delete();
  liveTrees -= s.trees.length;
}

/** Trees parsed and not yet released (for tests). */
export function liveTreeCount(): number {
  return liveTrees;
}
