// The per-slice working set shared by all painters: the label map (tissue per voxel), the lung region map (lobe
// per voxel) and the canonical coordinates of every column and row. One slice at a time, reused across slices.
import type { Frame } from './geometry.js';
import { xOf, yOf, zOf, wOfZ } from './geometry.js';

export interface SliceContext {
  frame: Frame;
  /** Slice index (0 = superior). */
  k: number;
  /** Patient z (mm) and normalised height of this slice. */
  z: number;
  W: number;
  /** Tissue label per voxel (row-major, ny rows of nx columns). */
  labels: Uint8Array;
  /** Lung region (LOBE code) per voxel. */
  region: Uint8Array;
  /** Patient x of each column and y of each row (mm). */
  xs: Float64Array;
  ys: Float64Array;
  /** Canonical X of each column and Y of each row. */
  Xs: Float64Array;
  Ys: Float64Array;
}

/** Allocates the reusable buffers of a slice context for a frame. */
export function createSliceContext(frame: Frame): SliceContext {
  const xs = Float64Array.from({ length: frame.nx }, (_, i) => xOf(frame, i));
  const ys = Float64Array.from({ length: frame.ny }, (_, j) => yOf(frame, j));
  return {
    frame,
    k: 0,
    z: 0,
    W: 0,
    labels: new Uint8Array(frame.nx * frame.ny),
    region: new Uint8Array(frame.nx * frame.ny),
    xs,
    ys,
    Xs: xs.map((x) => x / frame.sigma),
    Ys: ys.map((y) => y / frame.sigma),
  };
}

/** Moves the context to slice k (buffers are overwritten by the base painter). */
export function moveTo(ctx: SliceContext, k: number): void {
  ctx.k = k;
  ctx.z = zOf(ctx.frame, k);
  ctx.W = wOfZ(ctx.frame, ctx.z);
}

/** Column/row index window [lo, hi] covering patient coordinates [min, max] (clamped to the grid). */
export function indexWindow(coords: Float64Array, min: number, max: number): [number, number] {
  const n = coords.length;
  const step = n > 1 ? coords[1]! - coords[0]! : 1;
  const lo = Math.max(0, Math.floor((min - coords[0]!) / step));
  const hi = Math.min(n - 1, Math.ceil((max - coords[0]!) / step));
  return [lo, hi];
}
