// A CT volume in memory: one Int16Array of Hounsfield units, z-major ([z][y][x]), with its geometry in the patient
// coordinate system (PS3.3 section C.7.6.2.1.1: LPS, millimetres).

export type Vec3 = [number, number, number];

export interface VolumeGeometry {
  /** [slices, rows, columns]. */
  shape: [number, number, number];
  /** Voxel spacing in mm as [z, y, x] (between slices, between rows, between columns). */
  spacing: [number, number, number];
  /** Patient position (mm) of the centre of voxel [0, 0, 0]. */
  origin: Vec3;
  /** Unit vectors in patient coordinates of the x (column index), y (row index) and z (slice index) axes. */
  direction: { x: Vec3; y: Vec3; z: Vec3 };
}

export interface Volume extends VolumeGeometry {
  /** Hounsfield units, index ((z * rows) + y) * columns + x. */
  data: Int16Array;
  seriesInstanceUid: string;
  studyInstanceUid?: string;
  /** Transfer syntax UIDs seen across the instances. */
  transferSyntaxes: string[];
  /** Non-fatal findings: leniencies, flips applied, spacing notes (no patient data). */
  warnings: string[];
}

/** Why a volume could not be built; `code` lets callers (jobs, inspect) react without parsing messages. */
export type VolumeErrorCode =
  | 'no-series'
  | 'non-ct'
  | 'missing-pixel-data'
  | 'unsupported-pixels'
  | 'multi-frame'
  | 'mixed-sizes'
  | 'mixed-series'
  | 'inconsistent-orientation'
  | 'non-axial'
  | 'non-square-pixels'
  | 'gantry-tilt'
  | 'non-hu-rescale'
  | 'missing-position'
  | 'duplicate-position'
  | 'missing-slices'
  | 'uneven-spacing'
  | 'instance-count'
  | 'too-large'
  | 'unreadable';

export class VolumeError extends Error {
  override name = 'VolumeError';
  constructor(
    readonly code: VolumeErrorCode,
    message: string,
  ) {
    super(message);
  }
}
