/** A mistake in how dockshift was called (unknown transform, bad option): exit status 2, nothing processed. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The bin's core bundle (dist/cli.cjs, made by scripts/bundle.mjs) leaves out the built-ins that are not
 * recommended. When a run asks for one, their place in the bundle throws this, and `main` lets it through
 * before anything is printed. The bin then starts the run again from the full bundle (dist/cli-full.cjs).
 * Code that runs from dist/src never throws it.
 */
export class NeedsFullBundle extends Error {
  readonly code = 'DOCKSHIFT_NEEDS_FULL_BUNDLE';
  constructor(readonly transform: string) {
    super(`the built-in ${transform} is not in the core bundle`);
    this.name = 'NeedsFullBundle';
  }
}
