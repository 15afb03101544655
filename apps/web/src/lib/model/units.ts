// Branded units, so a nanosecond offset is never passed where milliseconds are expected.
// In the browser, span times are offsets from the trace start in nanoseconds, as doubles: exact
// for offsets up to 104 days, while absolute Unix nanoseconds (≈1.8e18) would not be.
declare const unit: unique symbol;
export type Nanos = number & { readonly [unit]: 'ns' };
export type Millis = number & { readonly [unit]: 'ms' };

export const nanos = (n: number): Nanos => n as Nanos;
export const millis = (n: number): Millis => n as Millis;

/** Absolute Unix nanoseconds (decimal string) to Unix milliseconds, as a double. */
export function nsStringToMs(ns: string): Millis {
  // Splitting keeps the integer part exact before the division.
  const s = ns.length > 6 ? ns.slice(0, -6) : '0';
  const frac = ns.length > 6 ? ns.slice(-6) : ns.padStart(6, '0');
  return millis(Number(s) + Number(frac) / 1e6);
}

export function msToNsString(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}
