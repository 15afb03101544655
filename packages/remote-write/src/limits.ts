// Limits a receiver enforces so that one sender cannot make a request arbitrarily expensive.
// The defaults follow what Mimir and Prometheus accept in practice, rounded up.

export interface RemoteWriteLimits {
  /** Refused (413) from the snappy header, before decompressing. */
  maxDecompressedBytes: number;
  /** UTF-8 bytes; a longer label value rejects its series. */
  maxLabelValueBytes: number;
  /** UTF-8 bytes of a label name, and of the metric name (`__name__`'s value). */
  maxLabelNameBytes: number;
  /** Labels per series, `__name__` included. */
  maxLabelsPerSeries: number;
}

export const DEFAULT_LIMITS: Readonly<RemoteWriteLimits> = Object.freeze({
  maxDecompressedBytes: 64 * 1024 * 1024,
  maxLabelValueBytes: 4096,
  maxLabelNameBytes: 1024,
  maxLabelsPerSeries: 128,
});
