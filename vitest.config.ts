import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{apps,packages,db}/*/src/**/*.test.ts', '{apps,packages,db}/*/test/**/*.test.ts', 'db/**/*.test.ts'],
    // apps/web's unit tests (src/lib/model) are plain TypeScript and run here; its build output does not.
    exclude: ['**/node_modules/**', '**/dist/**', 'apps/web/{build,.svelte-kit}/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
