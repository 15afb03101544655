// The one mapping from errors to HTTP answers: HttpErrors as they are, errors of the classified shape
// (the store's back-pressure and unavailability) by their fields, anything else as a bug.
import { describe, expect, it } from 'vitest';
import { HttpError, isClassifiedError, toHttpError } from './errors.ts';

class Unavailable extends Error {
  readonly status = 503;
  readonly retryAfterSeconds = 5;
  readonly expose = true;
}

describe('toHttpError', () => {
  it('answers classified errors with their status, Retry-After and, when exposed, their message', () => {
    const e = toHttpError(new Unavailable('database unavailable: connection refused'))!;
    expect(e).toBeInstanceOf(HttpError);
    expect([e.status, e.headers, e.message]).toEqual([
      503,
      { 'Retry-After': '5' },
      'database unavailable: connection refused',
    ]);
    const hidden = Object.assign(new Error('internal detail'), { status: 429, expose: false });
    expect([toHttpError(hidden)!.status, toHttpError(hidden)!.message]).toEqual([429, 'request refused']);
  });

  it('passes HttpErrors through and leaves everything else to the 500 path', () => {
    const http = new HttpError(400, 'bad');
    expect(toHttpError(http)).toBe(http);
    expect(toHttpError(new Error('bug'))).toBeUndefined();
    // A status alone (as some libraries set) is not a classification.
    expect(isClassifiedError(Object.assign(new Error('x'), { status: 503 }))).toBe(false);
    expect(isClassifiedError(Object.assign(new Error('x'), { status: 200, expose: true }))).toBe(false);
    expect(isClassifiedError({ status: 503, expose: true, message: 'not an Error' })).toBe(false);
  });
});
