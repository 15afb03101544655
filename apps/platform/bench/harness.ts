// Shared benchmark plumbing: fresh databases, medians, and the report format (a table for people,
// then one JSON line last on stdout for machines).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '@pivot/store';
import { createScratchDatabase } from '@pivot/store/testing';
import { backendPids, processCpuSeconds } from '@pivot/store/bench';

export { processCpuSeconds };

export const SCALE = Number(process.env.BENCH_SCALE ?? 1);
export const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
  /** value / baseline; for latencies, lower is better and the goal reads accordingly. */
  ratio: number;
  goal: string;
}

/** A migrated, empty database: a scratch database on the DATABASE_URL server, or PGlite in memory. */
export async function freshDatabase(): Promise<{ db: Database; url: string | undefined; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const db = await openDatabase({ dataDir: 'memory://', statementTimeoutMs: 600_000 });
    await db.migrate();
    return { db, url: undefined, drop: () => db.close() };
  }
  const scratch = await createScratchDatabase(base);
  // Set-up statements (bulk generation, VACUUM FULL) run far longer than any request may.
  const db = await openDatabase({ url: scratch.url, statementTimeoutMs: 600_000 });
  await db.migrate();
  return {
    db,
    url: scratch.url,
    async drop() {
      await db.close();
      await scratch.drop();
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function report(title: string, figures: Figure[], notes: string[] = [], runs = REPEAT): void {
  const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  const lines = [
    `### ${title}`,
    '',
    `Machine: ${process.env.BENCH_MACHINE ?? `${cpuCount()} cores`}, ${process.env.DATABASE_URL ? 'PostgreSQL server' : 'PGlite'}, BENCH_SCALE=${SCALE}, median of ${runs} runs.`,
    '',
    '| figure | value | baseline (same run) | ratio | goal |',
    '|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.baselineName}: ${fmt(f.baseline)} ${f.unit} | ${f.ratio.toFixed(2)}× | ${f.goal} |`,
    ),
    ...(notes.length ? ['', ...notes] : []),
    '',
  ];
  const md = lines.join('\n');
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.md`, dir), md);
  process.stdout.write(md + '\n');
  process.stdout.write(
    JSON.stringify({
      benchmark: title,
      scale: SCALE,
      figures: Object.fromEntries(
        figures.map((f) => [
          f.name,
          {
            value: f.value,
            unit: f.unit,
            baseline: f.baseline,
            baselineName: f.baselineName,
            ratio: f.ratio,
            goal: f.goal,
          },
        ]),
      ),
    }) + '\n',
  );
}

function cpuCount(): number {
  return availableParallelism();
}

/** Runs load-client.mjs in its own process against `url`; returns its wall time and retry count. */
export async function runLoadClient(
  dir: string,
  url: string,
  concurrency: number,
  contentType = 'application/x-protobuf',
  contentEncoding = '',
): Promise<{ seconds: number; retries: number; cpuSeconds: number }> {
  const { spawn } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        new URL('./load-client.mjs', import.meta.url).pathname,
        dir,
        url,
        String(concurrency),
        contentType,
        contentEncoding,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buf = '';
    child.stdout.on('data', (d) => (buf += d));
    child.on('exit', (code) => (code === 0 ? resolve(buf) : reject(new Error(`load client exited ${code}`))));
  });
  return JSON.parse(out) as { seconds: number; retries: number; cpuSeconds: number };
}

/** Writes payloads as numbered files for the load client; returns the folder and a cleanup. */
export function payloadDir(payloads: Uint8Array[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-bench-'));
  payloads.forEach((p, i) => writeFileSync(join(dir, `${String(i).padStart(6, '0')}.bin`), p));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What each process of an end-to-end run used, in CPU seconds, over the run's wall `seconds`. */
export interface CpuSplit {
  seconds: number;
  ingest: number;
  client: number;
  server: number;
}

/**
 * Runs an end-to-end load (runLoadClient) and measures the CPU each process used meanwhile: this
 * process (the ingest service runs in it), the load client, and the database's backends (PostgreSQL).
 */
export async function withCpuSplit<T extends { seconds: number; cpuSeconds: number }>(
  db: Database,
  url: string | undefined,
  run: () => Promise<T>,
): Promise<T & { cpu: CpuSplit }> {
  const pg0 = url ? processCpuSeconds(await backendPids(db)) : new Map<number, number>();
  const own0 = process.cpuUsage();
  const r = await run();
  const own = process.cpuUsage(own0);
  const pg1 = url ? processCpuSeconds(await backendPids(db)) : new Map<number, number>();
  const cpu: CpuSplit = {
    seconds: r.seconds,
    ingest: (own.user + own.system) / 1e6,
    client: r.cpuSeconds,
    server: [...pg1].reduce((a, [pid, s]) => a + s - (pg0.get(pid) ?? 0), 0),
  };
  return { ...r, cpu };
}

/**
 * What the machine's cores allow end to end: the CPU every process of the run took per item (ingest,
 * load client, backends) beside the raw COPY's (its backend and sender), and the note that turns it into
 * a bound: with `cores` cores busy, no run can pass cores / CPU-per-item items per second, so a ratio
 * goal against the raw COPY is reachable here only when that bound is above it.
 */
export function cpuBound(
  c: CpuSplit,
  items: number,
  unit: string,
  copy: { cpuPerRow: number; rowsPerSecond: number },
): { figure: Figure; note: string } {
  const perItem = (c.ingest + c.client + c.server) / items;
  const cores = cpuCount();
  const bound = cores / perItem;
  const goalCpu = cores / (0.8 * copy.rowsPerSecond);
  return {
    figure: {
      name: `CPU per ${unit} end to end, every process (ingest, load client, PostgreSQL backends)`,
      value: perItem * 1e6,
      unit: `µs/${unit}`,
      baseline: copy.cpuPerRow * 1e6,
      baselineName: 'the raw COPY (its backend and the process sending the prepared rows)',
      ratio: perItem / copy.cpuPerRow,
      goal: `≤ ${(goalCpu * 1e6).toFixed(1)} µs for 0.8× COPY on ${cores} cores`,
    },
    note: `CPU bound: at ${(perItem * 1e6).toFixed(1)} µs of CPU per ${unit} over every process, ${cores} cores pass at most ${Math.round(bound).toLocaleString('en-US')} ${unit}s/s end to end, ${(bound / copy.rowsPerSecond).toFixed(2)}× the raw COPY's ${Math.round(copy.rowsPerSecond).toLocaleString('en-US')}; 0.8× needs ≤ ${(goalCpu * 1e6).toFixed(1)} µs per ${unit} in all, of which the load client alone took ${((c.client / items) * 1e6).toFixed(1)} µs.`,
  };
}

/** A CpuSplit as "ingest N µs/item (P% of a core), …" over `items` items. */
export function cpuLine(c: CpuSplit, items: number, unit: string): string {
  const part = (name: string, s: number) =>
    `${name} ${((s / items) * 1e6).toFixed((s / items) * 1e6 < 10 ? 2 : 0)} µs/${unit} (${((s / c.seconds) * 100).toFixed(0)}% of a core)`;
  return [part('ingest', c.ingest), part('load client', c.client), part('PostgreSQL backends', c.server)].join(', ');
}
