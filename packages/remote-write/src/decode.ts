// Decodes a Prometheus remote-write 1.0 request (snappy block + prometheus.WriteRequest) into a
// MetricsBatch. A series that breaks a rule is rejected alone, with a message; a body that is not valid
// snappy or protobuf fails as a whole, because nothing after a framing fault can be trusted.
import { ProtobufError, Reader, WireType } from '@pivot/protobuf';
import { SnappyError, snappyDecompress } from '@pivot/snappy';
import { MAX_STORABLE_TIME_MS, unixMillis } from '@pivot/model';
import type { Exemplar, Labels, MetricMetadata, MetricType, MetricsBatch, Sample, TimeSeries } from '@pivot/model';
import { PayloadTooLargeError, RemoteWriteDecodeError } from './errors.ts';
import { exemplarTrace } from './exemplar-trace.ts';
import { checkLabelName, checkMetricName, METRIC_NAME_LABEL, quote } from './label-rules.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import type { RemoteWriteLimits } from './limits.ts';
import { setOwn } from './set-own.ts';
import { int64, utf8 } from './wire.ts';

export interface RejectedSeries {
  /** Position of the series in the request's `timeseries` list, counting from 0. */
  index: number;
  message: string;
}

export interface DecodeResult {
  batch: MetricsBatch;
  rejected: RejectedSeries[];
}

// Keys (field number << 3 | wire type) of the fields read on the hot path.
const KEY_SAMPLE_VALUE = (1 << 3) | WireType.I64;
const KEY_SAMPLE_TIMESTAMP = (2 << 3) | WireType.VARINT;
const KEY_EXEMPLAR_VALUE = (2 << 3) | WireType.I64;
const KEY_EXEMPLAR_TIMESTAMP = (3 << 3) | WireType.VARINT;

const lossyUtf8 = new TextDecoder();

const METRIC_TYPES: readonly MetricType[] = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
];

export function decodeWriteRequest(body: Uint8Array, limits: Partial<RemoteWriteLimits> = {}): DecodeResult {
  const lim: RemoteWriteLimits = { ...DEFAULT_LIMITS, ...limits };
  const buf = decompress(body, lim.maxDecompressedBytes);
  try {
    return readWriteRequest(new Reader(buf), lim);
  } catch (err) {
    if (err instanceof ProtobufError)
      throw new RemoteWriteDecodeError(
        `invalid WriteRequest protobuf: ${err.message} of the decompressed body`,
        err.offset,
      );
    throw err;
  }
}

function decompress(body: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return snappyDecompress(body, maxBytes);
  } catch (err) {
    if (!(err instanceof SnappyError)) throw err;
    if (err.declaredBytes !== null) throw new PayloadTooLargeError(err.declaredBytes, maxBytes);
    throw new RemoteWriteDecodeError(`invalid snappy block: ${err.message} (at byte ${err.offset})`, err.offset);
  }
}

function readWriteRequest(r: Reader, lim: RemoteWriteLimits): DecodeResult {
  const series: TimeSeries[] = [];
  const metadata: MetricMetadata[] = [];
  const rejected: RejectedSeries[] = [];
  let index = 0;
  while (!r.eof()) {
    const key = r.tag();
    switch (key >>> 3) {
      case 1: {
        r.expect(key, WireType.LEN);
        const outer = r.enter();
        const s = readSeries(r, lim);
        r.leave(outer);
        if (typeof s === 'string') rejected.push({ index, message: `series ${index}${s}` });
        else series.push(s);
        index++;
        break;
      }
      case 3: {
        r.expect(key, WireType.LEN);
        const outer = r.enter();
        metadata.push(readMetadata(r));
        r.leave(outer);
        break;
      }
      default:
        r.skip(key & 7);
    }
  }
  return { batch: { series, metadata }, rejected };
}

/** A series, or why it is rejected. Stops reading at the first broken rule (the caller skips the rest). */
function readSeries(r: Reader, lim: RemoteWriteLimits): TimeSeries | string {
  const labels: Labels = {};
  const samples: Sample[] = [];
  const exemplars: Exemplar[] = [];
  const cursor: LabelCursor = { previous: null };
  let labelCount = 0;
  let histograms = 0;
  while (!r.eof()) {
    const key = r.tag();
    switch (key >>> 3) {
      case 1: {
        r.expect(key, WireType.LEN);
        if (++labelCount > lim.maxLabelsPerSeries)
          return `${labelSummary(labels)}more than ${lim.maxLabelsPerSeries} labels`;
        const outer = r.enter();
        const problem = readSeriesLabel(r, lim, labels, cursor);
        r.leave(outer);
        if (problem !== null) return `${labelSummary(labels)}${problem}`;
        break;
      }
      case 2: {
        r.expect(key, WireType.LEN);
        const outer = r.enter();
        samples.push(readSample(r));
        r.leave(outer);
        break;
      }
      case 3: {
        r.expect(key, WireType.LEN);
        const outer = r.enter();
        exemplars.push(readExemplar(r));
        r.leave(outer);
        break;
      }
      case 4:
        r.expect(key, WireType.LEN);
        r.skip(WireType.LEN);
        histograms++;
        break;
      default:
        r.skip(key & 7);
    }
  }
  const nameProblem = checkMetricName(Object.hasOwn(labels, METRIC_NAME_LABEL) ? labels[METRIC_NAME_LABEL] : undefined);
  if (nameProblem) return `${labelSummary(labels)}${nameProblem}`;
  if (histograms > 0)
    return `${labelSummary(labels)}native histograms are not supported (${histograms} histogram samples); send classic histograms`;
  for (const t of [...samples, ...exemplars])
    if (Math.abs(t.timestampMs) > MAX_STORABLE_TIME_MS)
      return `${labelSummary(labels)}timestamp ${t.timestampMs} ms is beyond the storable range (year 2262)`;
  return { labels, samples, exemplars };
}

