// Writes outcomes to disk: atomically (write-file-atomic: temp file + rename), keeping the file mode, and
// never over a file that changed on disk since it was read, nor through a symlink.

import { lstatSync, readFileSync } from 'node:fs';
import type { Message, Outcome } from '../types.js';

export async function writeOutcomes(outcomes: Outcome[]): Promise<void> {
  const pending = outcomes.filter((o) => (o.status === 'changed' || o.status === 'created') && o.after !== undefined);
  if (pending.length === 0) return;
  const { default: writeFileAtomic } = await import('write-file-atomic');
  for (const o of pending) {
    const problem = checkTarget(o);
    if (problem) {
      fail(o, problem);
      continue;
    }
    try {
      const opts: { mode?: number; fsync: boolean } = { fsync: true };
      if (o.mode !== undefined) opts.mode = o.mode & 0o7777;
      await writeFileAtomic(o.absPath, o.after!, opts);
    } catch (e) {
      fail(o, `could not write: ${(e as Error).message}`);
    }
  }
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
