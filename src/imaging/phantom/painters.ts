// Painters for findings: each paints its part of one slice into the label map, within a z range. Shapes are in
// patient mm; lung findings are confined with the region map so they respect lobes and fissures.
import { HEART, LUNG, heartRadius, lungProfile } from './anatomy.js';
import { hash4 } from './prng.js';
import type { SliceContext } from './slice.js';
import { indexWindow } from './slice.js';
import { T } from './tissues.js';

export interface Painter {
  /** Patient z range (mm) the painter touches. */
  zMin: number;
  zMax: number;
  /** Paint order (lower first): fluid and air, then parenchymal change, then lesions, then calcium. */
  order: number;
  paint(ctx: SliceContext): void;
  /** Voxels painted so far (ground truth for tests and labels.json). */
  voxels: number;
}

/** Which voxels a painter may overwrite: by current label and lung region. */
export type Filter = (label: number, region: number) => boolean;

/** Any lung voxel of the given lobe codes. */
export const inLobes =
  (codes: readonly number[]): Filter =>
  (_label, region) =>
    codes.includes(region);
/** Aerated lung (parenchyma or fissure, not vessels) of the given lobes. */
export const inAeratedLobes =
  (codes: readonly number[]): Filter =>
  (label, region) =>
    codes.includes(region) && (label === T.lung || label === T.fissure);
/** Anything but bone, the spinal canal and airway lumen. */
export const softTissue: Filter = (label) =>
  label !== T.cortex && label !== T.marrow && label !== T.canal && label !== T.disc && label !== T.airway;
/** Anything listed. */
export const overLabels = (labels: readonly number[]): Filter => {
  const set = new Set(labels);
  return (label) => set.has(label);
};

/** An ellipsoid (optionally lobulated) painted with one tissue. */
export function ellipsoid(
  c: readonly [number, number, number],
  radii: readonly [number, number, number],
  tissue: number,
  filter: Filter,
  order: number,
  lobulation = 0,
): Painter {
  const [cx, cy, cz] = c;
  const [rx, ry, rz] = radii;
  const grow = 1 + lobulation;
  const painter: Painter = {
    zMin: cz - rz * grow,
    zMax: cz + rz * grow,
    order,
    voxels: 0,
    paint(ctx) {
      const dz = (ctx.z - cz) / rz;
      if (Math.abs(dz) >= grow) return;
      const [i0, i1] = indexWindow(ctx.xs, cx - rx * grow, cx + rx * grow);
      const [j0, j1] = indexWindow(ctx.ys, cy - ry * grow, cy + ry * grow);
      const nx = ctx.frame.nx;
      for (let j = j0; j <= j1; j++) {
        const dy = (ctx.ys[j]! - cy) / ry;
        for (let i = i0; i <= i1; i++) {
          const dx = (ctx.xs[i]! - cx) / rx;
          let d2 = dx * dx + dy * dy + dz * dz;
          if (lobulation > 0) {
            const lim = 1 + lobulation * Math.sin(3 * Math.atan2(dy, dx)) * Math.cos(2.5 * dz);
            d2 /= lim * lim;
          }
          if (d2 >= 1) continue;
          const idx = j * nx + i;
          if (!filter(ctx.labels[idx]!, ctx.region[idx]!)) continue;
          ctx.labels[idx] = tissue;
          painter.voxels++;
        }
      }
    },
  };
  return painter;
}

/** Whole-slice painter over a band of heights, applying `fn` to every lung voxel of the given lobes. */
function lungBand(
  zMin: number,
  zMax: number,
  order: number,
  codes: readonly number[],
  fn: (ctx: SliceContext, idx: number, X: number, Y: number) => number | undefined,
): Painter {
  const painter: Painter = {
    zMin,
    zMax,
    order,
    voxels: 0,
    paint(ctx) {
      const { nx, ny } = ctx.frame;
      for (let j = 0; j < ny; j++) {
        const Y = ctx.Ys[j]!;
        for (let i = 0; i < nx; i++) {
          const idx = j * nx + i;
          if (!codes.includes(ctx.region[idx]!)) continue;
          const t = fn(ctx, idx, ctx.Xs[i]!, Y);
          if (t === undefined) continue;
          ctx.labels[idx] = t;
          painter.voxels++;
        }
      }
    },
  };
  return painter;
}

