// Huffman decoding for JPEG Lossless (ITU-T T.81 Annex C tables, F.2.2.3 decoding, H.1.2.2 difference categories):
// canonical codes from a DHT segment with a 9-bit lookup table for the common short codes, and a bit reader with a
// 32-bit accumulator that removes stuffed zero bytes and refuses to read past the entropy-coded data.
import { PixelDataError } from '../errors.js';

const FAST = 9;

export class HuffmanTable {
  private readonly maxCode = new Int32Array(18).fill(-1);
  private readonly valPtr = new Int32Array(17);
  private readonly minCode = new Int32Array(17);
  /** For each 9-bit prefix: (code length << 8) | symbol, or 0 when the code is longer. */
  private readonly fast = new Uint16Array(1 << FAST);

  constructor(
    counts: Uint8Array,
    private readonly values: Uint8Array,
  ) {
    // Canonical code assignment (T.81 C.2, F.2.2.3 Figure F.15).
    let code = 0;
    let k = 0;
    for (let len = 1; len <= 16; len++) {
      const n = counts[len - 1]!;
      this.valPtr[len] = k;
      this.minCode[len] = code;
      for (let i = 0; i < n && len <= FAST; i++) {
        const first = (code + i) << (FAST - len);
        this.fast.fill((len << 8) | values[k + i]!, first, first + (1 << (FAST - len)));
      }
      code += n;
      k += n;
      this.maxCode[len] = n ? code - 1 : -1;
      code <<= 1;
    }
  }

  /** Decodes one symbol (F.2.2.3 DECODE). */
  decode(r: BitReader): number {
    r.fill();
    const entry = this.fast[r.peek(FAST)]!;
    if (entry !== 0) {
      r.skip(entry >> 8);
      return entry & 0xff;
    }
    let code = r.peek(FAST);
    r.skip(FAST);
    for (let len = FAST + 1; len <= 16; len++) {
      code = (code << 1) | r.read(1);
      if (code <= this.maxCode[len]!) return this.values[this.valPtr[len]! + code - this.minCode[len]!]!;
    }
    throw new PixelDataError('JPEG Lossless: invalid Huffman code (ITU-T T.81 F.2.2.3)');
  }
}

export class BitReader {
  private pos: number;
  private acc = 0;
  /** Bits held in acc, of which `real` came from the stream (the rest are zero padding at a marker or the end). */
  private bits = 0;
  private real = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  /** Tops the accumulator up to at least 25 bits (zeros past the data; reading them is an error). */
  fill(): void {
    const b = this.bytes;
    while (this.bits <= 24) {
      let byte = 0;
      let real = false;
      if (this.pos < b.byteLength) {
        const v = b[this.pos]!;
        if (v !== 0xff) {
          byte = v;
          real = true;
          this.pos++;
        } else if (b[this.pos + 1] === 0x00) {
          byte = 0xff; // stuffed zero byte (T.81 F.1.2.3)
          real = true;
          this.pos += 2;
        } // else a marker: stay on it and pad
      }
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.bits += 8;
      if (real) this.real += 8;
    }
  }

  peek(n: number): number {
    return (this.acc >>> (this.bits - n)) & ((1 << n) - 1);
  }

  skip(n: number): void {
    this.bits -= n;
    this.real -= n;
    if (this.real < 0) {
      const at =
        this.pos < this.bytes.byteLength
          ? `marker FF${this.bytes[this.pos + 1]!.toString(16).toUpperCase()}`
          : 'the end of the frame';
      throw new PixelDataError(
        `JPEG Lossless: entropy-coded data ends at ${at} before the last sample (truncated or corrupt; ITU-T T.81 F.1.2.3)`,
      );
    }
  }

  read(n: number): number {
    if (n === 0) return 0;
    this.fill();
    const v = this.peek(n);
    this.skip(n);
    return v;
  }

  /** One difference: a category from the table, then its extra bits (T.81 H.1.2.2, Table H.2). */
  difference(table: HuffmanTable): number {
    const ssss = table.decode(this);
    if (ssss === 0) return 0;
    if (ssss === 16) return 32768;
    if (ssss > 16)
      throw new PixelDataError(`JPEG Lossless: difference category ${ssss} over 16 (ITU-T T.81 Table H.2)`);
    const v = this.read(ssss);
    return v < 1 << (ssss - 1) ? v - (1 << ssss) + 1 : v;
  }

  /** Drops the remaining bits and moves past the next RSTn marker (T.81 F.2.2.5, H.2.2). */
  restart(): void {
    this.bits = 0;
    this.real = 0;
    this.acc = 0;
    const b = this.bytes;
    while (
      this.pos + 1 < b.byteLength &&
      !(b[this.pos] === 0xff && b[this.pos + 1]! >= 0xd0 && b[this.pos + 1]! <= 0xd7)
    )
      this.pos++;
    this.pos += 2;
  }
}
