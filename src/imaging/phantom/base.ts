// Paints the normal chest into a slice's label and region maps: body layers, ribs, lungs with lobes and fissures,
// mediastinum, diaphragm with liver below, spine, sternum, heart and the CT table. Tubes (aorta, airways,
// vessels) and findings are painted afterwards by their own painters.
import {
  BODY,
  FISSURE,
  HEART,
  LOBE,
  LUNG,
  SPINE,
  domeW,
  heartRadius,
  lungRegionSlice,
  majorFissureW,
} from './anatomy.js';
import type { SliceContext } from './slice.js';
import { indexWindow } from './slice.js';
import { T } from './tissues.js';

export interface BaseOptions {
  /** Heart enlargement (1 = normal). */
  heartScale: number;
  /** Canonical mm of pericardial fat (and fluid) kept between heart and lung. */
  heartMargin: number;
}

const FISSURE_HALF_MM = 0.6;

function ribTissue(X: number, v: number, s: number, W: number): number {
  if (W < 0.1 || W > 0.95) return T.muscle;
  const t = (1 - v / s) / 2; // 0 posterior .. 1 anterior
  const phase = (W + 0.1 * t) * 11;
  const f = phase - Math.floor(phase);
  if (f >= 0.28 || (Math.abs(X) < 14 && t < 0.5)) return T.muscle;
  if (t > 0.86) return T.cartilage;
  const inner = s > BODY.ribs + 0.01 && s < BODY.muscle - 0.008;
  return inner && f > 0.05 && f < 0.23 ? T.marrow : T.cortex;
}

function cavityTissue(
  ctx: SliceContext,
  idx: number,
  X: number,
  Y: number,
  lungAt: (X: number, Y: number) => number,
  fissureScale: number,
): void {
  const W = ctx.W;
  const lobe = lungAt(X, Y);
  if (lobe !== LOBE.none) {
    ctx.region[idx] = lobe;
    const right = lobe <= LOBE.rightLower;
    let label: number = T.lung;
    if (Math.abs(W - majorFissureW(right, Y)) * fissureScale < FISSURE_HALF_MM) label = T.fissure;
    else if (lobe !== LOBE.rightLower && lobe !== LOBE.leftLower && right) {
      if (Math.abs(W - FISSURE.minorW) * ctx.frame.fovZ < FISSURE_HALF_MM) label = T.fissure;
    }
    ctx.labels[idx] = label;
    return;
  }
  if (W <= domeW(X, Y)) ctx.labels[idx] = X < 25 ? T.liver : T.abdomen;
  else if (W >= LUNG.apex - 0.01 || (Y > 30 && Math.abs(X) < 45)) ctx.labels[idx] = T.muscle;
  else ctx.labels[idx] = T.mediastinalFat;
}

/** Paints body, ribs, lungs, mediastinum and diaphragm for the current slice (overwrites both maps). */
export function paintBody(ctx: SliceContext, opt: BaseOptions): void {
  const { labels, region, Xs, Ys, W } = ctx;
  const { nx, ny } = ctx.frame;
  labels.fill(T.outside);
  region.fill(0);
  // Distance to a major fissure plane in true mm: |dW| * fovZ / sqrt(1 + m^2), m = dz/dy of the plane.
  const m = (FISSURE.slope * ctx.frame.fovZ) / ctx.frame.sigma;
  const fissureScale = ctx.frame.fovZ / Math.sqrt(1 + m * m);
  const tableTop = BODY.cy + BODY.b + 8;
  const lungAt = lungRegionSlice(W, opt.heartScale, opt.heartMargin);
  const fat2 = BODY.fat * BODY.fat;
  const muscle2 = BODY.muscle * BODY.muscle;
  const ribs2 = BODY.ribs * BODY.ribs;
  for (let j = 0; j < ny; j++) {
    const Y = Ys[j]!;
    const v = (Y - BODY.cy) / BODY.b;
    const row = j * nx;
    if (v * v >= 1) {
      if (Y > tableTop && Y < tableTop + 6) {
        for (let i = 0; i < nx; i++) if (Math.abs(Xs[i]!) < 160) labels[row + i] = T.table;
      }
      continue;
    }
    for (let i = 0; i < nx; i++) {
      const X = Xs[i]!;
      const u = X / BODY.a;
      const s2 = u * u + v * v;
      if (s2 >= 1) continue;
      const idx = row + i;
      if (s2 > fat2) labels[idx] = T.fat;
      else if (s2 > muscle2) labels[idx] = T.muscle;
      else if (s2 > ribs2) labels[idx] = ribTissue(X, v, Math.sqrt(s2), W);
      else cavityTissue(ctx, idx, X, Y, lungAt, fissureScale);
    }
  }
}

