// POST /api/investigate: what separates a cohort of traces (slow ones, errors, a brushed region) from a
// baseline, across span and resource attributes, logs and the critical path. The store samples and
// counts (InvestigateQueries); this route only reads the body: times as Unix nanoseconds (or any form
// parseTimeNs reads, RFC 3339 included) and durations as nanoseconds or Prometheus-style "500ms".
import { Hono } from 'hono';
import { z } from 'zod';
import type { CohortFilter, InvestigateQueries } from '@pivot/store';
import { badRequest, unsupportedMediaType, type AppEnv } from '@pivot/server-kit';
import { parseDurationNs, parseTimeNs } from './params.ts';

const text = z.union([z.string(), z.number()]).transform(String);
const Cohort = z.object({
  service: z.string().min(1, 'service: required').max(256),
  operation: z.string().max(1024).optional(),
  minDuration: text.optional(),
  maxDuration: text.optional(),
  status: z.enum(['error', 'ok']).optional(),
  start: text,
  end: text,
});
const Body = z.object({
  cohort: Cohort,
  baseline: Cohort.optional(),
  limit: z.number().int().min(1).max(200).optional(),
});

/** A bare number is nanoseconds here (the API's JSON form); with a unit, as PromQL reads it. */
function durationNs(name: string, raw: string): bigint {
  return /^\d+$/.test(raw.trim()) ? parseDurationNs(name, `${raw.trim()}ns`) : parseDurationNs(name, raw);
}

export function parseCohort(side: string, c: z.infer<typeof Cohort>): CohortFilter {
  const startNs = parseTimeNs(`${side}.start`, c.start);
  const endNs = parseTimeNs(`${side}.end`, c.end);
  if (startNs > endNs) throw badRequest(`${side}.start: must not be after end`);
  const f: CohortFilter = { service: c.service, startNs, endNs };
  if (c.operation) f.operation = c.operation;
  if (c.minDuration !== undefined) f.minDurationNs = durationNs(`${side}.minDuration`, c.minDuration);
  if (c.maxDuration !== undefined) f.maxDurationNs = durationNs(`${side}.maxDuration`, c.maxDuration);
  if (f.minDurationNs !== undefined && f.maxDurationNs !== undefined && f.minDurationNs > f.maxDurationNs)
    throw badRequest(`${side}.minDuration: must not be above maxDuration`);
  if (c.status) f.status = c.status;
  return f;
}

export function investigateRoutes(queries: InvestigateQueries): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/api/investigate', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json'))
      throw unsupportedMediaType('send {"cohort": {…}, "baseline"?: {…}} as application/json');
    const parsed = Body.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      throw badRequest(
        parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') || 'invalid body',
      );
    const { cohort, baseline, limit } = parsed.data;
    const result = await queries.compare(
      { cohort: parseCohort('cohort', cohort), baseline: baseline ? parseCohort('baseline', baseline) : undefined },
      limit ? { limit } : {},
    );
    return c.json(result);
  });
  return app;
}
