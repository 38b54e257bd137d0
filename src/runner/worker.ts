// A worker thread of the pool: loads the run's transforms by their origin (built-in name or module path) and
// processes the files the main thread sends, one at a time.

import { parentPort, workerData } from 'node:worker_threads';
import type { ContextListingCache } from '../context/build-context.js';
import type { DiscoveredFile } from '../context/discover.js';
import { loadTransform } from '../transform/load.js';
import { processFile } from './file.js';
import type { FileSettings } from './file.js';

export interface WorkerInit {
  origins: string[];
  settings: Omit<FileSettings, 'transforms'>;
}

const init = workerData as WorkerInit;
const port = parentPort!;
const transforms = await Promise.all(init.origins.map((o) => loadTransform(o, init.settings.cwd)));
const settings: FileSettings = { ...init.settings, transforms };
const listings: ContextListingCache = new Map();

port.on('message', (job: { index: number; file: DiscoveredFile }) => {
  processFile(job.file, settings, listings).then(
    (work) => port.postMessage({ index: job.index, work }),
    (e: unknown) => port.postMessage({ index: job.index, crash: (e as Error)?.stack ?? String(e) }),
  );
});
port.postMessage({ ready: true });
