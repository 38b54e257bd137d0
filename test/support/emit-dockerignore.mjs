// Test transform that creates a file next to the Dockerfile (idempotent: same content each time).
export const meta = { name: 'emit-dockerignore', description: 'writes a .dockerignore into the build context' };

export default function transform(file, api) {
  api.emitFile('.dockerignore', '*\n!app\n');
  return undefined;
}
