// Builds OTLP protobuf requests for tests and the benchmark, independently of the decoders under test:
// field numbers are written out here from opentelemetry-proto, not shared with src/.
import { Writer } from '@pivot/protobuf';

export type TAny =
  | string
  | boolean
  | { int: number | bigint }
  | { double: number }
  | { bytes: Uint8Array }
  | { kv: Record<string, TAny> }
  | TAny[]
  | null;
export type TAttrs = Record<string, TAny>;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
const idBytes = (id: string | Uint8Array): Uint8Array => (typeof id === 'string' ? hexBytes(id) : id);

export function writeAny(w: Writer, field: number, v: TAny): void {
  w.fork(field);
  if (typeof v === 'string') w.tag(1, LEN).string(v);
  else if (typeof v === 'boolean') w.tag(2, VARINT).uint32(v ? 1 : 0);
  else if (Array.isArray(v)) {
    w.fork(5);
    for (const x of v) writeAny(w, 1, x);
    w.join();
  } else if (v !== null) {
    if ('int' in v) w.tag(3, VARINT).varint64(BigInt(v.int));
    else if ('double' in v) w.tag(4, I64).double(v.double);
    else if ('bytes' in v) w.tag(7, LEN).bytes(v.bytes);
    else {
      w.fork(6);
      writeAttrs(w, 1, v.kv);
      w.join();
    }
  }
  w.join();
}

export function writeAttrs(w: Writer, field: number, attrs: TAttrs | undefined): void {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    w.fork(field).tag(1, LEN).string(k);
    if (v !== null) writeAny(w, 2, v);
    w.join();
  }
}

function writeResource(w: Writer, attrs: TAttrs | undefined, dropped = 0): void {
  w.fork(1);
  writeAttrs(w, 1, attrs);
  if (dropped) w.tag(2, VARINT).uint32(dropped);
  w.join();
}

function writeScope(w: Writer, s: { name?: string; version?: string; attributes?: TAttrs }): void {
  w.fork(1);
  if (s.name) w.tag(1, LEN).string(s.name);
  if (s.version) w.tag(2, LEN).string(s.version);
  writeAttrs(w, 3, s.attributes);
  w.join();
}

export interface TSpan {
  traceId: string | Uint8Array;
  spanId: string | Uint8Array;
  parentSpanId?: string | Uint8Array;
  traceState?: string;
  name?: string;
  kind?: number;
  start?: bigint;
  end?: bigint;
  attributes?: TAttrs;
  droppedAttributesCount?: number;
  events?: { time?: bigint; name: string; attributes?: TAttrs }[];
  links?: { traceId: string | Uint8Array; spanId: string | Uint8Array; attributes?: TAttrs; flags?: number }[];
  status?: { code?: number; message?: string };
  flags?: number;
}
export interface TResource<T> {
  attributes?: TAttrs;
  droppedAttributesCount?: number;
  scopes: { name?: string; version?: string; attributes?: TAttrs; items: T[] }[];
}