/** Paints a filled ellipse of canonical centre/radii with a cortex rim (bone) into the slice. */
function paintBone(
  ctx: SliceContext,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  inner: number,
  rim: number,
): void {
  const sg = ctx.frame.sigma;
  const [i0, i1] = indexWindow(ctx.xs, (cx - rx) * sg, (cx + rx) * sg);
  const [j0, j1] = indexWindow(ctx.ys, (cy - ry) * sg, (cy + ry) * sg);
  const nx = ctx.frame.nx;
  for (let j = j0; j <= j1; j++) {
    const dv = (ctx.Ys[j]! - cy) / ry;
    for (let i = i0; i <= i1; i++) {
      const du = (ctx.Xs[i]! - cx) / rx;
      const r = Math.sqrt(du * du + dv * dv);
      if (r >= 1) continue;
      const idx = j * nx + i;
      ctx.labels[idx] = r > 1 - rim / Math.min(rx, ry) ? T.cortex : inner;
      ctx.region[idx] = 0;
    }
  }
}

/** Paints vertebra (body or disc, canal, arch, spinous and transverse processes) and sternum. */
export function paintSkeleton(ctx: SliceContext): void {
  const W = ctx.W;
  if (W > 0.02) {
    const phase = (W / SPINE.discPeriod) % 1;
    const disc = phase < SPINE.discW / SPINE.discPeriod;
    paintBone(ctx, 0, SPINE.cy, SPINE.r, SPINE.r, disc ? T.disc : T.marrow, disc ? 0 : 2);
    paintBone(ctx, 0, SPINE.canalY, SPINE.archR, SPINE.archR, T.cortex, SPINE.archR);
    paintBone(ctx, 0, SPINE.canalY + 22, 4, 14, T.marrow, 1.5);
    if (!disc) {
      paintBone(ctx, -24, SPINE.canalY - 4, 14, 4, T.marrow, 1.5);
      paintBone(ctx, 24, SPINE.canalY - 4, 14, 4, T.marrow, 1.5);
    }
    paintBone(ctx, 0, SPINE.canalY, SPINE.canalR, SPINE.canalR, T.canal, 0);
  }
  if (W > 0.36 && W < 0.86) paintBone(ctx, 0, -86, 18, 6, T.marrow, 1.5);
}

/** Paints the heart ellipsoid (scaled for cardiomegaly) over the cavity. */
export function paintHeart(ctx: SliceContext, heartScale: number): void {
  const dw = (ctx.W - HEART.cw) / (HEART.rw * heartScale);
  if (dw * dw >= 1) return;
  const f = Math.sqrt(1 - dw * dw) * heartScale;
  const sg = ctx.frame.sigma;
  const [i0, i1] = indexWindow(ctx.xs, (HEART.cx - HEART.rx * f) * sg, (HEART.cx + HEART.rx * f) * sg);
  const [j0, j1] = indexWindow(ctx.ys, (HEART.cy - HEART.ry * f) * sg, (HEART.cy + HEART.ry * f) * sg);
  const nx = ctx.frame.nx;
  for (let j = j0; j <= j1; j++) {
    for (let i = i0; i <= i1; i++) {
      if (heartRadius(ctx.Xs[i]!, ctx.Ys[j]!, ctx.W, heartScale) >= 1) continue;
      const idx = j * nx + i;
      ctx.labels[idx] = T.heart;
      ctx.region[idx] = 0;
    }
  }
}
