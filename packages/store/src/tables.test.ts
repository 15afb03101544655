// The table registry against what the migrations really create, on every driver, and against the
// drizzle schema: a table added to one and not the other fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, getTableName, isTable } from 'drizzle-orm';
import { SIGNALS } from '@pivot/model';
import { schema } from '@pivot/db';
import { PARTITIONED_TABLES, SIGNAL_PARTITIONED_TABLES, SIGNAL_TABLES, TABLES } from './tables.ts';
import type { Database } from './database.ts';
import { testDatabases } from './testing.ts';

const names = (xs: readonly { name: string }[]) => xs.map((t) => t.name).sort();

describe('table registry', () => {
  it('names every table of the drizzle schema once', () => {
    const inSchema = Object.values(schema)
      .filter((v) => isTable(v))
      .map((t) => getTableName(t))
      .sort();
    expect(names(TABLES)).toEqual(inSchema);
    expect(new Set(TABLES.map((t) => t.name)).size).toBe(TABLES.length);
  });

  it('derives the per-signal lists from the one list', () => {
    expect(Object.keys(SIGNAL_TABLES)).toEqual([...SIGNALS, 'shared']);
    expect(Object.values(SIGNAL_TABLES).flat().sort()).toEqual(names(TABLES));
    expect(SIGNAL_PARTITIONED_TABLES.traces.map((t) => t.name)).toEqual([
      'spans',
      'span_metrics',
      'servicegraph_edges',
      'propagation_problems',
      'propagation_spans',
      'propagation_traces',
    ]);
    expect(SIGNAL_PARTITIONED_TABLES.metrics.map((t) => t.name)).toEqual(['metric_chunks', 'metric_exemplars']);
  });
});

for (const tdb of testDatabases()) {
  describe(`table registry against the migrated schema on ${tdb.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('lists exactly the tables the migrations create, and which of them are partitioned', async () => {
      const rows = await db.query<{ name: string; partitioned: boolean }>(sql`
        SELECT c.relname AS name, c.relkind = 'p' AS partitioned FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`);
      expect(rows.map((r) => r.name).sort()).toEqual(names(TABLES));
      expect(
        rows
          .filter((r) => r.partitioned)
          .map((r) => r.name)
          .sort(),
      ).toEqual(names(PARTITIONED_TABLES));
    });
  });
}
