// The one interface every reporter implements, so that the CLI can print each file's part as soon as the file is
// done and then forget the file's texts (memory stays flat on large trees), while `formatResult` gives the very
// same bytes for a finished RunResult. Reporters stay pure: they return text and never write it themselves.

import type { Outcome, RunResult } from '../types.js';

export interface ReportStream {
  /**
   * One outcome, in report order. Returns the text that can be printed now ('' when the format needs the whole
   * run first). Only what `end` needs is kept — never the outcome's `before`/`after` texts.
   */
  add(outcome: Outcome): string;
  /** The rest of the output, once the run is over (totals, or the whole document for single-document formats). */
  end(result: RunResult): string;
}
