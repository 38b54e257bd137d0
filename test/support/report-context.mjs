// Test transform: reports the build context it sees (origin, the Dockerfile's path in it, its files).
export const meta = { name: 'report-context', description: 'report the build context (test transform)', readsContext: true };

export default function transform(file, api) {
  const ctx = api.context;
  api.report(`context origin=${ctx.origin} dockerfile=${ctx.dockerfile} files=${ctx.list().join(',')}`);
  return undefined;
}