export function encodeTraces(resources: TResource<TSpan>[]): Uint8Array {
  const w = new Writer();
  for (const r of resources) {
    w.fork(1);
    writeResource(w, r.attributes, r.droppedAttributesCount);
    for (const s of r.scopes) {
      w.fork(2);
      writeScope(w, s);
      for (const sp of s.items) {
        w.fork(2);
        w.tag(1, LEN).bytes(idBytes(sp.traceId));
        w.tag(2, LEN).bytes(idBytes(sp.spanId));
        if (sp.traceState) w.tag(3, LEN).string(sp.traceState);
        if (sp.parentSpanId !== undefined) w.tag(4, LEN).bytes(idBytes(sp.parentSpanId));
        w.tag(5, LEN).string(sp.name ?? 'span');
        if (sp.kind) w.tag(6, VARINT).uint32(sp.kind);
        w.tag(7, I64).fixed64(sp.start ?? 1_700_000_000_000_000_000n);
        w.tag(8, I64).fixed64(sp.end ?? 1_700_000_000_001_000_000n);
        writeAttrs(w, 9, sp.attributes);
        if (sp.droppedAttributesCount) w.tag(10, VARINT).uint32(sp.droppedAttributesCount);
        for (const e of sp.events ?? []) {
          w.fork(11)
            .tag(1, I64)
            .fixed64(e.time ?? 0n)
            .tag(2, LEN)
            .string(e.name);
          writeAttrs(w, 3, e.attributes);
          w.join();
        }
        for (const l of sp.links ?? []) {
          w.fork(13).tag(1, LEN).bytes(idBytes(l.traceId)).tag(2, LEN).bytes(idBytes(l.spanId));
          writeAttrs(w, 4, l.attributes);
          if (l.flags) w.tag(6, I32).fixed32(l.flags);
          w.join();
        }
        if (sp.status) {
          w.fork(15);
          if (sp.status.message) w.tag(2, LEN).string(sp.status.message);
          if (sp.status.code) w.tag(3, VARINT).uint32(sp.status.code);
          w.join();
        }
        if (sp.flags !== undefined) w.tag(16, I32).fixed32(sp.flags);
        w.join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}

export interface TLog {
  time?: bigint;
  observed?: bigint;
  severityNumber?: number;
  severityText?: string;
  body?: TAny;
  attributes?: TAttrs;
  flags?: number;
  traceId?: string | Uint8Array;
  spanId?: string | Uint8Array;
  eventName?: string;
}

export function encodeLogs(resources: TResource<TLog>[]): Uint8Array {
  const w = new Writer();
  for (const r of resources) {
    w.fork(1);
    writeResource(w, r.attributes, r.droppedAttributesCount);
    for (const s of r.scopes) {
      w.fork(2);
      writeScope(w, s);
      for (const l of s.items) {
        w.fork(2);
        if (l.time !== undefined) w.tag(1, I64).fixed64(l.time);
        if (l.severityNumber) w.tag(2, VARINT).uint32(l.severityNumber);
        if (l.severityText) w.tag(3, LEN).string(l.severityText);
        if (l.body !== undefined) writeAny(w, 5, l.body);
        writeAttrs(w, 6, l.attributes);
        if (l.flags) w.tag(8, I32).fixed32(l.flags);
        if (l.traceId !== undefined) w.tag(9, LEN).bytes(idBytes(l.traceId));
        if (l.spanId !== undefined) w.tag(10, LEN).bytes(idBytes(l.spanId));
        if (l.observed !== undefined) w.tag(11, I64).fixed64(l.observed);
        if (l.eventName) w.tag(12, LEN).string(l.eventName);
        w.join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}

export interface TExemplar {
  time?: bigint;
  double?: number;
  int?: bigint;
  traceId?: string;
  spanId?: string;
  attributes?: TAttrs;
}
interface TPointBase {
  attributes?: TAttrs;
  start?: bigint;
  time?: bigint;
  flags?: number;
  exemplars?: TExemplar[];
}
export interface TNumberPoint extends TPointBase {
  double?: number;
  int?: bigint;
}
export interface THistogramPoint extends TPointBase {
  count: number;
  sum?: number;
  bucketCounts: number[];
  bounds: number[];
  min?: number;
  max?: number;
  /** Writes repeated fields one element per tag instead of packed. */
  unpacked?: boolean;
}
export interface TSummaryPoint extends TPointBase {
  count: number;
  sum: number;
  quantiles: [number, number][];
}
export interface TExpPoint extends TPointBase {
  count: number;
  scale: number;
  zeroCount?: number;
  positive?: { offset: number; counts: number[] };
}
export type TMetric = { name: string; unit?: string; description?: string } & (
  | { gauge: TNumberPoint[] }
  | { sum: TNumberPoint[]; temporality: number; monotonic: boolean }
  | { histogram: THistogramPoint[]; temporality: number }
  | { expHistogram: TExpPoint[]; temporality: number }
  | { summary: TSummaryPoint[] }
);

function writeExemplars(w: Writer, field: number, ex: TExemplar[] | undefined): void {
  for (const e of ex ?? []) {
    w.fork(field);
    writeAttrs(w, 7, e.attributes);
    w.tag(2, I64).fixed64(e.time ?? 0n);
    if (e.double !== undefined) w.tag(3, I64).double(e.double);
    if (e.int !== undefined) w.tag(6, I64).fixed64(e.int);
    if (e.spanId !== undefined) w.tag(4, LEN).bytes(hexBytes(e.spanId));
    if (e.traceId !== undefined) w.tag(5, LEN).bytes(hexBytes(e.traceId));
    w.join();
  }
}

const zigzag = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;

function writeNumberPoints(w: Writer, pts: TNumberPoint[]): void {
  for (const p of pts) {
    w.fork(1);
    writeAttrs(w, 7, p.attributes);
    w.tag(2, I64).fixed64(p.start ?? 0n);
    w.tag(3, I64).fixed64(p.time ?? 0n);
    if (p.double !== undefined) w.tag(4, I64).double(p.double);
    if (p.int !== undefined) w.tag(6, I64).fixed64(p.int);
    writeExemplars(w, 5, p.exemplars);
    if (p.flags) w.tag(8, VARINT).uint32(p.flags);
    w.join();
  }
}

export function encodeMetrics(resources: TResource<TMetric>[]): Uint8Array {
  const w = new Writer();
  for (const r of resources) {
    w.fork(1);
    writeResource(w, r.attributes, r.droppedAttributesCount);
    for (const s of r.scopes) {
      w.fork(2);
      writeScope(w, s);
      for (const m of s.items) {
        w.fork(2);
        w.tag(1, LEN).string(m.name);
        if (m.description) w.tag(2, LEN).string(m.description);
        if (m.unit) w.tag(3, LEN).string(m.unit);
        if ('gauge' in m) {
          w.fork(5);
          writeNumberPoints(w, m.gauge);
          w.join();
        } else if ('sum' in m) {
          w.fork(7);
          writeNumberPoints(w, m.sum);
          w.tag(2, VARINT).uint32(m.temporality);
          if (m.monotonic) w.tag(3, VARINT).uint32(1);
          w.join();
        } else if ('histogram' in m) {
          w.fork(9);
          for (const p of m.histogram) {
            w.fork(1);
            w.tag(2, I64)
              .fixed64(p.start ?? 0n)
              .tag(3, I64)
              .fixed64(p.time ?? 0n);
            w.tag(4, I64).fixed64(BigInt(p.count));
            if (p.sum !== undefined) w.tag(5, I64).double(p.sum);
            if (p.unpacked) {
              for (const c of p.bucketCounts) w.tag(6, I64).fixed64(BigInt(c));
              for (const b of p.bounds) w.tag(7, I64).double(b);
            } else {
              w.fork(6);
              for (const c of p.bucketCounts) w.fixed64(BigInt(c));
              w.join();
              w.fork(7);
              for (const b of p.bounds) w.double(b);
              w.join();
            }
            writeExemplars(w, 8, p.exemplars);
            writeAttrs(w, 9, p.attributes);
            if (p.flags) w.tag(10, VARINT).uint32(p.flags);
            if (p.min !== undefined) w.tag(11, I64).double(p.min);
            if (p.max !== undefined) w.tag(12, I64).double(p.max);
            w.join();
          }
          w.tag(2, VARINT).uint32(m.temporality);
          w.join();
        } else if ('expHistogram' in m) {
          w.fork(10);
          for (const p of m.expHistogram) {
            w.fork(1);
            writeAttrs(w, 1, p.attributes);
            w.tag(2, I64)
              .fixed64(p.start ?? 0n)
              .tag(3, I64)
              .fixed64(p.time ?? 0n);
            w.tag(4, I64).fixed64(BigInt(p.count));
            w.tag(6, VARINT).uint32(zigzag(p.scale));
            w.tag(7, I64).fixed64(BigInt(p.zeroCount ?? 0));
            if (p.positive) {
              w.fork(8).tag(1, VARINT).uint32(zigzag(p.positive.offset));
              w.fork(2);
              for (const c of p.positive.counts) w.varint64(BigInt(c));
              w.join();
              w.join();
            }
            if (p.flags) w.tag(10, VARINT).uint32(p.flags);
            writeExemplars(w, 11, p.exemplars);
            w.join();
          }
          w.tag(2, VARINT).uint32(m.temporality);
          w.join();
        } else {
          w.fork(11);
          for (const p of m.summary) {
            w.fork(1);
            writeAttrs(w, 7, p.attributes);
            w.tag(2, I64)
              .fixed64(p.start ?? 0n)
              .tag(3, I64)
              .fixed64(p.time ?? 0n);
            w.tag(4, I64).fixed64(BigInt(p.count)).tag(5, I64).double(p.sum);
            for (const [q, v] of p.quantiles) w.fork(6).tag(1, I64).double(q).tag(2, I64).double(v).join();
            if (p.flags) w.tag(8, VARINT).uint32(p.flags);
            w.join();
          }
          w.join();
        }
        w.join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}
