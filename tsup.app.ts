import { defineConfig, type Options } from 'tsup';

/**
 * The one build config of every app: internal packages ship TypeScript source, so the app bundles
 * them; npm dependencies stay external and are installed beside the bundle.
 */
export function appBuild(entry: string[] = ['src/main.ts']): Options | Options[] {
  return defineConfig({
    entry,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outDir: 'dist',
    clean: true,
    sourcemap: true,
    noExternal: [/^@pivot\//],
    external: [/^(?!@pivot\/)[^./]/],
  }) as Options;
}
