// Voxel grid of a phantom series and its mapping to DICOM patient coordinates (LPS, PS3.3 C.7.6.2.1.1):
// x grows to the patient's left, y to posterior, z to superior. Slice k = 0 is the most superior (head first).
// Anatomy is defined in "canonical millimetres" (an adult chest in a 360 mm field of view) and scaled to the
// requested field of view, so a small test volume still holds the whole chest; finding sizes stay in true mm.

export interface PhantomGeometry {
  /** Columns, rows, slices. */
  nx: number;
  ny: number;
  nz: number;
  /** Column spacing, row spacing, slice spacing (mm). */
  dx: number;
  dy: number;
  dz: number;
}

/** Derived quantities used by the renderers. */
export interface Frame extends PhantomGeometry {
  /** Canonical-mm per true mm in x/y (1 for a 360 mm field of view). */
  sigma: number;
  /** Scan length (mm). */
  fovZ: number;
}

/** Builds the frame for a geometry (checks positive sizes and spacings). */
export function frameOf(g: PhantomGeometry): Frame {
  for (const [k, v] of Object.entries(g)) {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`phantom geometry: ${k} must be positive, got ${v}`);
  }
  const fovXY = Math.min(g.nx * g.dx, g.ny * g.dy);
  return { ...g, sigma: fovXY / 360, fovZ: g.nz * g.dz };
}

/** Patient x (mm) of column i. */
export const xOf = (f: Frame, i: number): number => (i - (f.nx - 1) / 2) * f.dx;
/** Patient y (mm) of row j. */
export const yOf = (f: Frame, j: number): number => (j - (f.ny - 1) / 2) * f.dy;
/** Patient z (mm) of slice k (k = 0 is superior). */
export const zOf = (f: Frame, k: number): number => ((f.nz - 1) / 2 - k) * f.dz;
/** Normalised height W in [0, 1] (0 = inferior end of the scan, 1 = superior end) of patient z. */
export const wOfZ = (f: Frame, z: number): number => (z + f.fovZ / 2) / f.fovZ;
/** Patient z of a normalised height. */
export const zOfW = (f: Frame, w: number): number => w * f.fovZ - f.fovZ / 2;
/** Continuous column index of patient x. */
export const colOf = (f: Frame, x: number): number => x / f.dx + (f.nx - 1) / 2;
/** Continuous row index of patient y. */
export const rowOf = (f: Frame, y: number): number => y / f.dy + (f.ny - 1) / 2;
/** Continuous slice index of patient z. */
export const sliceOf = (f: Frame, z: number): number => (f.nz - 1) / 2 - z / f.dz;
