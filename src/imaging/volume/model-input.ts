// Model input from a resampled int16 volume (method.md "Preprocessing"): centred pad (volume minimum or a value) /
// centre-crop to the model shape, clip to inputClipHU, scale to the output range, subtract the centre. One pass
// through a 65,536-entry lookup table, since every step is a function of the int16 value alone.
import type { Preprocessing } from './preprocessing.js';
import { overlayLayout } from './overlay.js';
import { axisMap, blendInt16, resampledShape, streamResampled, type Resampled, type SliceOrder } from './resample.js';
import { asResizable, resizeInPlace } from './resizable.js';
import type { VolumeGeometry } from './types.js';

export interface ModelInput {
  data: Float32Array;
  shape: [number, number, number];
  /** Per axis [z, y, x]: input index = output index + offset (negative: padded before; positive: cropped). */
  offset: [number, number, number];
  padValueHU: number;
}

/** Smallest value of an int16 array. */
export function minimum(data: Int16Array): number {
  let m = 32767;
  for (let i = 0; i < data.length; i++) if (data[i]! < m) m = data[i]!;
  return m;
}

/** The float value each int16 HU maps to: clip to inputClipHU, scale linearly to `scale`, subtract `centre`. */
export function valueTable(p: Pick<Preprocessing, 'inputClipHU' | 'scale' | 'centre'>): Float32Array {
  const [lo, hi] = p.inputClipHU;
  const [a, b] = p.scale;
  const lut = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) {
    const hu = i - 32768;
    const c = hu < lo ? lo : hu > hi ? hi : hu;
    lut[i] = a + ((c - lo) * (b - a)) / (hi - lo) - p.centre;
  }
  return lut;
}

type Shape = [number, number, number];

/** Centred pad (negative) or crop (positive) offset per axis: input index = output index + offset. */
function offsets(n: Shape, t: Shape): Shape {
  const one = (a: number, b: number): number => (a >= b ? Math.floor((a - b) / 2) : -Math.floor((b - a) / 2));
  return [one(n[0], t[0]), one(n[1], t[1]), one(n[2], t[2])];
}

/** Copies the covered rows of one input slice (sz) into output plane z through the lookup table. */
function copySlice(
  src: Int16Array,
  srcBase: number,
  n: Shape,
  t: Shape,
  off: Shape,
  lut: Float32Array,
  out: Float32Array,
  z: number,
): void {
  const [, ny, nx] = n;
  const [, ty, tx] = t;
  const xStart = Math.max(0, -off[2]);
  const xEnd = Math.min(tx, nx - off[2]);
  for (let y = Math.max(0, -off[1]); y < Math.min(ty, ny - off[1]); y++) {
    const s = srcBase + (y + off[1]) * nx + off[2];
    const o = (z * ty + y) * tx;
    for (let x = xStart; x < xEnd; x++) out[o + x] = lut[src[s + x]! + 32768]!;
  }
}

/** Fills every output voxel that no input voxel covers with `value`. */
function fillPadding(out: Float32Array, n: Shape, t: Shape, off: Shape, value: number): void {
  const [tz, ty, tx] = t;
  const zIn = (z: number): boolean => z + off[0] >= 0 && z + off[0] < n[0];
  const yStart = Math.max(0, -off[1]);
  const yEnd = Math.min(ty, n[1] - off[1]);
  const xStart = Math.max(0, -off[2]);
  const xEnd = Math.min(tx, n[2] - off[2]);
  for (let z = 0; z < tz; z++) {
    const plane = z * ty * tx;
    if (!zIn(z)) {
      out.fill(value, plane, plane + ty * tx);
      continue;
    }
    out.fill(value, plane, plane + yStart * tx);
    out.fill(value, plane + yEnd * tx, plane + ty * tx);
    for (let y = yStart; y < yEnd; y++) {
      const o = plane + y * tx;
      out.fill(value, o, o + xStart);
      out.fill(value, o + xEnd, o + tx);
    }
  }
}

function padValueOf(p: Preprocessing, min: () => number): number {
  const v = p.padValue === 'min' ? min() : Math.round(p.padValue);
  return Math.max(-32768, Math.min(32767, v));
}

/** Builds the model's input tensor ([z, y, x] Float32) from a volume already at the model's spacing. */
export function prepareModelInput(volume: { data: Int16Array; shape: Shape }, p: Preprocessing): ModelInput {
  const n = volume.shape;
  const t = p.shape;
  const off = offsets(n, t);
  const lut = valueTable(p);
  const out = new Float32Array(t[0] * t[1] * t[2]);
  for (let z = Math.max(0, -off[0]); z < Math.min(t[0], n[0] - off[0]); z++) {
    copySlice(volume.data, (z + off[0]) * n[1] * n[2], n, t, off, lut, out, z);
  }
  const padValueHU = padValueOf(p, () => minimum(volume.data));
  fillPadding(out, n, t, off, lut[padValueHU + 32768]!);
  return { data: out, shape: [...t], offset: off, padValueHU };
}

