// @pivot/remote-write/testing: for tests and benchmarks in other packages. The requests Prometheus
// sent, captured in test/fixtures/ (see its MANIFEST.tsv), snappy-compressed as on the wire.
import { readFileSync } from 'node:fs';

export const FIXTURES = [
  'prom-remote-write-15.pb.snappy',
  'prom-remote-write-16.pb.snappy',
  'prom-remote-write-17.pb.snappy',
  'prom-remote-write-18.pb.snappy',
  'prom-remote-write-19.pb.snappy',
  'prom-remote-write-20.pb.snappy',
  'prom-remote-write-21.pb.snappy',
] as const;

/** A captured request body, as Prometheus POSTed it to /api/v1/write. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url)));
}
