// Writes small synthetic CT series to a folder for imaging tests and the imaging benchmark: a body ellipse with
// two lungs, a spine disc and deterministic noise, stored as signed 16-bit with a rescale to HU.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newUid, writeCtSlice, type CtSliceSpec } from './dicom-writer.js';

export interface SeriesSpec {
  rows: number;
  columns: number;
  slices: number;
  pixelSpacing?: [number, number];
  sliceSpacing?: number;
  /** z of the first slice in mm. */
  z0?: number;
  rescaleIntercept?: number;
  rescaleSlope?: number;
  seed?: number;
  /** Per-slice overrides (geometry faults, other tags) by slice index. */
  slice?: (index: number) => Partial<CtSliceSpec>;
}

/** Deterministic stored values of one synthetic slice (HU = stored * slope + intercept). */
export function syntheticSlice(spec: SeriesSpec, index: number): Int16Array {
  const { rows, columns } = spec;
  const slope = spec.rescaleSlope ?? 1;
  const intercept = spec.rescaleIntercept ?? -1024;
  const out = new Int16Array(rows * columns);
  let state = ((spec.seed ?? 1) * 2654435761 + index * 40503) >>> 0;
  const cy = rows / 2;
  const cx = columns / 2;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const dx = (x - cx) / (columns * 0.45);
      const dy = (y - cy) / (rows * 0.35);
      let hu = -1000;
      if (dx * dx + dy * dy < 1) hu = 40;
      const lx = Math.abs(x - cx) / (columns * 0.18) - 1.05;
      const ly = (y - cy) / (rows * 0.25);
      if (lx * lx + ly * ly < 0.6) hu = -850;
      const sx = (x - cx) / (columns * 0.05);
      const sy = (y - cy - rows * 0.25) / (rows * 0.05);
      if (sx * sx + sy * sy < 1) hu = 700 + (index % 7) * 10;
      state = (state * 1664525 + 1013904223) >>> 0;
      hu += ((state >>> 24) % 21) - 10;
      out[y * columns + x] = Math.round((hu - intercept) / slope);
    }
  }
  return out;
}

/** Writes the series as <dir>/<index>.dcm (in reverse order, so readers must sort); returns the series UID. */
export function writeSyntheticSeries(
  dir: string,
  spec: SeriesSpec,
): { seriesUid: string; studyUid: string; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const studyUid = newUid();
  const seriesUid = newUid();
  const files: string[] = [];
  const spacing = spec.sliceSpacing ?? 1.25;
  for (let i = spec.slices - 1; i >= 0; i--) {
    const file = join(dir, `${String(i).padStart(5, '0')}.dcm`);
    const bytes = writeCtSlice({
      rows: spec.rows,
      columns: spec.columns,
      pixels: syntheticSlice(spec, i),
      position: [-spec.columns * 0.35, -spec.rows * 0.35, (spec.z0 ?? -200) + i * spacing],
      pixelSpacing: spec.pixelSpacing ?? [0.7, 0.7],
      sliceThickness: spacing,
      rescaleIntercept: spec.rescaleIntercept ?? -1024,
      rescaleSlope: spec.rescaleSlope ?? 1,
      studyUid,
      seriesUid,
      instanceNumber: i + 1,
      ...spec.slice?.(i),
    });
    writeFileSync(file, bytes);
    files.push(file);
  }
  return { seriesUid, studyUid, files };
}
