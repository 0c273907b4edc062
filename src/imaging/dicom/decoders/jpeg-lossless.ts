// JPEG Lossless, Non-Hierarchical, Process 14 (PS3.5 section 8.2.1; ITU-T T.81 Annex H): Huffman-coded differences
// from one of seven predictors (Selection Value 1 is the DICOM default .70, any value under .57), with point
// transform and restart intervals. Written here because the npm decoder mispredicted Selection Value 7 on signed
// data (test/integration/imaging-decode/dcmtk.test.ts shows the case).
import { PixelDataError } from '../errors.js';
import { normaliseBitsStored, pixelArray, sampleCount, type FrameDecoder, type PixelArray } from './types.js';
import { BitReader, HuffmanTable } from './jpeg-huffman.js';

interface Frame {
  precision: number;
  rows: number;
  columns: number;
  components: number[];
}

interface Scan {
  /** Huffman table per scan component, in frame component order. */
  tables: HuffmanTable[];
  predictor: number;
  pointTransform: number;
  start: number;
}

const fail = (message: string): never => {
  throw new PixelDataError(`JPEG Lossless: ${message} (PS3.5 section 8.2.1, ITU-T T.81 Annex H)`);
};

/** Reads markers up to the first scan: SOF3, DHT, DRI, SOS (T.81 B.2). */
function readHeaders(b: Uint8Array): { frame: Frame; scan: Scan; restartInterval: number } {
  if (b[0] !== 0xff || b[1] !== 0xd8) fail('no SOI marker at the start of the frame');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tables = new Map<number, HuffmanTable>();
  let frame: Frame | undefined;
  let restartInterval = 0;
  let pos = 2;
  while (pos + 4 <= b.byteLength) {
    if (b[pos] !== 0xff) fail(`expected a marker at byte ${pos}`);
    const marker = b[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    const length = dv.getUint16(pos + 2);
    const seg = pos + 4;
    const end = pos + 2 + length;
    if (end > b.byteLength) fail(`marker segment FF${marker.toString(16).toUpperCase()} runs past the frame`);
    if (marker === 0xc3) {
      const components: number[] = [];
      for (let c = 0; c < b[seg + 5]!; c++) {
        if (b[seg + 7 + c * 3] !== 0x11) fail('sampling factors other than 1x1 are not supported');
        components.push(b[seg + 6 + c * 3]!);
      }
      frame = { precision: b[seg]!, rows: dv.getUint16(seg + 1), columns: dv.getUint16(seg + 3), components };
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      fail(`SOF marker FF${marker.toString(16).toUpperCase()} is not lossless Huffman process 14 (FFC3)`);
    } else if (marker === 0xc4) {
      let p = seg;
      while (p < end) {
        const id = b[p]!;
        const counts = b.subarray(p + 1, p + 17);
        const total = counts.reduce((s, n) => s + n, 0);
        tables.set(id & 0x0f, new HuffmanTable(counts, b.subarray(p + 17, p + 17 + total)));
        p += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = dv.getUint16(seg);
    } else if (marker === 0xda) {
      if (!frame) fail('SOS before SOF3');
      const ns = b[seg]!;
      const byComponent = new Map<number, HuffmanTable>();
      for (let c = 0; c < ns; c++) {
        const table = tables.get(b[seg + 2 + c * 2]! >> 4);
        if (!table) fail(`scan component ${c + 1} uses an undefined Huffman table`);
        byComponent.set(b[seg + 1 + c * 2]!, table!);
      }
      const ordered = frame!.components.map(
        (id) => byComponent.get(id) ?? fail(`component ${id} missing from the scan (one scan per frame only)`),
      );
      const predictor = b[seg + 1 + ns * 2]!;
      const pointTransform = b[seg + 3 + ns * 2]! & 0x0f;
      if (predictor < 1 || predictor > 7) fail(`selection value ${predictor} is not a lossless predictor 1-7`);
      return { frame: frame!, scan: { tables: ordered, predictor, pointTransform, start: end }, restartInterval };
    }
    pos = end;
  }
  return fail('no SOS marker');
}

/** Prediction (T.81 H.1.2.1): a = left, b = above, c = above-left. */
function predict(sv: number, a: number, b: number, c: number): number {
  switch (sv) {
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return c;
    case 4:
      return a + b - c;
    case 5:
      return a + ((b - c) >> 1);
    case 6:
      return b + ((a - c) >> 1);
    default:
      return (a + b) >> 1;
  }
}

/** Decodes one JPEG Lossless frame (PS3.5 section 8.2.1). */
export const decode: FrameDecoder = (bytes, info): PixelArray => {
  let headers: ReturnType<typeof readHeaders>;
  try {
    headers = readHeaders(bytes);
  } catch (err) {
    if (err instanceof RangeError) fail('a marker segment is truncated');
    throw err;
  }
  const { frame, scan, restartInterval } = headers!;
  const nc = frame.components.length;
  if (frame.columns !== info.columns || frame.rows !== info.rows || nc !== info.samplesPerPixel) {
    fail(
      `frame is ${frame.columns}x${frame.rows}x${nc} but the header says Columns ${info.columns}, Rows ${info.rows}, Samples ${info.samplesPerPixel}`,
    );
  }
  const { rows, columns } = frame;
  const pt = scan.pointTransform;
  const initial = 1 << (frame.precision - pt - 1);
  const mask = 0xffff; // reconstruction is modulo 2^16 (T.81 H.2.1)
  // Work buffer of unshifted samples (component-interleaved), then point transform into the output.
  const work = new Int32Array(rows * columns * nc);
  const reader = new BitReader(bytes, scan.start);
  let mcu = 0;
  let firstLine = true; // first line of the image or of a restart interval
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      if (restartInterval && mcu > 0 && mcu % restartInterval === 0) {
        reader.restart();
        firstLine = true;
        if (x !== 0) fail('restart intervals that do not start a line are not supported');
      }
      for (let c = 0; c < nc; c++) {
        const i = (y * columns + x) * nc + c;
        let px: number;
        if (firstLine) px = x === 0 ? initial : work[i - nc]!;
        else if (x === 0) px = work[i - columns * nc]!;
        else px = predict(scan.predictor, work[i - nc]!, work[i - columns * nc]!, work[i - columns * nc - nc]!);
        work[i] = (px + reader.difference(scan.tables[c]!)) & mask;
      }
      mcu++;
    }
    firstLine = false;
  }
  const out = pixelArray(info);
  const n = sampleCount(info);
  for (let i = 0; i < n; i++) out[i] = work[i]! << pt;
  return normaliseBitsStored(out, info);
};
