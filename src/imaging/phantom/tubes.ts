// Tubular structures (aorta, airways, oesophagus, pulmonary vessels) as capsules: a segment with a radius, painted
// into a slice where the distance of a voxel centre to the segment is below the radius (true mm).
import type { SliceContext } from './slice.js';
import { indexWindow } from './slice.js';

export interface Tube {
  /** End points in patient mm. */
  ax: number;
  ay: number;
  az: number;
  bx: number;
  by: number;
  bz: number;
  /** Radius (mm) and the tissue painted inside it (a walled airway is two tubes: wall first, then lumen). */
  r: number;
  tissue: number;
  /** Paint only over these labels (undefined = over anything). */
  over?: ReadonlySet<number>;
  /** Paint only where the lung region map is set. */
  lungOnly?: boolean;
}

/** Squared distance from point p to segment ab (3D). */
export function segmentDistance2(t: Tube, px: number, py: number, pz: number): number {
  const vx = t.bx - t.ax;
  const vy = t.by - t.ay;
  const vz = t.bz - t.az;
  const len2 = vx * vx + vy * vy + vz * vz;
  let s = len2 > 0 ? ((px - t.ax) * vx + (py - t.ay) * vy + (pz - t.az) * vz) / len2 : 0;
  s = s < 0 ? 0 : s > 1 ? 1 : s;
  const dx = px - (t.ax + s * vx);
  const dy = py - (t.ay + s * vy);
  const dz = pz - (t.az + s * vz);
  return dx * dx + dy * dy + dz * dz;
}

/** Paints the part of each tube that crosses the slice. */
export function paintTubes(ctx: SliceContext, tubes: readonly Tube[]): void {
  const { z, labels, region, xs, ys } = ctx;
  const nx = ctx.frame.nx;
  for (const t of tubes) {
    const R = t.r;
    if (z < Math.min(t.az, t.bz) - R || z > Math.max(t.az, t.bz) + R) continue;
    // Parameter range of the segment within R of the slice plane, for a tight bounding box.
    let t0 = 0;
    let t1 = 1;
    const dz = t.bz - t.az;
    if (Math.abs(dz) > 1e-9) {
      const p = (z - R - t.az) / dz;
      const q = (z + R - t.az) / dz;
      t0 = Math.max(0, Math.min(p, q));
      t1 = Math.min(1, Math.max(p, q));
    }
    const x0 = t.ax + t0 * (t.bx - t.ax);
    const x1 = t.ax + t1 * (t.bx - t.ax);
    const y0 = t.ay + t0 * (t.by - t.ay);
    const y1 = t.ay + t1 * (t.by - t.ay);
    const [i0, i1] = indexWindow(xs, Math.min(x0, x1) - R, Math.max(x0, x1) + R);
    const [j0, j1] = indexWindow(ys, Math.min(y0, y1) - R, Math.max(y0, y1) + R);
    const R2 = R * R;
    for (let j = j0; j <= j1; j++) {
      const y = ys[j]!;
      for (let i = i0; i <= i1; i++) {
        const d2 = segmentDistance2(t, xs[i]!, y, z);
        if (d2 >= R2) continue;
        const idx = j * nx + i;
        if (t.lungOnly && region[idx] === 0) continue;
        if (t.over && !t.over.has(labels[idx]!)) continue;
        labels[idx] = t.tissue;
      }
    }
  }
}
