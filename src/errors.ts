/** A mistake in how dockshift was called (unknown transform, bad option): exit status 2, nothing processed. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
