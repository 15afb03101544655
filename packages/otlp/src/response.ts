// Export*ServiceResponse bodies. Each has partial_success at field 1 holding rejected_<items> (int64,
// field 1) and error_message (field 2); a fully successful export leaves it unset.
import type { Signal } from '@pivot/model';
import { Writer } from '@pivot/protobuf';

export interface PartialSuccess {
  rejected: number;
  message: string;
}

const REJECTED_JSON_FIELD: Readonly<Record<Signal, string>> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};

/**
 * Encodes the response for one export. `partial` with nothing rejected and no message counts as full
 * success; a message with zero rejections is still sent, as the spec allows for warnings.
 */
export function encodeExportResponse(signal: Signal, partial: PartialSuccess | null, format: 'protobuf'): Uint8Array;
export function encodeExportResponse(signal: Signal, partial: PartialSuccess | null, format: 'json'): string;
export function encodeExportResponse(
  signal: Signal,
  partial: PartialSuccess | null,
  format: 'protobuf' | 'json',
): Uint8Array | string;
export function encodeExportResponse(
  signal: Signal,
  partial: PartialSuccess | null,
  format: 'protobuf' | 'json',
): Uint8Array | string {
  const rejected = partial === null ? 0 : Math.max(0, Math.trunc(partial.rejected));
  const message = partial === null ? '' : partial.message;
  const empty = rejected === 0 && message === '';
  if (format === 'json') {
    if (empty) return '{}';
    const ps: Record<string, string> = {};
    // int64 is a string in protobuf JSON.
    if (rejected !== 0) ps[REJECTED_JSON_FIELD[signal]] = String(rejected);
    if (message !== '') ps.errorMessage = message;
    return JSON.stringify({ partialSuccess: ps });
  }
  if (empty) return new Uint8Array(0);
  const w = new Writer();
  w.fork(1);
  if (rejected !== 0) w.tag(1, 0).varint64(BigInt(rejected));
  if (message !== '') w.tag(2, 2).string(message);
  w.join();
  return w.finish();
}
