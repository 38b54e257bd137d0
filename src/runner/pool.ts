// Worker threads with a watchdog. They serve two purposes: parallelism (-j) for large runs, and a hard
// per-file time limit: a transform stuck in a synchronous loop cannot be interrupted in-process, but its
// worker can be terminated, the file reported as an error, and a fresh worker started for the rest.

import { Worker } from 'node:worker_threads';
import type { DiscoveredFile } from '../context/discover.js';
import type { FileWork } from './file.js';
import type { WorkerInit } from './worker.js';

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: { index: number; started: number };
}

const GRACE_MS = 500;

function failed(file: DiscoveredFile, message: string): FileWork {
  return {
    outcome: { path: file.rel, absPath: file.abs, kind: 'dockerfile', status: 'error', transforms: [], messages: [{ level: 'error', message }] },
    emitted: [],
  };
}

/** Holds back files the consumer is not ready for (it hands results on in order and buffers the rest). */
export interface PoolGate {
  mayStart(index: number): boolean;
  /** Receives the function to call when files that were held back may start. */
  onWake(wake: () => void): void;
}

export function runInPool(files: DiscoveredFile[], init: WorkerInit, jobs: number, onDone: (index: number, work: FileWork) => void, gate?: PoolGate): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    let remaining = files.length;
    const slots = new Set<Slot>();
    if (remaining === 0) return resolve();
    gate?.onWake(() => {
      for (const s of slots) if (s.ready && !s.job) dispatch(s);
    });

    const finish = (index: number, work: FileWork) => {
      onDone(index, work);
      if (--remaining === 0) {
        clearInterval(watchdog);
        for (const s of slots) void s.worker.terminate();
        resolve();
      }
    };
    const dispatch = (slot: Slot) => {
      if (next >= files.length || (gate && !gate.mayStart(next))) return;
      const index = next++;
      slot.job = { index, started: Date.now() };
      slot.worker.postMessage({ index, file: files[index] });
    };
    const replace = (slot: Slot, message: string) => {
      slots.delete(slot);
      void slot.worker.terminate();
      const job = slot.job;
      if (!slot.ready) {
        // The worker could not even start (its transforms failed to load): every file left would fail alike.
        for (; next < files.length; next++) finish(next, failed(files[next]!, message));
      }
      if (job) finish(job.index, failed(files[job.index]!, message));
      if (next < files.length) spawn();
    };
    const spawn = () => {
      const slot: Slot = { worker: new Worker(new URL('./worker.js', import.meta.url), { workerData: init }), ready: false };
      slots.add(slot);
      slot.worker.on('message', (msg: { ready?: true; index?: number; work?: FileWork; crash?: string }) => {
        if (msg.ready) {
          slot.ready = true;
          return dispatch(slot);
        }
        const job = slot.job!;
        slot.job = undefined;
        finish(job.index, msg.work ?? failed(files[job.index]!, `internal error: ${msg.crash}`));
        dispatch(slot);
      });
      slot.worker.on('error', (e) => slots.has(slot) && replace(slot, `worker failed: ${e.message}`));
      slot.worker.on('exit', (code) => slots.has(slot) && remaining > 0 && replace(slot, `worker exited with code ${code}`));
    };
    const watchdog = setInterval(() => {
      const now = Date.now();
      for (const slot of slots) {
        if (slot.job && now - slot.job.started > init.settings.timeLimitMs + GRACE_MS) {
          replace(slot, `TimeLimit: processing took longer than ${init.settings.timeLimitMs / 1000} s (a transform did not return); file left alone`);
        }
      }
    }, 50);
    for (let i = 0; i < Math.min(jobs, files.length); i++) spawn();
  });
}
