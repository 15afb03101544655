// The parser on the queries Grafana writes (query builder, trace to logs, logs volume, health check:
// public/app/plugins/datasource/loki/ and public/app/features/explore/TraceView/), and its refusals.
import { describe, expect, it } from 'vitest';
import { LogQLError, parse, runPipeline, type LogQuery } from '../src/index.ts';

const TRACE = '7946b05c2e2e4e5a7946b05c2e2e4e5a';

function refuse(q: string): LogQLError {
  try {
    parse(q);
  } catch (err) {
    if (err instanceof LogQLError) return err;
    throw err;
  }
  throw new Error(`parsed: ${q}`);
}

describe('parse', () => {
  it('reads a selector with every matcher type and chained line filters', () => {
    const q = parse(
      '{service_name="checkout", level!="debug", k8s_pod_name=~"api-.*", env!~"dev|test"} |= "order" != "health" |~ "ORD-\\\\d+" !~ `(?i)ping`',
    );
    expect(q).toEqual({
      kind: 'log',
      matchers: [
        { name: 'service_name', op: '=', value: 'checkout' },
        { name: 'level', op: '!=', value: 'debug' },
        { name: 'k8s_pod_name', op: '=~', value: 'api-.*' },
        { name: 'env', op: '!~', value: 'dev|test' },
      ],
      pipeline: [
        { kind: 'line', op: '|=', value: 'order' },
        { kind: 'line', op: '!=', value: 'health' },
        { kind: 'line', op: '|~', value: 'ORD-\\d+' },
        { kind: 'line', op: '!~', value: '(?i)ping' },
      ],
    });
  });

  it("reads Grafana's default trace-to-logs query (label_format with contains on __line__)", () => {
    const q = parse(
      `{service_name="checkout"} | label_format log_line_contains_trace_id=\`{{ contains "${TRACE}" __line__  }}\` | log_line_contains_trace_id="true" OR trace_id="${TRACE}"`.replace(
        'OR',
        'or',
      ),
    ) as LogQuery;
    expect(q.pipeline[0]).toEqual({
      kind: 'labelFormat',
      formats: [
        {
          name: 'log_line_contains_trace_id',
          kind: 'template',
          parts: [{ kind: 'contains', needle: { kind: 'string', value: TRACE }, haystack: { kind: 'line' } }],
        },
      ],
    });
    expect(q.pipeline[1]).toMatchObject({ kind: 'labelFilter', filter: { kind: 'or' } });
    const hit = runPipeline(q.pipeline, { line: `trace ${TRACE} done`, stream: {}, metadata: {} });
    expect(hit?.parsed.log_line_contains_trace_id).toBe('true');
    expect(runPipeline(q.pipeline, { line: 'nothing', stream: {}, metadata: {} })).toBeNull();
    expect(runPipeline(q.pipeline, { line: 'nothing', stream: {}, metadata: { trace_id: TRACE } })).not.toBeNull();
  });

  it("reads Grafana's newer trace-to-logs probe", () => {
    const q = parse(
      `{service_name="api"} | logfmt | json | drop __error__ | trace_id="${TRACE}" | span_id="6605c7b08e715d6c"`,
    ) as LogQuery;
    expect(q.pipeline.map((s) => s.kind)).toEqual(['logfmt', 'json', 'drop', 'labelFilter', 'labelFilter']);
  });

  it('reads metric queries with aggregations on either side, topk and arithmetic', () => {
    expect(parse('sum by (level) (count_over_time({service_name="a"} | drop __error__ [1m]))')).toMatchObject({
      kind: 'aggregate',
      op: 'sum',
      grouping: { without: false, labels: ['level'] },
      expr: { kind: 'range', fn: 'count_over_time', rangeNs: 60_000_000_000n },
    });
    expect(parse('sum(rate({service_name="a"}[5m])) without (host)')).toMatchObject({
      grouping: { without: true, labels: ['host'] },
    });
    expect(parse('topk(3, sum by (service_name) (bytes_over_time({level="error"}[1h30m])))')).toMatchObject({
      op: 'topk',
      param: 3,
      expr: { op: 'sum', expr: { fn: 'bytes_over_time', rangeNs: 5_400_000_000_000n } },
    });
    expect(parse('vector(1)+vector(1)')).toEqual({
      kind: 'binary',
      op: '+',
      left: { kind: 'vector', value: 1 },
      right: { kind: 'vector', value: 1 },
    });
    expect(parse('count_over_time({a="b"}[1m]) * 2 + 1')).toMatchObject({ kind: 'binary', op: '+', left: { op: '*' } });
  });

  it('reads label filters with and, comma, implicit and, or, parentheses and numbers', () => {
    const q = parse(
      '{a="b"} | json | status >= 500 and route="/x", method!="GET" | (x="1" or y=~"2|3") z<=-1.5',
    ) as LogQuery;
    expect(q.pipeline[1]).toMatchObject({ filter: { kind: 'and', left: { kind: 'and' } } });
    expect(q.pipeline[2]).toMatchObject({
      filter: { kind: 'and', left: { kind: 'or' }, right: { name: 'z', op: '<=', value: '-1.5', numeric: true } },
    });
  });

  it.each([
    ['{a="b"} | line_format "{{.x}}"', 'the "line_format" stage'],
    ['{a="b"} | unwrap latency', 'the "unwrap" stage'],
    ['{a="b"} | pattern "<ip> <_>"', 'the "pattern" stage'],
    ['{a="b"} | regexp "(?P<x>.)"', 'the "regexp" stage'],
    ['avg_over_time({a="b"} | unwrap x [1m])', 'the range function avg_over_time'],
    ['count_over_time({a="b"}[1m] offset 1h)', 'offset'],
    ['stddev(count_over_time({a="b"}[1m]))', 'the aggregation stddev'],
    ['{a="b"} |= "x" or "y"', '"or" between line filters'],
    ['{a="b"} | json a="b"', 'parameters of | json'],
    ['{a="b"} | label_format x=`{{ .a | upper }}`', 'template "|"'],
    ['{a="b"} | label_format x=`{{ ToUpper .a }}`', 'template function ToUpper'],
    ['{a="b"} | latency > 10s', 'duration label filters'],
    ['count_over_time({a="b"}[1m]) > 2', 'the binary operator ">"'],
    ['count_over_time({a="b"}[1m]) and vector(1)', 'the set operator "and"'],
  ])('refuses %s naming %s', (q, construct) => {
    const e = refuse(q);
    expect(e.unsupported).toBe(construct);
    expect(e.message).toContain(construct);
  });

  it.each([
    ['{a="b"', 17 - 11, 'expected'],
    ['{a=b}', 3, 'quoted label value'],
    ['{}', 0, 'at least one matcher'],
    ['{a=""}', 0, 'at least one matcher'],
    ['{a=~"("}', 4, 'invalid regex'],
    ['{a="b"} |~ "a("', 11, 'invalid regex'],
    ['count_over_time({a="b"})', 23, 'expected "["'],
    ['sum(count_over_time({a="b"}[1m])', 32, 'expected ")"'],
    ['{a="b"} "x"', 8, 'unexpected'],
    ['', 0, 'empty query'],
  ])('reports the position of a syntax error in %s', (q, pos, text) => {
    const e = refuse(q);
    expect(e.unsupported).toBeUndefined();
    expect(e.message).toContain(text);
    expect(e.position).toBe(pos);
  });
});

