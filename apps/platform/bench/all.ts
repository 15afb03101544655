// `npm run bench`: every benchmark on this machine, each in its own process, sizes set by BENCH_SCALE.
// Prints each benchmark's table, writes them all to bench/results/summary.md (which README quotes),
// and ends stdout with one JSON object holding every figure: value, unit, baseline, ratio, goal.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

const BENCHES = ['traces', 'servicegraph', 'logs', 'metrics', 'promql', 'queries', 'facets', 'dashboard', 'memory'];
const figures: Record<string, unknown> = {};
const tables: string[] = [];
for (const name of BENCHES) {
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(file)) continue;
  process.stderr.write(`\n== bench:${name}\n`);
  const t0 = performance.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', file.pathname], {
    env: process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  const lines = res.stdout.trim().split('\n');
  if (res.status !== 0) {
    process.stderr.write(res.stdout);
    figures[name] = { error: `exited ${res.status}` };
    continue;
  }
  const last = JSON.parse(lines[lines.length - 1]!) as { benchmark: string; figures: Record<string, unknown> };
  Object.assign(figures, last.figures);
  tables.push(lines.slice(0, -1).join('\n'));
  process.stdout.write(lines.slice(0, -1).join('\n') + `\n(${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
}
const header = `Measured on ${availableParallelism()} cores and ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite'}, BENCH_SCALE=${process.env.BENCH_SCALE ?? 1}, ${new Date().toISOString().slice(0, 10)}. Reproduce with \`npm run bench\` (with DATABASE_URL set for PostgreSQL).\n\n`;
writeFileSync(new URL('./results/summary.md', import.meta.url), header + tables.join('\n'));
process.stdout.write(JSON.stringify({ scale: Number(process.env.BENCH_SCALE ?? 1), figures }) + '\n');
