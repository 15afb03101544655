import { describe, expect, it } from 'vitest';
import type { TraceColumnsResponse } from '@pivot/api-types';
import { buildSpanTree } from './span-tree.ts';
import { spansFromColumns, startsFromColumns } from './trace-columns.ts';

describe('compact trace', () => {
  it('turns columns back into spans, starts exact to the nanosecond', () => {
    const summary = {
      traceId: 'ab',
      rootService: 'a',
      rootName: 'GET /',
      startTimeUnixNano: '1796226814576000001',
      durationNano: '5',
      durationMs: 0,
      spanCount: 2,
      errorCount: 1,
      services: ['a', 'b'],
    };
    const t: TraceColumnsResponse = {
      traceId: 'ab',
      services: ['a', 'b'],
      summary,
      spans: {
        spanId: ['0000000000000001', '0000000000000002'],
        parentSpanId: [null, '0000000000000001'],
        name: ['GET /', 'SELECT'],
        service: ['a', 'b'],
        kind: ['SERVER', 'CLIENT'],
        startOffsetNano: [0, 3],
        durationNano: [5, 1],
        statusCode: ['UNSET', 'ERROR'],
        statusMessage: ['', 'deadlock'],
        traceState: ['', ''],
        flags: [257, 257],
        attributes: [{}, { 'db.system': 'postgresql' }],
        events: [null, [{ timeUnixNano: '1796226814576000004', name: 'exception', attributes: {} }]],
        links: [null, null],
        droppedAttributesCount: [0, 0],
        droppedEventsCount: [0, 0],
        droppedLinksCount: [0, 0],
        resource: [0, 1],
        scope: [0, 0],
      },
      resources: [
        { attributes: { 'service.name': 'a' }, droppedAttributesCount: 0 },
        { attributes: { 'service.name': 'b' }, droppedAttributesCount: 0 },
      ],
      scopes: [{ name: 's', version: '1', attributes: {} }],
    };
    const spans = spansFromColumns(t);
    expect(spans[1]).toMatchObject({
      spanId: '0000000000000002',
      parentSpanId: '0000000000000001',
      startTimeUnixNano: '1796226814576000004',
      durationNano: '1',
      status: { code: 'ERROR', message: 'deadlock' },
      resource: { attributes: { 'service.name': 'b' } },
    });
    expect(spans[0]!.events).toEqual([]);
    expect(spans[0]!.scope).toBe(spans[1]!.scope);
    // The tree from the offsets is the tree from the decimal strings.
    const a = buildSpanTree(spans, startsFromColumns(t));
    const b = buildSpanTree(spans);
    expect(a.traceStartNs).toBe(b.traceStartNs);
    expect(a.nodes.map((x) => [x.start, x.end, x.depth])).toEqual(b.nodes.map((x) => [x.start, x.end, x.depth]));
  });
});
