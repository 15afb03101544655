// Loki's JSON push (POST /loki/api/v1/push, application/json):
//   {"streams":[{"stream":{"app":"api"},"values":[["<ns>","line"],["<ns>","line",{"trace_id":"…"}]]}]}
// The third element of a value is structured metadata. A body that is not this shape fails whole; a bad
// stream or entry is reported and the rest kept.
import { LogDecodeError } from './errors.ts';
import { isPlainObject } from './fields.ts';
import { LokiDecoder } from './loki-stream.ts';
import type { LokiOptions, LokiResult, StreamContext } from './loki-stream.ts';

const lossyUtf8 = new TextDecoder();
const NANOS = /^\d{1,20}$/;

function parseNanos(v: unknown): bigint | null {
  if (typeof v === 'string' && NANOS.test(v)) return BigInt(v);
  // Loki wants strings, but some clients send numbers; below 2^53 they are still exact.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return null;
}

function streamLabels(v: unknown): Map<string, string> | string {
  if (!isPlainObject(v)) return '"stream" must be an object of labels';
  const labels = new Map<string, string>();
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string') return `label ${JSON.stringify(k)} must have a string value`;
    if (value !== '') labels.set(k, value);
  }
  return labels;
}

function metadataPairs(v: unknown): [string, string][] | string {
  if (v === undefined) return [];
  if (!isPlainObject(v)) return 'structured metadata must be an object';
  const pairs: [string, string][] = [];
  for (const [k, value] of Object.entries(v)) {
    if (typeof value === 'string') pairs.push([k, value]);
    else if (typeof value === 'number' || typeof value === 'boolean') pairs.push([k, String(value)]);
    else return `structured metadata ${JSON.stringify(k)} must be a string`;
  }
  return pairs;
}

function decodeEntry(dec: LokiDecoder, ctx: StreamContext, index: number, value: unknown): void {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3)
    return dec.entryError(ctx, index, 'expected [timestamp, line] or [timestamp, line, metadata]');
  const ts = parseNanos(value[0]);
  if (ts === null) return dec.entryError(ctx, index, 'timestamp must be a string of Unix epoch nanoseconds');
  if (typeof value[1] !== 'string') return dec.entryError(ctx, index, 'line must be a string');
  const metadata = metadataPairs(value[2]);
  if (typeof metadata === 'string') return dec.entryError(ctx, index, metadata);
  dec.entry(ctx, index, ts, value[1], metadata);
}

export function decodeLokiPushJson(body: string | Uint8Array, opts: LokiOptions = {}): LokiResult {
  const text = typeof body === 'string' ? body : lossyUtf8.decode(body);
  let push: unknown;
  try {
    push = JSON.parse(text);
  } catch (err) {
    throw new LogDecodeError(`invalid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (!isPlainObject(push) || !Array.isArray(push.streams))
    throw new LogDecodeError('expected a Loki push body: {"streams": [...]}');

  const dec = new LokiDecoder(opts);
  push.streams.forEach((stream: unknown, i: number) => {
    if (!isPlainObject(stream)) return dec.streamError(i, 'stream must be an object');
    const labels = streamLabels(stream.stream);
    if (typeof labels === 'string') return dec.streamError(i, labels);
    if (!Array.isArray(stream.values)) return dec.streamError(i, '"values" must be an array');
    const ctx = dec.stream(i, labels);
    stream.values.forEach((value: unknown, j: number) => decodeEntry(dec, ctx, j, value));
  });
  return dec.result();
}
