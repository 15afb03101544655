// Serves the dashboard (apps/web's static build) at /, with the app shell for any other non-API
// path so that deep links (/traces/…, /metrics?q=…) work on reload and when shared.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { AppEnv } from '@pivot/server-kit';
import { inlineScriptHashes } from './guards.ts';

/**
 * Where the built dashboard is: WEB_DIR when set, else @pivot/web's build/ found through the package
 * (not import.meta.url, because the apps bundle this file into their own dist/). Undefined when not built.
 */
export function resolveWebDir(configured?: string): string | undefined {
  if (configured) return resolve(configured);
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@pivot/web/package.json')), 'build');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The CSP hashes of the dashboard shell's inline scripts (SvelteKit's bootstrap, the theme setter). */
export function webScriptHashes(dir: string): string[] {
  const index = join(dir, 'index.html');
  return existsSync(index) ? inlineScriptHashes(readFileSync(index, 'utf8')) : [];
}

export function webRoutes(dir: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Content-hashed bundles never change; everything else is revalidated.
  app.use('*', async (c, next) => {
    await next();
    if (c.req.path.startsWith('/api/') || c.res.status !== 200) return;
    c.header(
      'Cache-Control',
      c.req.path.startsWith('/_app/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  });
  // The build has .br and .gz next to each asset (adapter-static's precompress).
  app.get('*', serveStatic({ root: dir, precompressed: true }));
  const shell = serveStatic({ root: dir, path: 'index.html', precompressed: true });
  app.get('*', (c, next) => (c.req.path === '/api' || c.req.path.startsWith('/api/') ? next() : shell(c, next)));
  return app;
}
