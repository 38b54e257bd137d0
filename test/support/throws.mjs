// Test transform that throws on files containing "boom" and leaves the others alone.
export const meta = { name: 'throws', description: 'throws on files that mention boom' };

export default function transform(file) {
  if (file.source.includes('boom')) throw new Error('kaboom from the test transform');
  return undefined;
}
