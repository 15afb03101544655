// The content hash that, with the timestamp, is a log row's primary key. A retried request hashes to
// the same keys and ON CONFLICT DO NOTHING drops it, as Loki drops exact duplicates. Two 32-bit lanes
// over the UTF-16 units instead of node:crypto: a digest object per record cost ~2 µs where this
// costs well under one, and the key needs no cryptographic strength (a collision would have to
// share the same nanosecond too).

/** A signed 64-bit hash of `s`, as the decimal string a bigint column takes. */
export function fingerprint64(s: string): string {
  let h1 = 0xdeadbeef ^ s.length;
  let h2 = 0x41c6ce57 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x9e3779b1);
    h2 = Math.imul(h2 ^ c, 0x5f356495);
  }
  // Final avalanche (from murmur3's fmix32), mixing the lanes into each other.
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return BigInt.asIntN(64, (BigInt(h1 >>> 0) << 32n) | BigInt(h2 >>> 0)).toString();
}
