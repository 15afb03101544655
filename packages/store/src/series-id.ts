import { createHash } from 'node:crypto';
import type { Labels } from '@pivot/model';

/**
 * A series' stable 64-bit identity: a hash of its sorted label pairs, computed in the writer so that
 * ingest never waits on a round trip to learn an ID. Returned as a decimal string for bigint columns.
 */
export function seriesId(labels: Labels): string {
  const h = createHash('sha1');
  for (const k of Object.keys(labels).sort()) h.update(k).update('\xff').update(labels[k]!).update('\xfe');
  return h.digest().readBigInt64BE(0).toString();
}
