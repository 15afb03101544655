// snappyjs ships no types. Only its compressor is used (by tests, to build Loki protobuf pushes): its
// decompressor trusts its input, so decoding goes through @pivot/snappy instead.
declare module 'snappyjs' {
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
  export function uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
}
