// The captured exporter requests in test/fixtures/ (see its MANIFEST.tsv): as an OTLP server receives
// them (rawFixture: gzip-encoded ones still gzip) or as its decoder sees them (fixture: inflated).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const dir = new URL('../test/fixtures/', import.meta.url);

/** The file's bytes as stored, for sending with Content-Encoding: gzip when the name ends in .gzip. */
export function rawFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, dir)));
}

/** The request body once inflated, as a decoder receives it. */
export function fixture(name: string): Uint8Array {
  const raw = readFileSync(new URL(name, dir));
  return new Uint8Array(name.endsWith('.gzip') ? gunzipSync(raw) : raw);
}

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, dir), 'utf8');
}

export const PROTOBUF_FIXTURES = [
  'otlp-metrics-00.pb',
  'otlp-metrics-01.pb',
  'otlp-traces-02.pb',
  'otlp-traces-03.pb',
  'otlp-logs-04.pb',
  'otlp-metrics-05.pb',
  'otlp-metrics-06.pb',
  'otlp-metrics-10.pb',
  'otlp-metrics-11.pb',
  'otlp-traces-12.pb.gzip',
  'otlp-traces-13.pb.gzip',
  'otlp-logs-14.pb.gzip',
] as const;
export const JSON_FIXTURES = ['otlp-traces-07.json', 'otlp-traces-08.json', 'otlp-logs-09.json'] as const;
