// snappyjs ships no types; only its block compressor is used (to build remote-write bodies).
declare module 'snappyjs' {
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
}
