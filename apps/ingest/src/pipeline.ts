// The one ingest step behind every way in: decode → validate → enqueue → answer. OTLP/HTTP, OTLP/gRPC,
// remote-write, NDJSON and Loki push each read their bytes their own way, call ingest() with an
// IngestPath, and answer from what it returns. What an undecodable request becomes (400, or 413 for a
// snappy bomb), what is written, when the call resolves (after COMMIT) and how both outcomes are
// counted is decided here, once.
import type { MetricsBatch, Signal } from '@pivot/model';
import { LogDecodeError } from '@pivot/logformats';
import { OtlpDecodeError } from '@pivot/otlp';
import { RemoteWriteDecodeError } from '@pivot/remote-write';
import { badRequest, payloadTooLarge } from '@pivot/server-kit';
import type { IngestMetrics } from './metrics.ts';
import { keepWithin, windowFor, type TimeWindow, type TimeWindowOptions } from './time-window.ts';

/** Where a signal's decoded batches go: a group-commit writer, resolved after COMMIT. */
export interface Sink<B> {
  write(batch: B): Promise<void>;
  readonly queueDepth: number;
  /** The times this signal's items may carry now (see time-window.ts); absent: any storable time. */
  timeWindow?(): TimeWindow;
}

/** The same sink, refusing items dated outside the window the options give (absent: unchanged). */
export function withTimeWindow<B>(sink: Sink<B>, signal: Signal, opts: TimeWindowOptions | undefined): Sink<B> {
  if (!opts) return sink;
  return {
    write: (batch) => sink.write(batch),
    get queueDepth() {
      return sink.queueDepth;
    },
    timeWindow: () => windowFor(signal, opts),
  };
}

/** What a decoder made of one request: the valid items to store and how many it refused, and why. */
export interface Decoded<B> {
  /** What to write; null when the request holds nothing to store. */
  batch: B | null;
  /** Items (spans, log records, samples) stored once the batch commits. */
  accepted: number;
  /** Items refused one by one; the rest of the request is still stored. */
  rejected: number;
  /** Why, in one line (OTLP's partial-success message); empty when the path lists refusals itself. */
  message: string;
}

/** Bounds on log records, shared by every log path. */
export interface LogLimits {
  /** Longest NDJSON line or Loki entry; OTLP string bodies are truncated to it. */
  maxLineBytes?: number;
}

/**
 * One way in: a signal, a decoder and the sink its batches go to. `D` carries what the path's answer
 * needs beyond the counts (line errors, refused series, …). `decode` throws only the decoders' own
 * errors (OtlpDecodeError, RemoteWriteDecodeError, LogDecodeError) for a request that cannot be read.
 */
export interface IngestPath<B, D extends Decoded<B> = Decoded<B>> {
  signal: Signal;
  decode(body: Uint8Array): D;
  sink: Sink<B>;
}

/** A Decoded whose batch is written only when it holds accepted items. */
export function decoded<B>(batch: B, accepted: number, rejected: number, message = ''): Decoded<B> {
  return { batch: accepted > 0 ? batch : null, accepted, rejected, message };
}

/** The items a metrics batch counts as: its samples. */
export function samplesIn(batch: MetricsBatch): number {
  let n = 0;
  for (const s of batch.series) n += s.samples.length;
  return n;
}

/**
 * Decodes one request, writes what is valid and counts both outcomes. Resolves with the decode result
 * only once the rows are committed. Undecodable input throws a 400 HttpError (413 for a body declaring
 * more than the decompressed-size limit); store errors (queue full, database down, closed) pass through
 * for the transport to map to 429/503.
 */
export async function ingest<B, D extends Decoded<B>>(
  path: IngestPath<B, D>,
  body: Uint8Array,
  metrics: IngestMetrics,
): Promise<D> {
  const { signal } = path;
  let out: D;
  try {
    out = path.decode(body);
  } catch (err) {
    throw decodeFailure(err, signal, metrics);
  }
  const window = path.sink.timeWindow?.();
  if (window && out.batch !== null) {
    const kept = keepWithin(signal, out.batch, window);
    if (kept.dropped) {
      const message = `${kept.dropped} ${ITEM_NOUN[signal]} outside the accepted time window, first: ${kept.first}`;
      const accepted = out.accepted - kept.dropped;
      out = {
        ...out,
        // Metric batches may still carry metadata worth writing.
        batch: accepted > 0 || signal === 'metrics' ? (kept.batch as B) : null,
        accepted,
        rejected: out.rejected + kept.dropped,
        message: [out.message, message].filter(Boolean).join('; '),
      };
    }
  }
  if (out.batch !== null) await path.sink.write(out.batch);
  metrics.accepted.inc({ signal }, out.accepted);
  if (out.rejected > 0) metrics.rejected.inc({ signal, reason: 'invalid' }, out.rejected);
  return out;
}

const ITEM_NOUN: Record<Signal, string> = { traces: 'spans', logs: 'log records', metrics: 'samples' };

/** The decoders' errors as HTTP errors: 413 when they say so, else 400 (counted as undecodable); others unchanged. */
function decodeFailure(err: unknown, signal: Signal, metrics: IngestMetrics): unknown {
  if (!(err instanceof OtlpDecodeError || err instanceof RemoteWriteDecodeError || err instanceof LogDecodeError))
    return err;
  if ('status' in err && err.status === 413) return payloadTooLarge(err.message);
  metrics.rejected.inc({ signal, reason: 'undecodable' });
  return badRequest(err.message, err);
}

/** How many refusals a 400 message names; the count covers them all. */
const LISTED_REJECTS = 10;

/**
 * The 400 message of a request whose valid items were stored and whose other ones were refused: how
 * many, how many were stored, the first ten refusals and "; and N more".
 */
export function rejectSummary<R>(
  rejects: readonly R[],
  describe: (reject: R) => string,
  noun: string,
  stored: string,
): string {
  const listed = rejects.slice(0, LISTED_REJECTS).map(describe).join('; ');
  const more = rejects.length > LISTED_REJECTS ? `; and ${rejects.length - LISTED_REJECTS} more` : '';
  return `${rejects.length} ${noun} rejected (the other ${stored} were stored): ${listed}${more}`;
}
