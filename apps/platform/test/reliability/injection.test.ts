// Hostile strings in every query parameter: the answers are correct (the strings are data, found
// exactly when they were stored) and no SQL is ever built by concatenating input.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixMillis } from '@pivot/model';
import { startHarness, type Harness } from './ingest-harness.ts';

const NASTY = [
  `o'brien`,
  `a"b`,
  'back\\slash',
  '$1',
  `'; DROP TABLE spans; --`,
  '.*',
  '(a|b)+',
  'ünï©ødé ✓',
  '%_',
  '\\u0000x',
];

describe('hostile strings are data, never SQL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const spans = NASTY.map((s, i) => ({
      traceId: (i + 1).toString(16).padStart(32, 'c'),
      spanId: (i + 1).toString(16).padStart(16, 'd'),
      name: s,
      kind: 2,
      startTimeUnixNano: String(1_795_554_618_167_000_000n + BigInt(i)),
      endTimeUnixNano: String(1_795_554_618_168_000_000n + BigInt(i)),
      attributes: [{ key: 'tag', value: { stringValue: s } }],
    }));
    const body = JSON.stringify({
      resourceSpans: NASTY.map((s, i) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: s } }] },
        scopeSpans: [{ scope: { name: 's' }, spans: [spans[i]] }],
      })),
    });
    expect(
      (await h.ingest.request('/v1/traces', { method: 'POST', body, headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(200);
    await h.samples.write({
      series: NASTY.map((s) => ({
        labels: { __name__: 'nasty', v: s },
        samples: [{ timestampMs: unixMillis(1_795_554_618_000), value: 1 }],
        exemplars: [],
      })),
      metadata: [],
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('trace search by service, operation and attribute finds exactly the matching trace', async () => {
    for (const [i, s] of NASTY.entries()) {
      const id = (i + 1).toString(16).padStart(32, 'c');
      for (const qs of [
        `service=${encodeURIComponent(s)}`,
        `operation=${encodeURIComponent(s)}`,
        `attr.tag=${encodeURIComponent(s)}`,
      ]) {
        const res = await h.api.request(`/api/traces?${qs}`);
        expect(res.status).toBe(200);
        expect(
          ((await res.json()) as { traces: { traceId: string }[] }).traces.map((t) => t.traceId),
          `${qs}`,
        ).toEqual([id]);
      }
      const ops = await h.api.request(`/api/services/${encodeURIComponent(s)}/operations`);
      expect(((await ops.json()) as { operations: { name: string }[] }).operations.map((o) => o.name)).toEqual([s]);
    }
  });

  it('PromQL matchers with quotes, backslashes and regex metacharacters match exactly', async () => {
    const t = 1_795_554_618;
    for (const s of NASTY) {
      const quoted = JSON.stringify(s); // a PromQL double-quoted string uses the same escapes
      const res = await h.api.request(`/api/v1/query?query=${encodeURIComponent(`nasty{v=${quoted}}`)}&time=${t}`);
      const body = (await res.json()) as { data: { result: { metric: { v: string } }[] } };
      expect(
        body.data.result.map((r) => r.metric.v),
        s,
      ).toEqual([s]);
      const values = await h.api.request(`/api/v1/label/v/values?match[]=${encodeURIComponent(`nasty{v=${quoted}}`)}`);
      expect(((await values.json()) as { data: string[] }).data).toEqual([s]);
    }
    const re = await h.api.request(
      `/api/v1/query?query=${encodeURIComponent('nasty{v=~"\\\\.\\\\*|\\\\(a\\\\|b\\\\)\\\\+"}')}&time=${t}`,
    );
    expect(
      ((await re.json()) as { data: { result: { metric: { v: string } }[] } }).data.result
        .map((r) => r.metric.v)
        .sort(),
    ).toEqual(['(a|b)+', '.*']);
  });

  it('no SQL text is built from anything but code constants (every sql.raw is audited here)', () => {
    // sql.raw is the only way to splice text into SQL with drizzle; each use must take constants.
    const root = new URL('../../../../', import.meta.url).pathname;
    const allowed: Record<string, RegExp[]> = {
      'packages/store/src/partitions.ts': [
        /sql\.raw\(ddl\)/,
        /sql\.raw\(`DROP TABLE IF EXISTS "\$\{p\.name\}"`\)/,
        // HOT_INDEXES: constant index definitions, on a partition name checked against IDENT.
        /sql\.raw\(`CREATE INDEX IF NOT EXISTS "\$\{partition\}_\$\{suffix\}" ON "\$\{partition\}" USING \$\{using\}`\)/,
        // HOT_KEYS: constant column lists, on a partition name checked against IDENT.
        /sql\.raw\(`CREATE UNIQUE INDEX IF NOT EXISTS "\$\{partition\}_key" ON "\$\{partition\}" USING btree \(\$\{key\}\)`\)/,
      ],
      // Table and column names from the COLUMNAR_TABLES constants, day partition names made by dayName() from
      // a day number or read from the catalog and checked against IDENT, and day bounds as numbers.
      'packages/store/src/columnar.ts': [/^sql\.raw\(/],
      // The same names and bounds, handed over by columnar.ts, and the distribution column and lock timeout
      // from constants (CITUS_PLACEMENT, SWAP_LOCK_TIMEOUT).
      'packages/store/src/columnar-citus.ts': [/^sql\.raw\(/],
      // The latency bucket count and bounds: the LATENCY_BUCKETS_NS constant.
      // …and the propagation problem that leaves a trace intact, a string constant.
      'packages/store/src/servicegraph.ts': [
        /LATENCY_BUCKETS_NS|sql\.raw\(String\(i\)\)|Array\.from\(\{ length: NB \}/,
        /sql\.raw\(`'db-without-traceparent'`\)/,
      ],
      // Table aliases and temporary table names of the inferred-link query: literal union types
      // ('s' | 'o', 'dl_s' | 'dl_o', 'dl_sl' | 'dl_ol'), string literals at every call site.
      'packages/store/src/db-log-link.ts': [/sql\.raw\((alias|spans|linked)\)/],
      'packages/store/src/servicegraph-queries.ts': [/LATENCY_BUCKETS_NS/],
      'packages/store/src/service-stats.ts': [
        /LATENCY_BUCKETS_NS|sql\.raw\(String\(i\)\)|Array\.from\(\{ length: NB \}/,
      ],
      // A FETCH count (it takes no parameter): a number, the chunk group size read from columnar.stripe.
      'packages/store/src/log-blocks.ts': [/sql\.raw\(`FETCH \$\{blockRows\} FROM log_blocks_cur`\)/],
      'packages/store/src/metric-compaction.ts': [/sql\.raw\(String\(CHUNK_WINDOW_MS\)\)/],
      // Benchmark set-up only: index definitions as pg_get_indexdef printed them, rebuilt after a bulk load.
      'packages/store/src/bench.ts': [/sql\.raw\(def\.replace\(' ON ONLY ', ' ON '\)\)/],
    };
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'build' || e.name.startsWith('.')) continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        // testing.ts (scratch databases named from random hex) is test support, not a request path.
        else if (
          /\.ts$/.test(e.name) &&
          !/\.test\.ts$/.test(e.name) &&
          e.name !== 'testing.ts' &&
          !p.includes('/bench/') &&
          !p.includes('/test/')
        ) {
          const text = readFileSync(p, 'utf8');
          for (const m of text.matchAll(/sql\.raw\([^\n]*\)/g)) {
            const rel = p.slice(root.length);
            if (!(allowed[rel] ?? []).some((re) => re.test(m[0]))) found.push(`${rel}: ${m[0]}`);
          }
          // A template literal handed to a driver's query() would bypass parameter binding.
          // bench.ts builds the raw COPY ceiling's scratch table (benchmarks only, never a request path).
          if (!p.endsWith('packages/store/src/bench.ts'))
            for (const m of text.matchAll(/\.query\(`[^`]*\$\{/g)) found.push(`${p.slice(root.length)}: ${m[0]}`);
        }
      }
    };
    walk(join(root, 'packages'));
    walk(join(root, 'apps'));
    expect(found).toEqual([]);
  });
});