describe('runPipeline', () => {
  const entry = (line: string, metadata = {}) => ({ line, stream: { service_name: 'api', level: 'info' }, metadata });

  it('json flattens nested keys and renames those the stream already has', () => {
    const p = runPipeline(
      (parse('{a="b"} | json') as LogQuery).pipeline,
      entry('{"user":{"id":7,"ok":true},"level":"warn","tags":[1]}'),
    )!;
    expect(p.parsed).toEqual({ user_id: '7', user_ok: 'true', level_extracted: 'warn' });
  });

  it('logfmt reads quoted values; a failed parse sets __error__ and keeps the line', () => {
    const q = (parse('{a="b"} | logfmt') as LogQuery).pipeline;
    expect(runPipeline(q, entry('msg="hello world" status=200 bare'))!.parsed).toEqual({
      msg: 'hello world',
      status: '200',
    });
    expect(runPipeline(q, entry('{"a":1}'))!.parsed.__error__).toBe('LogfmtParserErr');
    const dropped = (parse('{a="b"} | logfmt | json | drop __error__') as LogQuery).pipeline;
    expect(runPipeline(dropped, entry('{"a":1}'))!.parsed).toEqual({ a: '1' });
  });

  it('numeric label filters: a value that is not a number keeps the line with __error__', () => {
    const q = (parse('{a="b"} | logfmt | status >= 500') as LogQuery).pipeline;
    expect(runPipeline(q, entry('status=503'))).not.toBeNull();
    expect(runPipeline(q, entry('status=200'))).toBeNull();
    expect(runPipeline(q, entry('status=abc'))!.parsed.__error__).toBe('LabelFilterErr');
    expect(runPipeline(q, entry('other=1'))).toBeNull();
  });

  it('regex line filters match anywhere, label regexes match the whole value', () => {
    const q = (parse('{a="b"} |~ "ORD-[0-9]+" | service_name=~"ap"') as LogQuery).pipeline;
    expect(runPipeline(q, entry('order ORD-77 placed'))).toBeNull();
    const q2 = (parse('{a="b"} |~ "ORD-[0-9]+" | service_name=~"ap."') as LogQuery).pipeline;
    expect(runPipeline(q2, entry('order ORD-77 placed'))).not.toBeNull();
    expect(runPipeline(q2, entry('order ORD- placed'))).toBeNull();
  });
});
