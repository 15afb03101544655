// The layout on a Citus cluster (CITUS_URL): which tables are distributed by what, that day partitions
// made later are distributed with their hot indexes, and that a trace lookup is a single-shard router
// query. Runs only in the Citus run; the same suites' results are compared with PostgreSQL's by running
// them on the citus target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parseSpanId, parseTraceId, unixNano, type ResourceSpans } from '@pivot/model';
import { CITUS_PLACEMENT, CITUS_SESSION_SETTINGS, citusTableKinds, explainTraceLookup, isCitus } from './citus.ts';
import { ensureColumnar, readStorageMode } from './columnar.ts';
import type { Database } from './database.ts';
import { HOT_INDEXES, PartitionManager } from './partitions.ts';
import { SpanWriter } from './span-writer.ts';
import { LOGS_TABLE, SPANS_TABLE } from './tables.ts';
import { testDatabases } from './testing.ts';
import { TraceQueries } from './trace-queries.ts';

const T0 = Date.UTC(2026, 5, 1, 12);
const traceId = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;

function oneSpan(): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': 'checkout' }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 's', version: '', attributes: {} },
          spans: [
            {
              traceId,
              spanId: parseSpanId('00f067aa0ba902b7')!,
              parentSpanId: null,
              traceState: '',
              flags: 1,
              name: 'GET /cart',
              kind: 2,
              startTimeUnixNano: unixNano(BigInt(T0) * 1_000_000n),
              endTimeUnixNano: unixNano(BigInt(T0) * 1_000_000n + 5_000_000n),
              attributes: {},
              droppedAttributesCount: 0,
              events: [],
              droppedEventsCount: 0,
              links: [],
              droppedLinksCount: 0,
              status: { code: 0, message: '' },
            },
          ],
        },
      ],
    },
  ];
}

const citus = testDatabases().find((t) => t.name === 'citus');

// Without CITUS_URL these same tests are reported as skipped (vitest refuses a file with no suite).
describe.skipIf(!citus)(
  `layout on citus${citus ? '' : ' (skipped without CITUS_URL: needs a Citus coordinator)'}`,
  () => {
    const tdb = citus!;
    let db: Database;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('distributes each table as placed, co-locating a trace with its summary and a series with its chunks', async () => {
      expect(await isCitus(db)).toBe(true);
      const kinds = await citusTableKinds(db);
      for (const p of CITUS_PLACEMENT) {
        if (p.kind === 'distributed') expect(kinds.get(p.table), p.table).toEqual({ kind: 'h', column: p.column });
        else if (p.kind === 'reference') expect(kinds.get(p.table)?.kind, p.table).toBe('n');
        else expect(kinds.has(p.table), p.table).toBe(false);
      }
      const groups = await db.query<{ name: string; g: number }>(sql`
        SELECT logicalrelid::regclass::text AS name, colocationid AS g FROM pg_dist_partition
        WHERE logicalrelid::regclass::text IN ('spans', 'traces', 'propagation_spans', 'metric_series',
          'metric_chunks', 'metric_exemplars', 'logs')`);
      const g = Object.fromEntries(groups.map((r) => [r.name, Number(r.g)]));
      expect(g.traces).toBe(g.spans);
      expect(g.propagation_spans).toBe(g.spans);
      expect(g.metric_chunks).toBe(g.metric_series);
      expect(g.metric_exemplars).toBe(g.metric_series);
      expect(g.logs).not.toBe(g.spans);
      // Idempotent: migrating again places nothing twice.
      await db.migrate();
      expect((await citusTableKinds(db)).size).toBe(kinds.size);
    });

    it('distributes a day partition made later, with its hot indexes on every shard', async () => {
      const parts = new PartitionManager(db);
      const day = Math.floor(T0 / 86_400_000) + 10;
      await parts.ensure(SPANS_TABLE, [day]);
      await parts.ensure(LOGS_TABLE, [day]);
      const kinds = await citusTableKinds(db);
      const name = (t: string) => `${t}_p${new Date(day * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '')}`;
      expect(kinds.get(name('spans'))).toEqual({ kind: 'h', column: 'trace_id' });
      expect(kinds.get(name('logs'))).toEqual({ kind: 'h', column: 'time_ns' });
      const idx = await db.query<{ i: string }>(sql`
        SELECT indexrelid::regclass::text AS i FROM pg_index WHERE indrelid = ${name('logs')}::regclass`);
      for (const h of HOT_INDEXES.logs!) expect(idx.map((r) => r.i)).toContain(`${name('logs')}_${h.suffix}`);
    });

    it('looks a trace up with a single-shard router query and returns it whole', async () => {
      const writer = new SpanWriter(db, new PartitionManager(db));
      await writer.write(oneSpan());
      await writer.close();
      const got = await new TraceQueries(db).getTrace(traceId);
      expect(got?.spans.map((s) => s.name)).toEqual(['GET /cart']);
      const plan = await explainTraceLookup(db, traceId);
      // Citus' custom scan with exactly one task: the router planner sent the whole join to the shard
      // holding the trace (spans, traces co-located; resources and scopes are reference tables there).
      expect(plan).toMatch(/Custom Scan \(Citus Adaptive\)/);
      expect(plan).toMatch(/Task Count: 1\b/);
    });

    it('creates citus_columnar on the coordinator and every worker, then reports columnar days', async () => {
      expect((await readStorageMode(db)).mode).toBe('row');
      expect(await ensureColumnar(db)).toEqual({ mode: 'columnar', reason: null });
      expect(await readStorageMode(db)).toEqual({ mode: 'columnar', reason: null });
      const workers = await db.query<{ success: boolean; result: string }>(
        sql`SELECT success, result FROM run_command_on_workers($$SELECT count(*) FROM pg_extension WHERE extname = 'citus_columnar'$$)`,
      );
      expect(workers.length).toBeGreaterThan(0);
      expect(workers).toEqual(workers.map(() => ({ success: true, result: '1' })));
    });

    it('keeps the connections of a multi-shard query open between queries, on every pooled connection', async () => {
      const settings = Object.keys(CITUS_SESSION_SETTINGS);
      // Several at once: each on a pooled connection of its own, new ones among them.
      const seen = await Promise.all(
        Array.from({ length: 6 }, () =>
          db.query<{ v: string[] }>(
            sql`SELECT array[${sql.join(
              settings.map((k) => sql`current_setting(${k})`),
              sql`, `,
            )}] AS v, pg_sleep(0.05)`,
          ),
        ),
      );
      for (const [r] of seen) expect(r!.v).toEqual(Object.values(CITUS_SESSION_SETTINGS));
    });
  },
);
