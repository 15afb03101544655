// @pivot/otlp/testing: for tests and benchmarks, here and in other packages. Builds OTLP protobuf
// export requests independently of the decoders, and reads the captured exporter requests.
export {
  encodeLogs,
  encodeMetrics,
  encodeTraces,
  hexBytes,
  writeAny,
  writeAttrs,
  type TAny,
  type TAttrs,
  type TExemplar,
  type TExpPoint,
  type THistogramPoint,
  type TLog,
  type TMetric,
  type TNumberPoint,
  type TResource,
  type TSpan,
  type TSummaryPoint,
} from './otlp-writer.ts';
export { JSON_FIXTURES, PROTOBUF_FIXTURES, fixture, fixtureText, rawFixture } from './fixtures.ts';
