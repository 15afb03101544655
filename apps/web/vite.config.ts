import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npm run dev` proxies the API, so the dev server behaves like the API serving the build.
const api = process.env.PIVOT_API_URL ?? 'http://127.0.0.1:8090';

export default defineConfig({
  plugins: [sveltekit()],
  build: { target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': api } },
});
