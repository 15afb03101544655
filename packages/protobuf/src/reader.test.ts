import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtobufError, Reader, Writer } from './index.ts';

describe('Reader/Writer', () => {
  it('round-trips varints, fixed and nested messages', () => {
    const w = new Writer();
    w.tag(1, 0).uint32(300);
    w.tag(2, 0).varint64(-5n);
    w.fork(3).tag(1, 2).string('héllo').tag(2, 1).double(1.5).join();
    w.tag(4, 1).fixed64(1_700_000_000_123_456_789n);
    const r = new Reader(w.finish());
    expect(r.tag()).toBe((1 << 3) | 0);
    expect(r.uint32()).toBe(300);
    expect(r.tag() >>> 3).toBe(2);
    expect(r.varint64()).toBe(-5n);
    expect(r.tag() >>> 3).toBe(3);
    const sub = r.sub();
    sub.tag();
    expect(sub.string()).toBe('héllo');
    sub.tag();
    expect(sub.double()).toBe(1.5);
    expect(sub.eof()).toBe(true);
    r.tag();
    expect(r.fixed64()).toBe(1_700_000_000_123_456_789n);
    expect(r.eof()).toBe(true);
  });

  it('skips unknown length-delimited fields and lands on the next field', () => {
    const w = new Writer();
    w.tag(9, 2).string('unknown field of 23 bytes');
    w.tag(1, 0).uint32(42);
    const r = new Reader(w.finish());
    r.skip(r.tag() & 7);
    expect(r.tag()).toBe(1 << 3);
    expect(r.uint32()).toBe(42);
  });

  it('refuses deeply nested groups with a typed error', () => {
    const bytes = new Uint8Array(200).fill((1 << 3) | 3); // start-group, again and again
    const r = new Reader(bytes);
    expect(() => r.skip(r.tag() & 7)).toThrow(ProtobufError);
  });

  it('names the byte offset of a truncated length-delimited field', () => {
    const w = new Writer();
    w.tag(1, 0).uint32(1);
    w.tag(2, 2).uint32(50); // claims 50 bytes that are not there
    const r = new Reader(w.finish());
    r.tag();
    r.uint32();
    r.tag();
    expect(() => r.bytes()).toThrow(/truncated length-delimited field \(length 50\) at byte 3/);
  });

  it('never throws anything but ProtobufError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = new Reader(bytes);
        try {
          while (!r.eof()) r.skip(r.tag() & 7);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtobufError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