export interface ModelInputOptions {
  /** Also return the resampled int16 volume (costs its memory). */
  keepResampled?: boolean;
  /**
   * The caller is done with the volume's voxels: the model input may be written over them in the volume's own
   * buffer when it is resizable and the layout allows (overlay.ts), so peak memory is about max(volume, model
   * input) instead of their sum. Either way volume.data is an empty array afterwards.
   */
  consume?: boolean;
}

/** The model input array: over the consumed volume when its buffer allows, else a new one. */
function outputArray(
  volume: { data: Int16Array; shape: Shape },
  t: Shape,
  off: Shape,
  mz: ReturnType<typeof axisMap>,
  consume: boolean,
): { out: Float32Array; order: SliceOrder } {
  const length = t[0] * t[1] * t[2];
  const buffer = volume.data.buffer;
  if (consume && volume.data.byteOffset === 0 && asResizable(buffer)) {
    const layout = overlayLayout({
      slices: volume.shape[0],
      sliceBytes: volume.shape[1] * volume.shape[2] * 2,
      taps: mz,
      zOffset: off[0],
      outSlices: t[0],
      outSliceBytes: t[1] * t[2] * 4,
    });
    if (buffer.byteLength >= layout.bytes || resizeInPlace(buffer, layout.bytes)) {
      return { out: new Float32Array(buffer, layout.offset, length), order: layout.order };
    }
  }
  return { out: new Float32Array(length), order: 'ascending' };
}

/**
 * Resampling and model input in one streamed pass, with the values of prepareModelInput(resample(...)): each output
 * slice is blended to int16 (storage clip), folded into the running minimum and copied through the lookup table;
 * padding is filled last, once the minimum is known. Memory: input volume + model input + a few slices (with
 * `consume`, about the larger of the two), and the resampled volume only when `keepResampled`.
 */
export function resampleToModelInput(
  volume: VolumeGeometry & { data: Int16Array },
  p: Preprocessing,
  options: ModelInputOptions = {},
): { input: ModelInput; resampled?: Resampled<Int16Array> } {
  const n = resampledShape(volume, p.spacing);
  const t = p.shape;
  const off = offsets(n, t);
  const lut = valueTable(p);
  const plane = n[1] * n[2];
  const mz = axisMap(volume.shape[0], volume.spacing[0], p.spacing[0]);
  const { out, order } = outputArray(volume, t, off, mz, options.consume ?? false);
  const kept = options.keepResampled ? new Int16Array(n[0] * plane) : undefined;
  const scratch = kept ? undefined : new Int16Array(plane);
  const [lo, hi] = p.clipHU;
  let min = 32767;
  // Over a resizable buffer each slice is made in a plain array and copied in (loops over such views are slower).
  const staging = asResizable(out.buffer) ? new Float32Array(t[1] * t[2]) : undefined;
  streamResampled(
    volume,
    p.spacing,
    (k, a, b, wz) => {
      const target = kept ?? scratch!;
      const base = kept ? k * plane : 0;
      blendInt16(a, b, wz, lo, hi, target, base);
      for (let i = base; i < base + plane; i++) if (target[i]! < min) min = target[i]!;
      const z = k - off[0];
      if (z < 0 || z >= t[0]) return;
      if (!staging) return copySlice(target, base, n, t, off, lut, out, z);
      // The parts of the slice that copySlice leaves are padding, filled below: stale values there do no harm.
      copySlice(target, base, n, t, off, lut, staging, 0);
      out.set(staging, z * t[1] * t[2]);
    },
    order,
  );
  if (options.consume) {
    // The volume is used up: release what lies beyond the model input (a volume larger than it) or, when the
    // model input is a new array, drop the reference so that the volume can be collected.
    if (out.buffer === volume.data.buffer) resizeInPlace(out.buffer, out.byteOffset + out.byteLength);
    volume.data = new Int16Array(0);
  }
  // Every voxel is written (copySlice or here), so an output over old voxels holds nothing stale.
  const padValueHU = padValueOf(p, () => min);
  fillPadding(out, n, t, off, lut[padValueHU + 32768]!);
  const input: ModelInput = { data: out, shape: [...t], offset: off, padValueHU };
  if (!kept) return { input };
  return {
    input,
    resampled: { data: kept, shape: n, spacing: [...p.spacing], origin: volume.origin, direction: volume.direction },
  };
}
