// Places requested findings in the phantom: seeded sampling of centres inside the named lobes (with the whole
// lesion fitting in one lobe), fixed mediastinal/hilar stations for nodes and masses, and the painters that draw
// them. Every placed finding records its resolved location, size and centre for labels.json.
import { HEART, LOBE, LOBE_LOCATION, lungRegionAt } from './anatomy.js';
import type { Frame } from './geometry.js';
import { wOfZ, zOfW } from './geometry.js';
import type { Filter, Painter } from './painters.js';
import {
  bullae,
  ellipsoid,
  inAeratedLobes,
  inLobes,
  overLabels,
  pericardialShell,
  pleuralAir,
  pleuralFluid,
  softTissue,
} from './painters.js';
import type { Rng } from './prng.js';
import type { FindingSpec } from './spec.js';
import { CATALOG, PhantomSpecError, severityParams } from './spec.js';
import { aortaTubes } from './structures.js';
import { T } from './tissues.js';

export interface PlacedFinding {
  spec: FindingSpec;
  /** Most specific location code where it was drawn (a lobe for lung lesions). */
  location: string;
  /** Lobe codes it occupies (lung findings). */
  lobes: number[];
  /** Centre of the (largest) lesion in patient mm. */
  centerMm?: [number, number, number];
  painters: Painter[];
}

/** Anatomy state that findings change and that later painters depend on. */
export interface SceneState {
  frame: Frame;
  heartScale: number;
  /** Canonical mm between heart and lung (pericardial fat, plus fluid). */
  heartMargin: number;
}

type Vec3 = [number, number, number];
const DIRS: Vec3[] = [
  [1, 0, 0],
  [-1, 0, 0],
  [0, 1, 0],
  [0, -1, 0],
  [0, 0, 1],
  [0, 0, -1],
];
for (const a of [1, -1])
  for (const b of [1, -1]) for (const c of [1, -1]) DIRS.push([a / Math.sqrt(3), b / Math.sqrt(3), c / Math.sqrt(3)]);

function regionAt(s: SceneState, x: number, y: number, z: number): number {
  return lungRegionAt(x / s.frame.sigma, y / s.frame.sigma, wOfZ(s.frame, z), s.heartScale, s.heartMargin);
}

/** Samples a centre in one of `codes` such that an ellipsoid of `radii` (mm) plus 1.5 mm stays in that lobe. */
export function sampleInLobes(
  s: SceneState,
  rng: Rng,
  codes: readonly number[],
  radii: Vec3,
  what: string,
): { c: Vec3; lobe: number } {
  const f = s.frame;
  for (let attempt = 0; attempt < 6000; attempt++) {
    const right =
      codes.some((c) => c <= LOBE.rightLower) && (!codes.some((c) => c > LOBE.rightLower) || rng.next() < 0.5);
    const X = right ? rng.range(-134, -10) : rng.range(10, 134);
    const c: Vec3 = [X * f.sigma, rng.range(-77, 93) * f.sigma, zOfW(f, rng.range(0.07, 0.97))];
    const lobe = regionAt(s, c[0], c[1], c[2]);
    if (!codes.includes(lobe)) continue;
    const fits = DIRS.every(
      ([a, b, d]) =>
        regionAt(s, c[0] + a * (radii[0] + 1.5), c[1] + b * (radii[1] + 1.5), c[2] + d * (radii[2] + 1.5)) === lobe,
    );
    if (fits) return { c, lobe };
  }
  const where = codes.map((c) => LOBE_LOCATION[c]).join('/');
  throw new PhantomSpecError(
    `${what} does not fit in ${where} of this field of view; use a larger volume or a smaller size`,
  );
}

function lobeCodes(location: string): number[] {
  const codes = CATALOG.lobes[location];
  if (!codes) throw new PhantomSpecError(`location ${location} is not a lung location`);
  return codes;
}

/** Location code that covers a set of lobes: the lobe, the side, or the whole lung. */
export function locationOfLobes(lobes: readonly number[]): string {
  const set = [...new Set(lobes)];
  if (set.length === 1) return LOBE_LOCATION[set[0]!]!;
  if (set.every((c) => c <= LOBE.rightLower)) return 'right_lung';
  if (set.every((c) => c > LOBE.rightLower)) return 'left_lung';
  return 'lung';
}

