// Compact span fixtures for the model tests: times in ms from an arbitrary epoch.
import type { SpanLike } from './span-tree.ts';

const EPOCH = 1_700_000_000_000_000_000n;

export function span(
  id: string,
  parent: string | null,
  startMs: number,
  durMs: number,
  opts: { service?: string; name?: string; error?: boolean } = {},
): SpanLike {
  return {
    spanId: id,
    parentSpanId: parent,
    name: opts.name ?? id,
    service: opts.service ?? 'svc',
    startTimeUnixNano: (EPOCH + BigInt(Math.round(startMs * 1e6))).toString(),
    durationNano: String(Math.round(durMs * 1e6)),
    status: { code: opts.error ? 'ERROR' : 'UNSET' },
  };
}

export const MS = 1e6;
