// The CLI's way to a reporter: only the module of the format it prints is loaded (start-up of a one-file run).

import type { FormatName, FormatOptions } from './index.js';
import type { ReportStream } from './stream.js';

export async function openReportStream(name: FormatName, opts: FormatOptions = {}): Promise<ReportStream> {
  switch (name) {
    case 'diff':
      return (await import('./diff.js')).diffStream(!!opts.color);
    case 'json':
      return (await import('./json.js')).jsonStream();
    case 'markdown':
      return (await import('./markdown.js')).markdownStream();
    case 'sarif':
      return (await import('./sarif.js')).sarifStream(opts.toolVersion ?? '0.0.0');
    case 'summary':
      return (await import('./summary.js')).summaryStream();
    case 'none':
      return { add: () => '', end: () => '' };
    default: {
      const never: never = name;
      throw new Error(`unknown format: ${String(never)}`);
    }
  }
}
