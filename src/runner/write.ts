// Writes outcomes to disk: atomically (write-file-atomic: temp file + rename), keeping the file mode, and
// never over a file that changed on disk since it was read, nor through a symlink.

import { lstatSync, readFileSync } from 'node:fs';
import type { Message, Outcome } from '../types.js';

type WriteFileAtomic = typeof import('write-file-atomic');

/** Writes one outcome at a time, as the run hands them on (so their texts need not wait for the end of the run). */
export class Writer {
  private writeFileAtomic: WriteFileAtomic | undefined;

  /** Writes a changed or created outcome; a refusal or failure turns it into an `error` outcome. */
  async write(o: Outcome): Promise<void> {
    if ((o.status !== 'changed' && o.status !== 'created') || o.after === undefined) return;
    const problem = checkTarget(o);
    if (problem) return fail(o, problem);
    // Loaded on the first write: a run with nothing to write does not pay for it.
    this.writeFileAtomic ??= (await import('write-file-atomic')).default;
    try {
      const opts: { mode?: number; fsync: boolean } = { fsync: true };
      if (o.mode !== undefined) opts.mode = o.mode & 0o7777;
      await this.writeFileAtomic(o.absPath, o.after, opts);
    } catch (e) {
      fail(o, `could not write: ${(e as Error).message}`);
    }
  }
}

/** Writes every outcome, in order (for callers holding a finished list). */
export async function writeOutcomes(outcomes: Outcome[]): Promise<void> {
  const writer = new Writer();
  for (const o of outcomes) await writer.write(o);
}

function checkTarget(o: Outcome): string | undefined {
  let stat;
  try {
    stat = lstatSync(o.absPath);
  } catch {
    return o.before === undefined ? undefined : 'the file disappeared during the run; not written';
  }
  if (stat.isSymbolicLink()) return 'is a symbolic link; dockshift does not write through links';
  if (o.before === undefined) return 'the file appeared on disk during the run; not overwritten';
  const now = readFileSync(o.absPath, 'utf8');
  if (now !== o.before) return 'the file changed on disk during the run; not overwritten';
  return undefined;
}

function fail(o: Outcome, message: string): void {
  const m: Message = { level: 'error', message };
  o.status = 'error';
  o.messages.push(m);
  delete o.after;
}
