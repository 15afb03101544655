export { decodeWriteRequest } from './decode.ts';
export type { DecodeResult, RejectedSeries } from './decode.ts';
export { encodeWriteRequest, encodeWriteRequestProtobuf } from './encode.ts';
export { PayloadTooLargeError, RemoteWriteDecodeError } from './errors.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export type { RemoteWriteLimits } from './limits.ts';
export { isStaleMarker, staleMarker, STALE_NAN_BITS } from './stale.ts';
