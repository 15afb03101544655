// The receive time stamped on every record of a request; callers pass it to make decoding repeatable.
import { unixNano } from '@pivot/model';
import type { UnixNano } from '@pivot/model';

export function observedTime(given: bigint | undefined): UnixNano {
  return unixNano(given ?? BigInt(Date.now()) * 1_000_000n);
}
