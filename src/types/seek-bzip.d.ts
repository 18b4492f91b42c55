// Minimal typing for seek-bzip (plain CommonJS, ships no declarations):
// only the whole-buffer decoder that pkg-summary.ts uses.
declare module 'seek-bzip' {
  interface SeekBzip {
    /** Decodes a bzip2 buffer; `multistream` accepts concatenated streams (pbzip2 output). */
    decode(input: Uint8Array, output?: Uint8Array | number, multistream?: boolean): Buffer;
  }
  const Bunzip: SeekBzip;
  export = Bunzip;
}
