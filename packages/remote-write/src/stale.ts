// Prometheus marks a series as gone with a signalling NaN of a fixed bit pattern. V8 sets the quiet bit
// when such a NaN is stored into a double array (not into an object field), so a check that only
// accepted the exact pattern would miss markers that passed through an array downstream.
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const QUIET_BIT = 0x0008000000000000n;

const view = new DataView(new ArrayBuffer(8));

export function isStaleMarker(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  view.setFloat64(0, value);
  return (view.getBigUint64(0) & ~QUIET_BIT) === STALE_NAN_BITS;
}

/** The stale marker as a number (keep it in object fields, not double arrays, to keep its exact bits). */
export function staleMarker(): number {
  view.setBigUint64(0, STALE_NAN_BITS);
  return view.getFloat64(0);
}
