// Unit tests of the pure transforms (lib/model): plain TypeScript in node, no browser, no Svelte.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
