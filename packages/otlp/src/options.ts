// Limits on what a network peer can make the decoders allocate. Defaults follow the OpenTelemetry SDK
// attribute limits (128 per entity), with a value cap generous enough for stack traces.

export interface DecodeOptions {
  /** Attributes kept per resource, scope, span, event, link, log record, data point or exemplar; extras are dropped and counted. */
  maxAttributes?: number;
  /** String attribute values (and base64 of bytes values) longer than this many UTF-16 units are truncated. */
  maxAttributeValueLength?: number;
  /** Nesting depth of AnyValue arrays/maps; a deeper value fails the whole request. A plain value has depth 1. */
  maxDepth?: number;
  /** Log bodies that are strings are truncated to this many UTF-16 units. */
  maxBodyLength?: number;
}

export interface Limits {
  readonly maxAttributes: number;
  readonly maxAttributeValueLength: number;
  readonly maxDepth: number;
  readonly maxBodyLength: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxAttributes: 128,
  maxAttributeValueLength: 16 * 1024,
  maxDepth: 16,
  maxBodyLength: 1024 * 1024,
});

// The AnyValue decoders recurse once per nesting level; this cap keeps a configured depth from ever
// reaching the engine's stack limit.
const HARD_MAX_DEPTH = 256;

function int(v: number | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v)) return v > 0 ? max : min;
  return Math.min(max, Math.max(min, Math.floor(v)));
}

export function resolveLimits(o: DecodeOptions | undefined): Limits {
  if (o === undefined) return DEFAULT_LIMITS;
  return {
    maxAttributes: int(o.maxAttributes, DEFAULT_LIMITS.maxAttributes, 0, 2 ** 31),
    maxAttributeValueLength: int(o.maxAttributeValueLength, DEFAULT_LIMITS.maxAttributeValueLength, 0, 2 ** 31),
    maxDepth: int(o.maxDepth, DEFAULT_LIMITS.maxDepth, 1, HARD_MAX_DEPTH),
    maxBodyLength: int(o.maxBodyLength, DEFAULT_LIMITS.maxBodyLength, 0, 2 ** 31),
  };
}
