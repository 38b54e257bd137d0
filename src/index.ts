// The public API. The CLI is built from the same modules (the bin runs them bundled: scripts/bundle.mjs).

export type * from './types.js';
export { parseDockerfile, sourceFromText, DockerfileSyntaxError } from './dockerfile/parse.js';
export { Editor, EditConflictError, ProtectedRegionError, applyEdits } from './dockerfile/edit.js';
export { readSource, decodeSource } from './dockerfile/read.js';
export { discover } from './context/discover.js';
export { fsContext, memoryContext } from './context/build-context.js';
export { processSource } from './runner/process.js';
export type { ProcessInput, ProcessResult } from './runner/process.js';
export { run, countTotals } from './runner/run.js';
export { transformSource } from './runner/transform-source.js';
export type { TransformSourceOptions } from './runner/transform-source.js';
export { loadConfig } from './config.js';
export type { DockshiftConfig, LoadedConfig } from './config.js';
export type { RunOptions } from './runner/run.js';
export { resolveTransforms, loadTransform, loadBuiltins, loadRecommended } from './transform/load.js';
export type { EmittedFile } from './transform/api.js';
export { formatResult, reportStream, FORMATS } from './report/index.js';
export type { FormatName, FormatOptions, ReportStream } from './report/index.js';
export { UsageError } from './errors.js';
export { BUILTIN_ORDER } from '../transforms/index.js';
