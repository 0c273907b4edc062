// Huffman decoding for JPEG Lossless (ITU-T T.81 Annex C tables, F.2.2.3 decoding, H.1.2.2 difference categories):
// canonical codes from a DHT segment, and a bit reader that removes stuffed zero bytes and stops at markers.
import { PixelDataError } from '../errors.js';

export class HuffmanTable {
  private readonly maxCode = new Int32Array(18).fill(-1);
  private readonly valPtr = new Int32Array(17);
  private readonly minCode = new Int32Array(17);

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
      code += n;
      k += n;
      this.maxCode[len] = n ? code - 1 : -1;
      code <<= 1;
    }
    this.maxCode[17] = 0x7fffffff;
  }

  /** Decodes one symbol (F.2.2.3 DECODE). */
  decode(r: BitReader): number {
    let code = r.bit();
    for (let len = 1; len <= 16; len++) {
      if (this.maxCode[len]! >= code && this.maxCode[len] !== -1)
        return this.values[this.valPtr[len]! + code - this.minCode[len]!]!;
      code = (code << 1) | r.bit();
    }
    throw new PixelDataError('JPEG Lossless: invalid Huffman code (ITU-T T.81 F.2.2.3)');
  }
}

export class BitReader {
  private pos: number;
  private buffer = 0;
  private count = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  bit(): number {
    if (this.count === 0) {
      if (this.pos >= this.bytes.byteLength)
        throw new PixelDataError(
          'JPEG Lossless: entropy-coded data ends before the last sample (truncated frame; ITU-T T.81 F.1.2.3)',
        );
      const byte = this.bytes[this.pos]!;
      if (byte !== 0xff) this.pos++;
      else if (this.bytes[this.pos + 1] === 0x00)
        this.pos += 2; // stuffed zero byte (T.81 F.1.2.3)
      else
        throw new PixelDataError(
          `JPEG Lossless: marker FF${(this.bytes[this.pos + 1] ?? 0).toString(16).toUpperCase()} inside the samples (truncated or corrupt scan; ITU-T T.81 F.1.2.3)`,
        );
      this.buffer = byte;
      this.count = 8;
    }
    this.count--;
    return (this.buffer >> this.count) & 1;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  /** One difference: a category from the table, then its extra bits (T.81 H.1.2.2, Table H.2). */
  difference(table: HuffmanTable): number {
    const ssss = table.decode(this);
    if (ssss === 0) return 0;
    if (ssss === 16) return 32768;
    if (ssss > 16)
      throw new PixelDataError(`JPEG Lossless: difference category ${ssss} over 16 (ITU-T T.81 Table H.2)`);
    const v = this.bits(ssss);
    return v < 1 << (ssss - 1) ? v - (1 << ssss) + 1 : v;
  }

  /** Skips to the next RSTn marker and past it, dropping remaining bits (T.81 F.2.2.5, H.2.2). */
  restart(): void {
    this.count = 0;
    while (
      this.pos + 1 < this.bytes.byteLength &&
      !(this.bytes[this.pos] === 0xff && this.bytes[this.pos + 1]! >= 0xd0 && this.bytes[this.pos + 1]! <= 0xd7)
    )
      this.pos++;
    this.pos += 2;
  }
}
