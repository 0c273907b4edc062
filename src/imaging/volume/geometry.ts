// Slice geometry from Image Plane module attributes (PS3.3 section C.7.6.2): direction cosines, slice normal,
// position along the normal, obliquity.
import type { DicomDataset } from '../dicom/index.js';
import { VolumeError, type Vec3 } from './types.js';

export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
export const norm = (a: Vec3): number => Math.sqrt(dot(a, a));
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const unit = (a: Vec3): Vec3 => scale(a, 1 / norm(a));
const DEG = 180 / Math.PI;

export interface Orientation {
  /** Direction of increasing column index (first triplet of Image Orientation (Patient)). */
  row: Vec3;
  /** Direction of increasing row index (second triplet). */
  column: Vec3;
  /** row x column: the slice normal (PS3.3 C.7.6.2.1.1). */
  normal: Vec3;
}

/** Image Orientation (Patient) (0020,0037) as unit vectors and their normal; VolumeError when absent or degenerate. */
export function orientationOf(ds: DicomDataset): Orientation {
  const v = ds.numbers(0x00200037);
  if (v.length !== 6)
    throw new VolumeError(
      'missing-position',
      'Image Orientation (Patient) (0020,0037) must hold 6 values (PS3.3 C.7.6.2.1.1)',
    );
  const row = [v[0]!, v[1]!, v[2]!] as Vec3;
  const column = [v[3]!, v[4]!, v[5]!] as Vec3;
  const n = cross(row, column);
  if (norm(row) < 0.5 || norm(column) < 0.5 || norm(n) < 0.5) {
    throw new VolumeError(
      'inconsistent-orientation',
      `Image Orientation (Patient) ${v.join('\\')} is not two orthogonal unit vectors (PS3.3 C.7.6.2.1.1)`,
    );
  }
  return { row: unit(row), column: unit(column), normal: unit(n) };
}

/** Image Position (Patient) (0020,0032); VolumeError when absent. */
export function positionOf(ds: DicomDataset): Vec3 {
  const p = ds.numbers(0x00200032);
  if (p.length !== 3)
    throw new VolumeError(
      'missing-position',
      'Image Position (Patient) (0020,0032) must hold 3 values (PS3.3 C.7.6.2.1.1)',
    );
  return [p[0]!, p[1]!, p[2]!];
}

/** Angle in degrees between the slice normal and the patient's feet-head axis (0 for a true axial slice). */
export function obliquityDeg(normal: Vec3): number {
  return Math.acos(Math.min(1, Math.abs(normal[2]))) * DEG;
}

/** Largest angle (degrees) between the corresponding direction cosines of two orientations. */
export function orientationDifferenceDeg(a: Orientation, b: Orientation): number {
  const angle = (u: Vec3, v: Vec3): number => Math.acos(Math.max(-1, Math.min(1, dot(u, v)))) * DEG;
  return Math.max(angle(a.row, b.row), angle(a.column, b.column));
}

/** Angle (degrees) between the slice stacking direction (first to last position) and the slice normal. */
export function stackTiltDeg(first: Vec3, last: Vec3, normal: Vec3): number {
  const d = sub(last, first);
  const len = norm(d);
  if (len === 0) return 0;
  return Math.acos(Math.min(1, Math.abs(dot(d, normal)) / len)) * DEG;
}
