import { createHash } from 'node:crypto';
import type { Labels } from '@pivot/model';

/**
 * A series' stable 64-bit identity: a hash of its sorted label pairs, computed in the writer so that
 * ingest never waits on a round trip to learn an ID. Returned as a decimal string for bigint columns.
 */
export function seriesId(labels: Labels): string {
  // JSON of the sorted pairs: unambiguous whatever characters the values hold.
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return createHash('sha1').update(JSON.stringify(pairs)).digest().readBigInt64BE(0).toString();
}

/**
 * Remembers series IDs by a cheap key (the labels in the order they arrived) so that the hash is
 * computed once per series, not once per request. Bounded: it starts over past `max` entries.
 */
export class SeriesIdCache {
  private readonly ids = new Map<string, string>();
  constructor(private readonly max = 1_000_000) {}

  get(labels: Labels): string {
    // JSON is unambiguous whatever the values hold, and native, so cheaper than hashing.
    const key = JSON.stringify(labels);
    let id = this.ids.get(key);
    if (id === undefined) {
      if (this.ids.size >= this.max) this.ids.clear();
      id = seriesId(labels);
      this.ids.set(key, id);
    }
    return id;
  }
}
