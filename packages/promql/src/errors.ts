// Error kinds mirror the `errorType` values of Prometheus' HTTP API so callers can map them 1:1
// (bad_data → 400, execution → 422, timeout/canceled → 503).
export type PromQLErrorKind = 'bad_data' | 'execution' | 'timeout' | 'canceled';

export class PromQLError extends Error {
  readonly kind: PromQLErrorKind;
  constructor(kind: PromQLErrorKind, message: string) {
    super(message);
    this.name = 'PromQLError';
    this.kind = kind;
  }
}

export const execError = (message: string): PromQLError => new PromQLError('execution', message);

// The phrases Prometheus uses (ErrTooManySamples, ErrQueryTimeout, ErrQueryCanceled with env "query execution").
export const tooManySamples = (): PromQLError =>
  execError('query processing would load too many samples into memory in query execution');
export const sameLabelset = (): PromQLError => execError('vector cannot contain metrics with the same labelset');
