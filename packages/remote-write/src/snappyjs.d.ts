// snappyjs ships no types. Only compression is used from it: its decompressor trusts its input (a
// negative literal length loops forever), so decoding goes through @pivot/snappy instead.
declare module 'snappyjs' {
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
  export function uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
}
