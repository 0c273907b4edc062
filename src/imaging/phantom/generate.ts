// The phantom generator: a seeded synthetic chest CT produced slice by slice (one label map and one int16 HU
// slice in memory at a time), so a 512 x 512 x 300 series never needs more than its output.
import { paintBody, paintHeart, paintSkeleton } from './base.js';
import type { Frame, PhantomGeometry } from './geometry.js';
import { frameOf } from './geometry.js';
import type { PlacedFinding, SceneState } from './placement.js';
import { placeFinding, sceneState } from './placement.js';
import type { Painter } from './painters.js';
import { createRng, hash4 } from './prng.js';
import type { SliceContext } from './slice.js';
import { createSliceContext, moveTo } from './slice.js';
import type { FindingSpec } from './spec.js';
import { checkCombination } from './spec.js';
import { mediastinalTubes, vesselTree } from './structures.js';
import { TISSUES } from './tissues.js';
import type { Tube } from './tubes.js';
import { paintTubes } from './tubes.js';

export interface PhantomOptions {
  seed: number;
  geometry: PhantomGeometry;
  findings: readonly FindingSpec[];
}

/** One generated slice. `labels` is a reused buffer: valid until the next slice is requested. */
export interface PhantomSlice {
  k: number;
  /** Patient z of the slice centre (mm). */
  z: number;
  hu: Int16Array;
  labels: Uint8Array;
}

export interface Phantom {
  seed: number;
  frame: Frame;
  state: SceneState;
  findings: PlacedFinding[];
  /** Generates slices k = 0 (superior) .. nz - 1 in order. */
  slices(): Generator<PhantomSlice>;
}

/** Lowest and highest HU a slice may hold (12-bit stored values with intercept -1024). */
export const HU_MIN = -1024;
export const HU_MAX = 3071;
const NOISE_TABLE = 1 << 16;

/** Builds a phantom: places the findings (seeded), prepares anatomy; pixels come lazily from `slices()`. */
export function createPhantom(options: PhantomOptions): Phantom {
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new Error(`phantom seed must be an integer in 0..4294967295, got ${options.seed}`);
  }
  checkCombination(options.findings);
  const frame = frameOf(options.geometry);
  const rng = createRng(options.seed);
  const state = sceneState(frame, options.findings);
  const placeRng = rng.fork('findings');
  const findings = options.findings.map((spec) => placeFinding(state, placeRng, spec));
  const tubes = mediastinalTubes(frame);
  const vessels = vesselTree(frame, rng.fork('vessels'), state.heartScale, state.heartMargin);
  const painters = findings.flatMap((f) => f.painters).sort((a, b) => a.order - b.order);
  const noiseRng = rng.fork('noise');
  const noise = Float32Array.from({ length: NOISE_TABLE }, () => noiseRng.normal());
  return {
    seed: options.seed,
    frame,
    state,
    findings,
    *slices() {
      const ctx = createSliceContext(frame);
      for (let k = 0; k < frame.nz; k++) {
        moveTo(ctx, k);
        renderLabels(ctx, state, tubes, vessels, painters);
        yield { k, z: ctx.z, hu: toHu(ctx.labels, noise, hash4(options.seed, k, 0x5eed, 0)), labels: ctx.labels };
      }
    },
  };
}

const MEAN = Float32Array.from(TISSUES, (t) => t.hu);
const SD = Float32Array.from(TISSUES, (t) => t.sd);

/** Paints every structure of one slice into its label map, in anatomical then finding order. */
export function renderLabels(
  ctx: SliceContext,
  state: SceneState,
  tubes: readonly Tube[],
  vessels: readonly Tube[],
  painters: readonly Painter[],
): void {
  paintBody(ctx, { heartScale: state.heartScale, heartMargin: state.heartMargin });
  paintSkeleton(ctx);
  paintHeart(ctx, state.heartScale);
  paintTubes(ctx, tubes);
  paintTubes(ctx, vessels);
  const half = ctx.frame.dz / 2;
  for (const p of painters) if (ctx.z + half >= p.zMin && ctx.z - half <= p.zMax) p.paint(ctx);
}

function toHu(labels: Uint8Array, noise: Float32Array, seed: number): Int16Array {
  const out = new Int16Array(labels.length);
  let x = seed | 1;
  const mask = NOISE_TABLE - 1;
  for (let n = 0; n < labels.length; n++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const t = labels[n]!;
    const v = Math.round(MEAN[t]! + SD[t]! * noise[x & mask]!);
    out[n] = v < HU_MIN ? HU_MIN : v > HU_MAX ? HU_MAX : v;
  }
  return out;
}