function station(s: SceneState, rng: Rng, sites: [number, number, number][] | undefined, jitter: number): Vec3 {
  if (!sites || sites.length === 0) throw new Error('no station for this location');
  const [X, Y, W] = rng.pick(sites);
  const f = s.frame;
  return [(X + rng.range(-jitter, jitter)) * f.sigma, (Y + rng.range(-jitter, jitter)) * f.sigma, zOfW(f, W)];
}

const NODE_OVER = overLabels([T.mediastinalFat, T.fat, T.muscle, T.lung, T.fissure, T.vessel, T.pleuralFluid]);

function lesion(s: SceneState, rng: Rng, spec: FindingSpec, tissue: number, lobulation: number): PlacedFinding {
  const r = spec.sizeMm! / 2;
  if (spec.location === 'mediastinum' || spec.location === 'hilum') {
    const c = station(s, rng, CATALOG.massSites[spec.location], 3);
    return {
      spec,
      location: spec.location,
      lobes: [],
      centerMm: c,
      painters: [ellipsoid(c, [r, r, r], tissue, softTissue, 7, lobulation)],
    };
  }
  const grown = r * (1 + lobulation);
  const { c, lobe } = sampleInLobes(
    s,
    rng,
    lobeCodes(spec.location),
    [grown, grown, grown],
    `a ${spec.sizeMm} mm ${spec.abnormality}`,
  );
  const painter = ellipsoid(c, [r, r, r], tissue, inLobes([lobe]), 7, lobulation);
  return { spec, location: LOBE_LOCATION[lobe]!, lobes: [lobe], centerMm: c, painters: [painter] };
}

function blobs(
  s: SceneState,
  rng: Rng,
  spec: FindingSpec,
  codeSets: number[][],
  radii: Vec3,
  tissue: number,
  filter: (codes: number[]) => Filter,
  order: number,
): PlacedFinding {
  const painters: Painter[] = [];
  const lobes: number[] = [];
  let centerMm: Vec3 | undefined;
  for (const codes of codeSets) {
    const { c, lobe } = sampleInLobes(
      s,
      rng,
      codes,
      [radii[0] * 0.3, radii[1] * 0.3, radii[2] * 0.3],
      spec.abnormality,
    );
    centerMm ??= c;
    lobes.push(lobe);
    painters.push(ellipsoid(c, radii, tissue, filter(codes.length === 1 ? codes : [lobe]), order, 0.1));
  }
  return { spec, location: locationOfLobes(lobes), lobes, centerMm, painters };
}

/** Changes to the normal anatomy (heart size, pericardial space) implied by the findings. */
export function sceneState(frame: Frame, specs: readonly FindingSpec[]): SceneState {
  let heartScale = 1;
  let heartMargin = 3;
  for (const spec of specs) {
    if (spec.abnormality === 'cardiomegaly') heartScale = severityParams(spec).scale!;
    if (spec.abnormality === 'pericardial_effusion') heartMargin += severityParams(spec).thickness!;
  }
  return { frame, heartScale, heartMargin };
}

function sides(location: string): number[][] {
  if (location === 'lung') return [lobeCodes('right_lung'), lobeCodes('left_lung')];
  return [lobeCodes(location)];
}