/** Dependent (posterior, supine) pleural fluid: fills lung below a horizontal level that rises with `depth`. */
export function pleuralFluid(
  codes: readonly number[],
  depth: number,
  height: number,
  zMin: number,
  zMax: number,
): Painter {
  return lungBand(zMin, zMax, 1, codes, (ctx, _idx, _X, Y) => {
    const d = depth * (1 - (ctx.W - 0.07) / height);
    if (d <= 0) return undefined;
    return Y > LUNG.cy + LUNG.b * lungProfile(ctx.W) - d ? T.pleuralFluid : undefined;
  });
}

/** Non-dependent (anterior) pleural air with the visceral pleural line at its edge. */
export function pleuralAir(
  codes: readonly number[],
  depth: number,
  sigma: number,
  zMin: number,
  zMax: number,
): Painter {
  const line = 1.2 / sigma;
  return lungBand(zMin, zMax, 2, codes, (ctx, _idx, _X, Y) => {
    const level = LUNG.cy - LUNG.b * lungProfile(ctx.W) + depth;
    if (Y < level) return T.pneumothorax;
    return Y < level + line ? T.pleura : undefined;
  });
}

/** Centrilobular emphysema: seeded lucent bullae in a 7 mm grid, more frequent towards the apices. */
export function bullae(codes: readonly number[], fraction: number, seed: number, zMin: number, zMax: number): Painter {
  const cell = 7;
  const painter = lungBand(zMin, zMax, 6, codes, (ctx, idx) => {
    const label = ctx.labels[idx]!;
    if (label !== T.lung && label !== T.fissure) return undefined;
    const x = ctx.xs[idx % ctx.frame.nx]!;
    const y = ctx.ys[Math.floor(idx / ctx.frame.nx)]!;
    const ci = Math.floor(x / cell);
    const cj = Math.floor(y / cell);
    const ck = Math.floor(ctx.z / cell);
    const h = hash4(seed, ci, cj, ck);
    if ((h & 0xffff) / 65536 >= fraction * (0.4 + 0.6 * ctx.W)) return undefined;
    const r = 1.8 + (((h >>> 16) & 0xff) / 255) * 1.4;
    const span = cell - 2 * r;
    const ox = ci * cell + r + ((hash4(seed, ci, cj, ck + 7919) & 0xff) / 255) * span;
    const oy = cj * cell + r + (((h >>> 24) & 0xff) / 255) * span;
    const oz = ck * cell + r + ((hash4(seed, ck, ci, cj) & 0xff) / 255) * span;
    const dx = x - ox;
    const dy = y - oy;
    const dz = ctx.z - oz;
    return dx * dx + dy * dy + dz * dz < r * r ? T.emphysema : undefined;
  });
  return painter;
}

/** Pericardial fluid: the shell between the heart and the heart grown by `thickness` canonical mm. */
export function pericardialShell(heartScale: number, thickness: number, zOfW: (w: number) => number): Painter {
  const outer = heartScale + thickness / HEART.ry;
  const fill = overLabels([T.mediastinalFat, T.lung, T.fissure, T.vessel, T.abdomen, T.liver, T.muscle]);
  const painter: Painter = {
    zMin: zOfW(HEART.cw - HEART.rw * outer),
    zMax: zOfW(HEART.cw + HEART.rw * outer),
    order: 3,
    voxels: 0,
    paint(ctx) {
      const { nx, ny } = ctx.frame;
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const X = ctx.Xs[i]!;
          const Y = ctx.Ys[j]!;
          if (heartRadius(X, Y, ctx.W, outer) >= 1 || heartRadius(X, Y, ctx.W, heartScale) < 1) continue;
          const idx = j * nx + i;
          if (!fill(ctx.labels[idx]!, ctx.region[idx]!)) continue;
          ctx.labels[idx] = T.pericardialFluid;
          ctx.region[idx] = 0;
          painter.voxels++;
        }
      }
    },
  };
  return painter;
}
