// A LogQL corpus checked against pivot's own log API: every record is read through /api/logs, each
// query's expected answer is computed here from those records by a predicate written independently of
// @pivot/logql, and /loki/api/v1/query_range must return exactly that (entries, or samples per step).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@pivot/server-kit';
import { LogQueries, LogWriter, LogqlQueries, PartitionManager, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';
import { FIXTURE_END, FIXTURE_START, LOKI_FIXTURE, SEC, SPAN_A, T0, TRACE_A, TRACE_B } from './loki-fixture.ts';

interface ApiLog {
  timeUnixNano: string;
  severityNumber: number;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId: string | null;
  spanId: string | null;
  service: string;
  resource: { attributes: Record<string, unknown> };
}

// --- The reference: what each label of a record is, by the rules README documents ---------------------
const line = (l: ApiLog) => (typeof l.body === 'string' ? l.body : JSON.stringify(l.body));
const LEVELS = ['unknown', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const level = (l: ApiLog) =>
  l.severityNumber >= 1 && l.severityNumber <= 24 ? LEVELS[Math.floor((l.severityNumber - 1) / 4) + 1]! : 'unknown';
const text = (v: unknown) => (v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
const res = (l: ApiLog, key: string) => text(l.resource.attributes[key]);
const attr = (l: ApiLog, key: string) => text(l.attributes[key]);
const jsonOf = (l: ApiLog): Record<string, unknown> | null =>
  typeof l.body === 'object' && l.body ? (l.body as Record<string, unknown>) : null;
const logfmtOf = (l: ApiLog): Record<string, string> | null => {
  const s = line(l);
  if (s.startsWith('{')) return null;
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g))
    out[m[1]!] = m[2]!.startsWith('"') ? m[2]!.slice(1, -1) : m[2]!;
  return out;
};
const has = (l: ApiLog, s: string) => line(l).includes(s);
const svc = (name: string) => (l: ApiLog) => l.service === name;
/** Loki's numeric filter: a missing field drops the line (unless !=), one that is not a number keeps it. */
const num = (v: unknown, test: (n: number) => boolean) => {
  if (v === undefined) return false;
  const n = Number(v);
  return Number.isNaN(n) || text(v)!.trim() === '' ? true : test(n);
};

type Pred = (l: ApiLog) => boolean;
const LOG_CORPUS: [string, Pred][] = [
  ['{service_name="checkout"}', svc('checkout')],
  ['{service_name="payments"}', svc('payments')],
  [
    '{service_name!="checkout", deployment_environment="prod"}',
    (l) => l.service !== 'checkout' && res(l, 'deployment.environment') === 'prod',
  ],
  ['{service_name=~"check.*|inv.*"}', (l) => /^(check.*|inv.*)$/.test(l.service)],
  ['{service_name=~".+", service_name!~"check.*"}', (l) => !l.service.startsWith('check')],
  ['{deployment_environment="dev"}', (l) => res(l, 'deployment.environment') === 'dev'],
  ['{k8s_pod_name=~"checkout-.*"}', (l) => /^checkout-.*$/.test(res(l, 'k8s.pod.name') ?? '')],
  ['{k8s_pod_name="", service_name=~".+"}', (l) => res(l, 'k8s.pod.name') === undefined],
  ['{level="error"}', (l) => level(l) === 'error'],
  ['{level=~"warn|error|fatal"}', (l) => ['warn', 'error', 'fatal'].includes(level(l))],
  ['{level!="info", service_name="checkout"}', (l) => level(l) !== 'info' && l.service === 'checkout'],
  ['{level="unknown"}', (l) => level(l) === 'unknown'],
  ['{level="trace"}', (l) => level(l) === 'trace'],
  ['{service_name="checkout"} |= "ORD"', (l) => svc('checkout')(l) && has(l, 'ORD')],
  ['{service_name="checkout"} |= "ORD" != "placed"', (l) => svc('checkout')(l) && has(l, 'ORD') && !has(l, 'placed')],
  ['{service_name=~".+"} |= "ord"', (l) => has(l, 'ord')],
  ['{service_name=~".+"} |~ "ORD-[0-9]{4}"', (l) => /ORD-[0-9]{4}/.test(line(l))],
  ['{service_name=~".+"} |~ "(?i)error"', (l) => /error/i.test(line(l))],
  ['{service_name=~".+"} !~ "GET|ORD"', (l) => !/GET|ORD/.test(line(l))],
  ['{service_name=~".+"} |= "(code 5"', (l) => has(l, '(code 5')],
  ['{service_name=~".+"} |= "100%"', (l) => has(l, '100%')],
  ['{service_name=~".+"} |= "ORD_1001"', (l) => has(l, 'ORD_1001')],
  [`{service_name=~".+"} |= "${TRACE_A}"`, (l) => has(l, TRACE_A)],
  ['{service_name=~".+"} | http_route="/checkout"', (l) => attr(l, 'http.route') === '/checkout'],
  [
    '{service_name=~".+"} | http_route=~"/c.*" or code="51"',
    (l) => /^\/c.*$/.test(attr(l, 'http.route') ?? '') || attr(l, 'code') === '51',
  ],
  ['{service_name=~".+"} | user_id > 40', (l) => num(attr(l, 'user.id'), (n) => n > 40)],
  [`{service_name=~".+"} | trace_id="${TRACE_A}"`, (l) => l.traceId === TRACE_A],
  [`{service_name=~".+"} | trace_id!="${TRACE_A}"`, (l) => l.traceId !== TRACE_A],
  [`{service_name=~".+"} | trace_id=""`, (l) => l.traceId === null],
  [`{service_name="checkout"} | span_id="${SPAN_A}"`, (l) => svc('checkout')(l) && l.spanId === SPAN_A],
  ['{service_name=~".+"} | json | msg="audit"', (l) => jsonOf(l)?.msg === 'audit'],
  ['{service_name=~".+"} | json | status >= 500', (l) => jsonOf(l) !== null && num(jsonOf(l)!.status, (n) => n >= 500)],
  ['{service_name=~".+"} | json | user_id = 7', (l) => (jsonOf(l)?.user as { id?: number } | undefined)?.id === 7],
  ['{service_name=~".+"} | json | __error__=""', (l) => jsonOf(l) !== null],
  ['{service_name=~".+"} | json | __error__!=""', (l) => jsonOf(l) === null],
  [
    '{service_name=~".+"} | json | amount > 10 and currency="EUR"',
    (l) => Number(jsonOf(l)?.amount) > 10 && jsonOf(l)?.currency === 'EUR',
  ],
  [
    '{service_name=~".+"} | logfmt | status >= 500',
    (l) => {
      const f = logfmtOf(l);
      return f !== null && num(f.status, (n) => n >= 500);
    },
  ],
  ['{service_name=~".+"} | logfmt | msg=~"cache.*|slow.*"', (l) => /^(cache.*|slow.*)$/.test(logfmtOf(l)?.msg ?? '')],
  [
    '{service_name=~".+"} | logfmt | drop __error__ | latency < 100',
    (l) => {
      const f = logfmtOf(l);
      return f !== null && num(f.latency, (n) => n < 100);
    },
  ],
  ['{service_name=~".+"} | logfmt | level_extracted="warn"', (l) => logfmtOf(l)?.level === 'warn'],
  [
    '{service_name=~".+"} | logfmt | status="200" or remaining="2"',
    (l) => logfmtOf(l)?.status === '200' || logfmtOf(l)?.remaining === '2',
  ],
  [
    '{service_name=~".+"} | logfmt | json | drop __error__ | msg=~".*fail.*"',
    (l) => /fail/.test(String((jsonOf(l)?.msg as string | undefined) ?? logfmtOf(l)?.msg ?? '')),
  ],
  [
    `{service_name=~".+"} | label_format log_line_contains_trace_id=\`{{ contains "${TRACE_B}" __line__  }}\` | log_line_contains_trace_id="true" or trace_id="${TRACE_B}"`,
    (l) => has(l, TRACE_B) || l.traceId === TRACE_B,
  ],
  [
    `{service_name="checkout"} | label_format log_line_contains_trace_id=\`{{ contains "${TRACE_A}" __line__  }}\` | log_line_contains_trace_id="true" or trace_id="${TRACE_A}" | label_format log_line_contains_span_id=\`{{ contains "${SPAN_A}" __line__  }}\` | log_line_contains_span_id="true" or span_id="${SPAN_A}"`,
    (l) => svc('checkout')(l) && (has(l, TRACE_A) || l.traceId === TRACE_A) && (has(l, SPAN_A) || l.spanId === SPAN_A),
  ],
  [`{service_name=~".+"} | logfmt | json | drop __error__ | trace_id="${TRACE_A}"`, (l) => l.traceId === TRACE_A],
  [
    `{service_name=~".+"} | logfmt | json | drop __error__ | trace="${TRACE_B}"`,
    (l) => jsonOf(l)?.trace === TRACE_B || logfmtOf(l)?.trace === TRACE_B,
  ],
  ['{service_name=~".+"} | label_format svc=service_name | svc="payments"', svc('payments')],
  [
    '{service_name=~".+"} | label_format tag=`{{.service_name}}-{{.level}}` | tag="checkout-error"',
    (l) => l.service === 'checkout' && level(l) === 'error',
  ],
  ['{service_name=~".+"} | drop level | level=""', () => true],
  [
    '{service_name=~".+"} | (level="warn" or level="fatal") service_name!="payments"',
    (l) => ['warn', 'fatal'].includes(level(l)) && l.service !== 'payments',
  ],
];

// Metric queries made from some of the log queries: the expected samples come from the same predicates.
type Agg = {
  q: (sel: string) => string;
  value: (ls: ApiLog[], rangeS: number) => number;
  by?: (l: ApiLog) => string;
  byLabel?: string;
  rangeS: number;
};
const AGGS: Agg[] = [
  { q: (s) => `sum(count_over_time(${s} [1m]))`, value: (ls) => ls.length, rangeS: 60 },
  { q: (s) => `sum(rate(${s} [2m]))`, value: (ls, r) => ls.length / r, rangeS: 120 },
  {
    q: (s) => `sum(bytes_over_time(${s} [1m]))`,
    value: (ls) => ls.reduce((n, l) => n + Buffer.byteLength(line(l)), 0),
    rangeS: 60,
  },
  {
    q: (s) => `sum by (service_name) (count_over_time(${s} [90s]))`,
    value: (ls) => ls.length,
    by: (l) => l.service,
    byLabel: 'service_name',
    rangeS: 90,
  },
  {
    q: (s) => `sum by (level) (count_over_time(${s} | drop __error__ [1m]))`,
    value: (ls) => ls.length,
    by: level,
    byLabel: 'level',
    rangeS: 60,
  },
];
const METRIC_BASES = [0, 1, 5, 8, 9, 13, 15, 16, 23, 26, 31, 42, 43].map((i) => LOG_CORPUS[i]!);

/** Sums of per-series rates and the rate of the sum differ in the last bits of a double. */
const round = (v: number) => Number(v.toPrecision(12));

const STEP_START = T0 + 30n * SEC;
const STEP_END = FIXTURE_END;
const STEP = 30n * SEC;

for (const tdb of testDatabases()) {
  describe(`LogQL corpus on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    let all: ApiLog[] = [];

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const writer = new LogWriter(db, new PartitionManager(db));
      await writer.write(LOKI_FIXTURE);
      await writer.close();
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        logs: { queries: new LogQueries(db) },
        loki: { queries: new LogqlQueries(db) },
        ready: () => db.ping(),
      });
      // Everything, read through pivot's own log API, page by page.
      let cursor: string | null = null;
      do {
        const res = await app.request(
          `/api/logs?start=${FIXTURE_START}&end=${FIXTURE_END}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        );
        const page = (await res.json()) as { logs: ApiLog[]; nextCursor: string | null };
        all.push(...page.logs);
        cursor = page.nextCursor;
      } while (cursor);
      all = all.filter((l) => BigInt(l.timeUnixNano) < FIXTURE_END);
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('has a corpus of at least 60 queries over data that exercises them', () => {
      expect(LOG_CORPUS.length + METRIC_BASES.length * AGGS.length).toBeGreaterThanOrEqual(60);
      expect(all.length).toBeGreaterThan(20);
    });

    it.each(LOG_CORPUS)('log query %s', async (query, pred) => {
      const res = await app.request(
        `/loki/api/v1/query_range?query=${encodeURIComponent(query)}&start=${FIXTURE_START}&end=${FIXTURE_END}&limit=5000&direction=forward`,
      );
      const body = (await res.json()) as { data: { result: { values: [string, string][] }[] }; message?: string };
      expect(res.status, body.message).toBe(200);
      const got = body.data.result.flatMap((s) => s.values.map(([t, l]) => `${t} ${l}`)).sort();
      const want = all
        .filter(pred)
        .map((l) => `${l.timeUnixNano} ${line(l)}`)
        .sort();
      expect(got).toEqual(want);
    });

    const metricCases = METRIC_BASES.flatMap(([sel, pred]) => AGGS.map((a) => [a.q(sel), a, pred] as const));
    it.each(metricCases)('metric query %s', async (query, agg, pred) => {
      const res = await app.request(
        `/loki/api/v1/query_range?query=${encodeURIComponent(query)}&start=${STEP_START}&end=${STEP_END}&step=${STEP / 1_000_000n}ms`,
      );
      const body = (await res.json()) as {
        data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
        message?: string;
      };
      expect(res.status, body.message).toBe(200);
      const got = Object.fromEntries(
        body.data.result.map((s) => [
          agg.byLabel ? (s.metric[agg.byLabel] ?? '') : '',
          s.values.map(([t, v]) => [t, round(Number(v))]),
        ]),
      );
      const kept = all.filter(pred);
      const want: Record<string, [number, number][]> = {};
      const groups = new Set(kept.map((l) => (agg.by ? agg.by(l) : '')));
      for (const g of groups) {
        const points: [number, number][] = [];
        for (let t = STEP_START; t <= STEP_END; t += STEP) {
          const inWindow = kept.filter((l) => {
            const ts = BigInt(l.timeUnixNano);
            return (agg.by ? agg.by(l) : '') === g && ts > t - BigInt(agg.rangeS) * SEC && ts <= t;
          });
          if (inWindow.length) points.push([Number(t / 1_000_000n) / 1000, round(agg.value(inWindow, agg.rangeS))]);
        }
        if (points.length) want[g] = points;
      }
      expect(got).toEqual(want);
    });
  });
}
