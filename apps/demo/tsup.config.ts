import { defineConfig } from 'tsup';

// Internal packages ship TypeScript source, so the app bundles them; npm dependencies stay external.
export default defineConfig({
  entry: ['src/main.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  noExternal: [/^@pivot\//],
  external: [/^(?!@pivot\/)[^./]/],
});
