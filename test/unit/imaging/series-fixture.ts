// In-memory CT series for volume tests: the test writer's Part 10 bytes parsed back, with per-slice overrides to
// inject geometry and header faults.
import { parseDicom, type DicomDataset } from '../../../src/imaging/dicom/index.js';
import { newUid, writeCtSlice, type CtSliceSpec } from '../../support/dicom-writer.js';

export interface FixtureSpec {
  slices: number;
  rows?: number;
  columns?: number;
  spacing?: number;
  /** Stored value of pixel i in slice z (default: z * 100 + i, so order and position are checkable). */
  value?: (z: number, i: number) => number;
  slice?: (z: number) => Partial<CtSliceSpec>;
}

export function ctSeries(spec: FixtureSpec): DicomDataset[] {
  const rows = spec.rows ?? 4;
  const columns = spec.columns ?? 3;
  const studyUid = newUid();
  const seriesUid = newUid();
  const out: DicomDataset[] = [];
  for (let z = 0; z < spec.slices; z++) {
    const pixels = new Int16Array(rows * columns);
    for (let i = 0; i < pixels.length; i++) pixels[i] = spec.value ? spec.value(z, i) : z * 100 + i;
    const bytes = writeCtSlice({
      rows,
      columns,
      pixels,
      position: [-10, -20, 50 + z * (spec.spacing ?? 2.5)],
      pixelSpacing: [0.5, 0.5],
      rescaleIntercept: 0,
      rescaleSlope: 1,
      studyUid,
      seriesUid,
      instanceNumber: z + 1,
      ...spec.slice?.(z),
    });
    out.push(parseDicom(bytes));
  }
  return out;
}

/** Deterministic shuffle (so tests show that order comes from positions, not arrival). */
export function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
