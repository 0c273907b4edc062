// The normal chest of the phantom as analytic shapes in canonical millimetres (X to the patient's left, Y to
// posterior, origin at the centre of the field of view) and normalised height W (0 inferior .. 1 superior).
// Point functions here are shared by the slice renderer and by finding placement, so labels and pixels agree.

/** Lung region codes stored in the per-slice region map (0 = not lung). */
export const LOBE = {
  none: 0,
  rightUpper: 1,
  rightMiddle: 2,
  rightLower: 3,
  leftUpper: 4,
  lingula: 5,
  leftLower: 6,
} as const;
export type LobeCode = (typeof LOBE)[keyof typeof LOBE];

/** Location code (../shared/reference/labels.md) of each lobe region. */
export const LOBE_LOCATION: Record<number, string> = {
  1: 'right_upper',
  2: 'right_mid',
  3: 'right_lower',
  4: 'left_upper',
  5: 'left_mid',
  6: 'left_lower',
};

/** Body outline (ellipse) and its layers as fractions of the elliptic radius s. */
export const BODY = { a: 155, b: 108, cy: 4, fat: 0.9, muscle: 0.83, ribs: 0.785 } as const;
/** Lungs: ellipse centres at X = +-cx, semi-axes a/b at full width; apex height. */
export const LUNG = { cx: 72, cy: 8, a: 62, b: 85, apex: 0.97, apexTaper: 0.27 } as const;
/** Spine: vertebral body and canal (canonical mm), disc period and thickness in W. */
export const SPINE = { cy: 52, r: 16, canalY: 78, canalR: 8, archR: 13, discPeriod: 0.07, discW: 0.013 } as const;
/** Heart ellipsoid (normal size). */
export const HEART = { cx: 18, cy: -30, cw: 0.33, rx: 58, ry: 42, rw: 0.15 } as const;
/** Fissures: major fissure height W = w0 + slope * (Y - LUNG.cy); right minor fissure at a fixed height. */
export const FISSURE = { rightW0: 0.38, leftW0: 0.4, slope: 0.0024, minorW: 0.5, lingulaW: 0.5 } as const;

/** Elliptic radius of (X, Y) in the body outline (1 = skin). */
export function bodyRadius(X: number, Y: number): number {
  const u = X / BODY.a;
  const v = (Y - BODY.cy) / BODY.b;
  return Math.sqrt(u * u + v * v);
}

/** Lung size factor at height W (1 below the apex taper, shrinking to 0 at the apex). */
export function lungProfile(W: number): number {
  if (W >= LUNG.apex) return 0;
  const top = LUNG.apex - LUNG.apexTaper;
  return W <= top ? 1 : Math.sqrt((LUNG.apex - W) / LUNG.apexTaper);
}

/** Height of the diaphragm dome under (X, Y); the right dome is higher (liver). */
export function domeW(X: number, Y: number): number {
  const right = X < 0;
  const du = (X - (right ? -LUNG.cx : LUNG.cx)) / 75;
  const dv = (Y - LUNG.cy) / 100;
  return 0.07 + (right ? 0.22 : 0.19) * Math.max(0, 1 - du * du - dv * dv);
}

/** Half-width of the mediastinum at height W (wider above the heart, where the great vessels run). */
export function mediastinumHalfWidth(W: number): number {
  return W > 0.48 ? 22 : 10;
}

/** Elliptic radius of a point in the heart ellipsoid scaled by `scale` (< 1 inside). */
export function heartRadius(X: number, Y: number, W: number, scale: number, wScale = scale): number {
  const u = (X - HEART.cx) / (HEART.rx * scale);
  const v = (Y - HEART.cy) / (HEART.ry * scale);
  const w = (W - HEART.cw) / (HEART.rw * wScale);
  return Math.sqrt(u * u + v * v + w * w);
}

/** Major-fissure height at depth Y for a side. */
export function majorFissureW(right: boolean, Y: number): number {
  return (right ? FISSURE.rightW0 : FISSURE.leftW0) + FISSURE.slope * (Y - LUNG.cy);
}

/** Lobe of a lung point (assumes the point is in a lung of that side). */
export function lobeOf(right: boolean, Y: number, W: number): LobeCode {
  if (W < majorFissureW(right, Y)) return right ? LOBE.rightLower : LOBE.leftLower;
  if (right) return W < FISSURE.minorW ? LOBE.rightMiddle : LOBE.rightUpper;
  return W < FISSURE.lingulaW ? LOBE.lingula : LOBE.leftUpper;
}

/**
 * Lung region test for one slice height W (0 = not lung, else a LOBE code), with every per-slice constant hoisted:
 * the slice renderer calls it for each voxel. `heartScale` enlarges the heart that carves the left lung
 * (cardiomegaly); `heartMargin` is the canonical-mm shell of pericardial fat or fluid around it.
 */
export function lungRegionSlice(
  W: number,
  heartScale: number,
  heartMargin: number,
): (X: number, Y: number) => LobeCode {
  const p = lungProfile(W);
  if (p <= 0) return () => LOBE.none;
  const med = mediastinumHalfWidth(W);
  const ia = 1 / (LUNG.a * p);
  const ib = 1 / (LUNG.b * p);
  const ribs2 = BODY.ribs * BODY.ribs;
  const ms = heartScale + heartMargin / HEART.ry;
  const dw = (W - HEART.cw) / (HEART.rw * ms);
  const hw2 = dw * dw;
  const hrx = 1 / (HEART.rx * ms);
  const hry = 1 / (HEART.ry * ms);
  return (X, Y) => {
    if (X < med && X > -med) return LOBE.none;
    const bu = X / BODY.a;
    const bv = (Y - BODY.cy) / BODY.b;
    if (bu * bu + bv * bv >= ribs2) return LOBE.none;
    const right = X < 0;
    const u = (X - (right ? -LUNG.cx : LUNG.cx)) * ia;
    const v = (Y - LUNG.cy) * ib;
    if (u * u + v * v >= 1) return LOBE.none;
    if (W <= domeW(X, Y)) return LOBE.none;
    if (hw2 < 1) {
      const hu = (X - HEART.cx) * hrx;
      const hv = (Y - HEART.cy) * hry;
      if (hu * hu + hv * hv + hw2 < 1) return LOBE.none;
    }
    return lobeOf(right, Y, W);
  };
}

/** Lung region at one point (see lungRegionSlice); used for placing findings. */
export function lungRegionAt(X: number, Y: number, W: number, heartScale: number, heartMargin: number): LobeCode {
  return lungRegionSlice(W, heartScale, heartMargin)(X, Y);
}
