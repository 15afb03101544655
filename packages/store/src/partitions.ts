// Day partitions on nanosecond range keys. Writers create the partitions a batch needs before
// inserting (so any timestamp lands somewhere), a schedule creates the next days ahead of time,
// and retention drops whole partitions, which is instant and leaves no bloat.
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import type { PartitionUnit, PartitionedTable } from './tables.ts';

export const NS_PER_DAY = 86_400_000_000_000n;
export const MS_PER_DAY = 86_400_000;

export function dayIndexOfNs(ns: bigint): number {
  return Number(ns >= 0n ? ns / NS_PER_DAY : (ns - NS_PER_DAY + 1n) / NS_PER_DAY);
}
export function dayIndexOfMs(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

function partitionName(table: string, day: number): string {
  const d = new Date(day * MS_PER_DAY);
  const ymd = d.toISOString().slice(0, 10).replaceAll('-', '');
  return `${table}_p${ymd}`;
}

function bounds(unit: PartitionUnit, day: number): [string, string] {
  if (unit === 'ns') return [(BigInt(day) * NS_PER_DAY).toString(), (BigInt(day + 1) * NS_PER_DAY).toString()];
  return [String(day * MS_PER_DAY), String((day + 1) * MS_PER_DAY)];
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

export class PartitionManager {
  /** Partitions known to exist, per table: a cache so the hot path asks the database nothing. */
  private known = new Map<string, Set<number>>();

  constructor(private readonly database: Database) {}

  async ensure(table: PartitionedTable, days: Iterable<number>): Promise<void> {
    let set = this.known.get(table.name);
    if (!set) this.known.set(table.name, (set = new Set()));
    for (const day of days) {
      if (set.has(day)) continue;
      await this.create(table, day);
      set.add(day);
    }
  }

  private async create(table: PartitionedTable, day: number): Promise<void> {
    // Identifiers cannot be bound as parameters; these come from code constants and integer days only.
    if (!IDENT.test(table.name) || !Number.isInteger(day)) throw new Error(`bad partition ${table.name}/${day}`);
    const name = partitionName(table.name, day);
    const [from, to] = bounds(table.unit, day);
    const ddl = `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table.name}" FOR VALUES FROM (${from}) TO (${to})`;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.database.query(sql.raw(ddl));
        return;
      } catch (err) {
        // Two processes creating the same partition race on the catalog; the loser sees a
        // duplicate-type or duplicate-table error although the partition now exists.
        const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
        if ((code === '23505' || code === '42P07') && attempt < 3) continue;
        throw err;
      }
    }
  }

  /** Lists a table's partitions with their day index. */
  async list(table: PartitionedTable): Promise<{ name: string; day: number }[]> {
    const rows = await this.database.query<{ name: string }>(sql`
      SELECT c.relname AS name FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = ${table.name} ORDER BY c.relname`);
    const out: { name: string; day: number }[] = [];
    for (const { name } of rows) {
      const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (m) out.push({ name, day: Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) / MS_PER_DAY });
    }
    return out;
  }

  /** Drops partitions whose whole day is older than the cutoff; returns their names. */
  async dropOlderThan(table: PartitionedTable, cutoffMs: number): Promise<string[]> {
    const dropped: string[] = [];
    for (const p of await this.list(table)) {
      if ((p.day + 1) * MS_PER_DAY <= cutoffMs) {
        await this.database.query(sql.raw(`DROP TABLE IF EXISTS "${p.name}"`));
        this.known.get(table.name)?.delete(p.day);
        dropped.push(p.name);
      }
    }
    // Another process may have dropped some first: forget those too, so the next write to such a day
    // creates its partition again instead of failing.
    this.forgetOlderThan(table, cutoffMs);
    return dropped;
  }

  /**
   * Forgets cached days older than the cutoff, without asking the database: another process's retention
   * may have dropped them, and a write to such a day must then create its partition again.
   */
  forgetOlderThan(table: PartitionedTable, cutoffMs: number): void {
    const known = this.known.get(table.name);
    if (known) for (const day of known) if ((day + 1) * MS_PER_DAY <= cutoffMs) known.delete(day);
  }

  /** Creates today's partition and the next `daysAhead`, so the first writes of a day wait for no DDL. */
  async prepareAhead(tables: readonly PartitionedTable[], nowMs: number, daysAhead = 2): Promise<void> {
    const today = dayIndexOfMs(nowMs);
    const days = Array.from({ length: daysAhead + 1 }, (_, i) => today + i);
    for (const t of tables) await this.ensure(t, days);
  }
}
