// The compact trace the dashboard reads (GET /api/traces/{id}?format=columns) back to span objects,
// the shape the rest of the trace view works on. Resources and scopes stay shared, not copied, and a
// span's absolute start (a BigInt sum) is only computed when something reads it.
import type { ApiSpan, Attributes, SpanKind, TraceColumnsResponse } from '@pivot/api-types';

class ColumnSpan implements ApiSpan {
  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly parentSpanId: string | null,
    readonly name: string,
    readonly service: string,
    readonly kind: SpanKind,
    private readonly base: bigint,
    private readonly offset: number,
    readonly durationNano: string,
    readonly status: ApiSpan['status'],
    readonly traceState: string,
    readonly attributes: Attributes,
    readonly events: ApiSpan['events'],
    readonly links: ApiSpan['links'],
    readonly resource: ApiSpan['resource'],
    readonly scope: ApiSpan['scope'],
  ) {}
  get startTimeUnixNano(): string {
    return (this.base + BigInt(this.offset)).toString();
  }
}

export function spansFromColumns(t: TraceColumnsResponse): ApiSpan[] {
  const c = t.spans;
  const base = BigInt(t.summary.startTimeUnixNano);
  const n = c.spanId.length;
  const out = new Array<ApiSpan>(n);
  for (let i = 0; i < n; i++) {
    out[i] = new ColumnSpan(
      t.traceId,
      c.spanId[i]!,
      c.parentSpanId[i] ?? null,
      c.name[i]!,
      c.service[i]!,
      c.kind[i]!,
      base,
      c.startOffsetNano[i]!,
      String(c.durationNano[i]),
      { code: c.statusCode[i]!, message: c.statusMessage[i] ?? '' },
      c.traceState[i] ?? '',
      c.attributes[i] ?? {},
      c.events[i] ?? [],
      c.links[i] ?? [],
      t.resources[c.resource[i]!] ?? { attributes: {} },
      t.scopes[c.scope[i]!] ?? { name: '', version: '' },
    );
  }
  return out;
}

/** The spans' starts as the span tree takes them: offsets from the trace start, no string parsing. */
export const startsFromColumns = (t: TraceColumnsResponse): { base: bigint; offsets: number[] } => ({
  base: BigInt(t.summary.startTimeUnixNano),
  offsets: t.spans.startOffsetNano,
});