interface LabelCursor {
  /** The last label name read, empty-valued ones included, for the order and duplicate checks. */
  previous: string | null;
}

/**
 * Reads one Label message into `labels`, dropping it if its value is empty (Prometheus treats an empty
 * label as absent). Returns what is wrong with it, or null.
 */
function readSeriesLabel(r: Reader, lim: RemoteWriteLimits, labels: Labels, cursor: LabelCursor): string | null {
  let name = '';
  let value = '';
  while (!r.eof()) {
    const key = r.tag();
    const field = key >>> 3;
    if (field === 1 || field === 2) {
      r.expect(key, WireType.LEN);
      const n = r.len();
      const start = r.pos;
      r.pos += n;
      if (field === 1) {
        if (n > lim.maxLabelNameBytes) return `label name of ${n} bytes is longer than ${lim.maxLabelNameBytes} bytes`;
        const s = utf8(r.buf, start, start + n);
        if (s === null) return 'label name is not valid UTF-8';
        name = s;
      } else {
        if (n > lim.maxLabelValueBytes)
          return `value of label ${name ? quote(name) : '(name not yet read)'} is ${n} bytes, longer than ${lim.maxLabelValueBytes} bytes`;
        // A metric name is a name: held to the name limit, which also keeps it inside the btree on
        // metric names (2,704 bytes a tuple), whose refusal would otherwise be a 500 retried forever.
        if (name === '__name__' && n > lim.maxLabelNameBytes)
          return `metric name of ${n} bytes is longer than ${lim.maxLabelNameBytes} bytes`;
        const s = utf8(r.buf, start, start + n);
        if (s === null) return `value of label ${quote(name)} is not valid UTF-8`;
        value = s;
      }
    } else r.skip(key & 7);
  }
  const problem = checkLabelName(name, cursor.previous);
  if (problem) return problem;
  cursor.previous = name;
  if (value !== '') setOwn(labels, name, value);
  return null;
}

function readSample(r: Reader): Sample {
  let value = 0;
  let timestamp = 0;
  while (!r.eof()) {
    const key = r.tag();
    if (key === KEY_SAMPLE_VALUE) value = r.double();
    else if (key === KEY_SAMPLE_TIMESTAMP) timestamp = int64(r);
    else {
      const field = key >>> 3;
      if (field === 1) r.expect(key, WireType.I64);
      if (field === 2) r.expect(key, WireType.VARINT);
      r.skip(key & 7);
    }
  }
  return { timestampMs: unixMillis(timestamp), value };
}

function readExemplar(r: Reader): Exemplar {
  const labels: Labels = {};
  let value = 0;
  let timestamp = 0;
  while (!r.eof()) {
    const key = r.tag();
    if (key === KEY_EXEMPLAR_VALUE) value = r.double();
    else if (key === KEY_EXEMPLAR_TIMESTAMP) timestamp = int64(r);
    else {
      const field = key >>> 3;
      if (field === 1) {
        r.expect(key, WireType.LEN);
        const outer = r.enter();
        readExemplarLabel(r, labels);
        r.leave(outer);
        continue;
      }
      if (field === 2) r.expect(key, WireType.I64);
      if (field === 3) r.expect(key, WireType.VARINT);
      r.skip(key & 7);
    }
  }
  return { labels, value, timestampMs: unixMillis(timestamp), ...exemplarTrace(labels) };
}

/** Exemplar labels are kept as sent; Prometheus itself only bounds their total length, which the body limit covers. */
function readExemplarLabel(r: Reader, labels: Labels): void {
  let name = '';
  let value = '';
  while (!r.eof()) {
    const key = r.tag();
    const field = key >>> 3;
    if (field === 1 || field === 2) {
      r.expect(key, WireType.LEN);
      const n = r.len();
      const s = utf8(r.buf, r.pos, r.pos + n) ?? lossyUtf8.decode(r.buf.subarray(r.pos, r.pos + n));
      r.pos += n;
      if (field === 1) name = s;
      else value = s;
    } else r.skip(key & 7);
  }
  setOwn(labels, name, value);
}

function readMetadata(r: Reader): MetricMetadata {
  const md: MetricMetadata = { metricFamilyName: '', type: 'unknown', help: '', unit: '' };
  while (!r.eof()) {
    const key = r.tag();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WireType.VARINT);
        md.type = METRIC_TYPES[r.uint32()] ?? 'unknown';
        break;
      case 2:
        r.expect(key, WireType.LEN);
        md.metricFamilyName = r.string();
        break;
      case 4:
        r.expect(key, WireType.LEN);
        md.help = r.string();
        break;
      case 5:
        r.expect(key, WireType.LEN);
        md.unit = r.string();
        break;
      default:
        r.skip(key & 7);
    }
  }
  return md;
}

/** Names the series in a rejection message by its metric name, when that was read already. */
function labelSummary(labels: Labels): string {
  const name = Object.hasOwn(labels, METRIC_NAME_LABEL) ? labels[METRIC_NAME_LABEL] : undefined;
  return name ? ` (${quote(name)}): ` : ': ';
}
