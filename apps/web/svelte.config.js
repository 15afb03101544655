// SPA: every route is rendered in the browser from one fallback page, which the API serves for any
// non-/api path. Absolute asset paths, because the fallback is served at nested URLs (/traces/…).
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess({ script: false, style: false }),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', precompress: true, strict: true }),
    paths: { relative: false },
    output: { bundleStrategy: 'split' },
    version: { pollInterval: 0 },
  },
};
