// snappyjs ships no types. The tests use it as the reference: its compressor to build streams, its
// decompressor only to show where it goes wrong.
declare module 'snappyjs' {
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
  export function uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
}
