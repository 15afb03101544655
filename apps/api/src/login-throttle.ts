// Failed logins are throttled per client address and per user name, with an exponential backoff:
// guessing passwords gets slower with every miss, and a flood of bad logins cannot keep the scrypt
// pool busy. A success clears the name's and the address's record.

export interface ThrottleOptions {
  /** Misses allowed before the first wait. */
  freeFailures: number;
  /** The first wait; each further miss doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Records kept at most (the oldest go first), so a spray of addresses cannot grow memory. */
  maxEntries: number;
  /** A record with no miss for this long is forgotten. */
  forgetAfterMs: number;
  now?: () => number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  maxEntries: 10_000,
  forgetAfterMs: 60 * 60_000,
};

interface Entry {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {
    this.now = opts.now ?? Date.now;
  }

  /** Milliseconds to wait before the next attempt for this address or name (0: go ahead). */
  waitMs(ip: string, user: string): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys(ip, user)) {
      const e = this.entries.get(key);
      if (!e) continue;
      if (now - e.lastFailure > this.opts.forgetAfterMs) this.entries.delete(key);
      else wait = Math.max(wait, e.blockedUntil - now);
    }
    return wait;
  }

  failed(ip: string, user: string): void {
    const now = this.now();
    for (const key of keys(ip, user)) {
      const e = this.entries.get(key) ?? { failures: 0, lastFailure: now, blockedUntil: 0 };
      e.failures++;
      e.lastFailure = now;
      const over = e.failures - this.opts.freeFailures;
      if (over > 0) e.blockedUntil = now + Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (over - 1));
      // Re-inserting keeps the Map in least-recently-failed order, so eviction takes the stalest.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    while (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  succeeded(ip: string, user: string): void {
    for (const key of keys(ip, user)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

const keys = (ip: string, user: string) => [`ip:${ip}`, `user:${user}`];
