// Conversions between model values and the column encodings the tables use.
import { createHash } from 'node:crypto';
import type { SpanId, TraceId } from '@pivot/model';

/** A span ID (16 hex) as the signed 64-bit integer stored in a bigint column, in decimal. */
export function spanIdToDb(id: SpanId): string {
  return BigInt.asIntN(64, BigInt('0x' + id)).toString();
}

/** The bigint column value (decimal string, number or bigint, by driver) back to 16 hex characters. */
export function spanIdFromDb(v: unknown): SpanId {
  return BigInt.asUintN(64, BigInt(v as string))
    .toString(16)
    .padStart(16, '0') as SpanId;
}

/** uuid text (with dashes) back to the 32-hex trace ID. */
export function traceIdFromDb(v: unknown): TraceId {
  return String(v).replaceAll('-', '') as TraceId;
}

/** JSON text that PostgreSQL accepts: jsonb and text refuse NUL, so it becomes U+FFFD. */
export function toJsonText(value: unknown): string {
  const s = JSON.stringify(value);
  return s.includes('\\u0000')
    ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? v.replaceAll('\0', '\uFFFD') : v))
    : s;
}

export function cleanText(s: string): string {
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** A stable 64-bit identity for deduplicated rows (resources, scopes): same content, same ID. */
export function contentId(value: unknown): string {
  const digest = createHash('sha1')
    .update(JSON.stringify(canonical(value)))
    .digest();
  return digest.readBigInt64BE(0).toString();
}