/** Places one finding and builds its painters (seeded by `rng`). */
export function placeFinding(s: SceneState, rng: Rng, spec: FindingSpec): PlacedFinding {
  const f = s.frame;
  const zAll: [number, number] = [zOfW(f, 0), zOfW(f, 1)];
  switch (spec.abnormality) {
    case 'nodule':
      return lesion(s, rng, spec, T.nodule, 0);
    case 'mass':
      return lesion(s, rng, spec, T.mass, 0.12);
    case 'pleural_effusion': {
      const p = severityParams(spec);
      const painters = sides(spec.location).map((codes) => pleuralFluid(codes, p.depth!, p.height!, ...zAll));
      return { spec, location: spec.location, lobes: sides(spec.location).flat(), painters };
    }
    case 'pneumothorax': {
      const p = severityParams(spec);
      const codes = lobeCodes(spec.location);
      return { spec, location: spec.location, lobes: codes, painters: [pleuralAir(codes, p.depth!, f.sigma, ...zAll)] };
    }
    case 'consolidation': {
      const R = severityParams(spec).radius!;
      return blobs(s, rng, spec, [lobeCodes(spec.location)], [R, R * 0.8, R * 1.1], T.consolidation, inLobes, 4);
    }
    case 'groundglass': {
      const p = severityParams(spec);
      const sets = Array.from({ length: p.count! }, () => lobeCodes(spec.location));
      return blobs(s, rng, spec, sets, [p.radius!, p.radius!, p.radius!], T.groundglass, inAeratedLobes, 5);
    }
    case 'atelectasis': {
      const R = severityParams(spec).radius!;
      const sets = spec.location === 'lung' ? [[LOBE.rightLower], [LOBE.leftLower]] : [lobeCodes(spec.location)];
      return blobs(s, rng, spec, sets, [R, R * 0.25, R * 0.35], T.atelectasis, inLobes, 3);
    }
    case 'emphysema': {
      const codes = lobeCodes(spec.location);
      const painter = bullae(codes, severityParams(spec).fraction!, rng.int(0, 0x7fffffff), ...zAll);
      return { spec, location: spec.location, lobes: codes, painters: [painter] };
    }
    case 'cardiomegaly':
      return { spec, location: 'heart', lobes: [], painters: [] };
    case 'pericardial_effusion':
      return {
        spec,
        location: 'heart',
        lobes: [],
        painters: [pericardialShell(s.heartScale, severityParams(spec).thickness!, (w) => zOfW(f, w))],
      };
    case 'coronary_artery_disease':
      return { spec, location: 'heart', lobes: [], painters: coronaryCalcium(s, rng, severityParams(spec).count!) };
    case 'atherosclerosis':
      return { spec, location: 'aorta', lobes: [], painters: aorticCalcium(s, rng, severityParams(spec).count!) };
    case 'lymphadenopathy': {
      const S = spec.sizeMm!;
      const c = station(s, rng, CATALOG.nodeStations[spec.location], 2);
      return {
        spec,
        location: spec.location,
        lobes: [],
        centerMm: c,
        painters: [ellipsoid(c, [S / 2, S / 2, S * 0.7], T.node, NODE_OVER, 8)],
      };
    }
    default:
      throw new PhantomSpecError(`the phantom cannot draw ${spec.abnormality}`);
  }
}

const CALCIUM_OVER = softTissue;

/** Radii of a small calcified focus: at least 0.87 voxel per axis, so the nearest voxel centre always falls inside on coarse grids. */
function calciumRadii(f: Frame, r: number): Vec3 {
  return [Math.max(r, 0.87 * f.dx), Math.max(r, 0.87 * f.dy), Math.max(r, 0.87 * f.dz)];
}

function coronaryCalcium(s: SceneState, rng: Rng, count: number): Painter[] {
  const f = s.frame;
  const painters: Painter[] = [];
  for (let n = 0; n < count; n++) {
    const dw = rng.range(0.15, 0.65);
    const W = HEART.cw + HEART.rw * s.heartScale * dw;
    const ring = Math.sqrt(1 - dw * dw) * s.heartScale;
    const theta = rng.range(Math.PI * 1.05, Math.PI * 1.95); // anterior half (negative Y)
    const X = HEART.cx + HEART.rx * ring * Math.cos(theta);
    const Y = HEART.cy + HEART.ry * ring * Math.sin(theta);
    const r = rng.range(1.2, 2.4);
    painters.push(
      ellipsoid([X * f.sigma, Y * f.sigma, zOfW(f, W)], calciumRadii(f, r), T.calcification, CALCIUM_OVER, 9),
    );
  }
  return painters;
}

function aorticCalcium(s: SceneState, rng: Rng, count: number): Painter[] {
  const tubes = aortaTubes(s.frame).slice(1);
  const painters: Painter[] = [];
  for (let n = 0; n < count; n++) {
    const t = rng.pick(tubes);
    const a = rng.next();
    const px = t.ax + a * (t.bx - t.ax);
    const py = t.ay + a * (t.by - t.ay);
    const pz = t.az + a * (t.bz - t.az);
    // A unit vector perpendicular to the axis: axis x random vector.
    const ax: Vec3 = [t.bx - t.ax, t.by - t.ay, t.bz - t.az];
    const q: Vec3 = [rng.normal(), rng.normal(), rng.normal()];
    const nrm: Vec3 = [ax[1] * q[2] - ax[2] * q[1], ax[2] * q[0] - ax[0] * q[2], ax[0] * q[1] - ax[1] * q[0]];
    const len = Math.hypot(...nrm) || 1;
    const d = t.r - 1;
    const r = rng.range(1.2, 2.4);
    const c: Vec3 = [px + (nrm[0] / len) * d, py + (nrm[1] / len) * d, pz + (nrm[2] / len) * d];
    painters.push(
      ellipsoid(c, calciumRadii(s.frame, r), T.calcification, overLabels([T.aorta, T.mediastinalFat, T.muscle]), 9),
    );
  }
  return painters;
}
