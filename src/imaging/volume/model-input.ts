// Model input from a resampled int16 volume (method.md "Preprocessing"): centred pad (volume minimum or a value) /
// centre-crop to the model shape, clip to inputClipHU, scale to the output range, subtract the centre. One pass
// through a 65,536-entry lookup table, since every step is a function of the int16 value alone.
import type { Preprocessing } from './preprocessing.js';

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

/** Builds the model's input tensor ([z, y, x] Float32) from a volume already at the model's spacing. */
export function prepareModelInput(
  volume: { data: Int16Array; shape: [number, number, number] },
  p: Preprocessing,
): ModelInput {
  const [nz, ny, nx] = volume.shape;
  const [tz, ty, tx] = p.shape;
  const offset = (n: number, t: number): number => (n >= t ? Math.floor((n - t) / 2) : -Math.floor((t - n) / 2));
  const oz = offset(nz, tz);
  const oy = offset(ny, ty);
  const ox = offset(nx, tx);
  const padValueHU = p.padValue === 'min' ? minimum(volume.data) : Math.round(p.padValue);
  const lut = valueTable(p);
  const padded = lut[Math.max(-32768, Math.min(32767, padValueHU)) + 32768]!;
  const out = new Float32Array(tz * ty * tx);
  const src = volume.data;
  // x range of output columns that read input columns
  const xStart = Math.max(0, -ox);
  const xEnd = Math.min(tx, nx - ox);
  for (let z = 0; z < tz; z++) {
    const sz = z + oz;
    if (sz < 0 || sz >= nz) {
      out.fill(padded, z * ty * tx, (z + 1) * ty * tx); // a whole padded plane at once
      continue;
    }
    for (let y = 0; y < ty; y++) {
      const sy = y + oy;
      const o = (z * ty + y) * tx;
      if (sz < 0 || sz >= nz || sy < 0 || sy >= ny) {
        out.fill(padded, o, o + tx);
        continue;
      }
      const base = (sz * ny + sy) * nx + ox;
      if (xStart > 0) out.fill(padded, o, o + xStart);
      for (let x = xStart; x < xEnd; x++) out[o + x] = lut[src[base + x]! + 32768]!;
      if (xEnd < tx) out.fill(padded, o + Math.max(xEnd, 0), o + tx);
    }
  }
  return { data: out, shape: [tz, ty, tx], offset: [oz, oy, ox], padValueHU };
}
