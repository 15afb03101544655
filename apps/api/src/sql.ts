// POST /api/sql: the SQL escape hatch over the pivot.* views, for admins. The store runs the statement
// as role pivot_reader in a read-only transaction with a row limit and a statement timeout; this route
// parses the request and picks JSON or CSV.
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { toCsv, type SqlConsole } from '@pivot/store';
import type { AppEnv } from '@pivot/server-kit';

const Body = z.object({
  sql: z
    .string()
    .min(1, 'sql: give one SQL statement')
    .max(32 * 1024, 'sql: at most 32 KiB'),
  format: z.enum(['json', 'csv']).optional(),
});

export function sqlRoutes(console: SqlConsole, requireAdmin?: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin: MiddlewareHandler<AppEnv> = requireAdmin ?? ((_c, next) => next());
  app.post('/api/sql', admin, async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json'))
      return c.json({ error: 'send {"sql": "…"} as application/json' }, 415);
    const parsed = Body.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return c.json({ error: parsed.error.issues.map((i) => i.message).join('; ') || 'invalid body' }, 400);
    const result = await console.run(parsed.data.sql);
    const csv = parsed.data.format === 'csv' || (c.req.header('accept') ?? '').includes('text/csv');
    if (csv)
      return c.body(toCsv(result), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="pivot-sql.csv"',
        'x-pivot-truncated': String(result.truncated),
      });
    return c.json(result);
  });
  return app;
}
