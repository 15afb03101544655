// Partial-success bookkeeping: how many items were kept or refused, and a bounded, human-readable
// summary of why (the reasons can quote client-chosen names, so both their number and length are capped).

const MAX_REASONS = 8;
const MAX_REASON_LENGTH = 200;

export class Rejections {
  accepted = 0;
  rejected = 0;
  private readonly reasons = new Map<string, number>();
  private otherReasons = 0;

  constructor(private readonly noun: string) {}

  reject(reason: string, n = 1): void {
    if (n <= 0) return;
    this.rejected += n;
    if (reason.length > MAX_REASON_LENGTH) reason = reason.slice(0, MAX_REASON_LENGTH) + '…';
    const seen = this.reasons.get(reason);
    if (seen !== undefined) this.reasons.set(reason, seen + n);
    else if (this.reasons.size < MAX_REASONS) this.reasons.set(reason, n);
    else this.otherReasons += n;
  }

  /** Empty when nothing was rejected. */
  message(): string {
    if (this.rejected === 0) return '';
    const total = this.accepted + this.rejected;
    const parts = [...this.reasons].map(([reason, n]) => `${reason} (${n})`);
    if (this.otherReasons > 0) parts.push(`other reasons (${this.otherReasons})`);
    return `rejected ${this.rejected} of ${total} ${this.noun}${total === 1 ? '' : 's'}: ${parts.join('; ')}`;
  }
}
