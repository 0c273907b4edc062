// Where the model input can be written over the HU volume it is computed from, inside the volume's own buffer, so
// that preprocessing needs max(volume, model input) bytes instead of their sum. streamResampled reads each input
// slice once, at the first output slice (in its order) whose taps include it; a layout is safe when no output
// slice is written over an input slice that is read after it. Ascending order with the input at the buffer start
// suits a volume used up faster than the model input grows (downsampling in z); descending order, with the model
// input starting far enough in, suits the rest (the 512 x 512 slices of a CT give 420 x 420 float32 slices that
// are larger than themselves).
import type { SliceOrder } from './resample.js';

export interface OverlayGeometry {
  /** Input (HU volume) slices and bytes per input slice; the volume starts at byte 0 of the buffer. */
  slices: number;
  sliceBytes: number;
  /** The z taps of the resampling: resampled slice k blends input slices i0[k] and i1[k]. */
  taps: { size: number; i0: Int32Array; i1: Int32Array };
  /** Model input slice z = resampled slice k - zOffset, written when 0 <= z < outSlices. */
  zOffset: number;
  outSlices: number;
  outSliceBytes: number;
}

export interface OverlayLayout {
  order: SliceOrder;
  /** Byte offset of the model input in the buffer (a multiple of 8). */
  offset: number;
  /** Buffer length the layout needs: the larger of the volume and offset + model input. */
  bytes: number;
}

/** Processing positions: steps[s] is the resampled slice handled s-th. */
function stepsOf(size: number, order: SliceOrder): Int32Array {
  const steps = new Int32Array(size);
  for (let s = 0; s < size; s++) steps[s] = order === 'ascending' ? s : size - 1 - s;
  return steps;
}

/**
 * For each position s, the lowest (ascending) or highest (descending) input slice first read after s; NaN when
 * none is.
 */
function readsAfter(g: OverlayGeometry, steps: Int32Array, order: SliceOrder): Float64Array {
  const first = new Int32Array(g.slices).fill(-1);
  for (let s = 0; s < steps.length; s++) {
    const k = steps[s]!;
    for (const z of [g.taps.i0[k]!, g.taps.i1[k]!]) if (first[z] === -1) first[z] = s;
  }
  const at = new Float64Array(steps.length + 1).fill(NaN);
  const better = (a: number, b: number): number =>
    Number.isNaN(a) ? b : Number.isNaN(b) ? a : order === 'ascending' ? Math.min(a, b) : Math.max(a, b);
  for (let z = 0; z < g.slices; z++) if (first[z]! >= 0) at[first[z]!] = better(at[first[z]!]!, z);
  // Suffix reduction: after[s] covers positions s + 1 and later.
  const after = new Float64Array(steps.length).fill(NaN);
  let acc = NaN;
  for (let s = steps.length - 1; s >= 0; s--) {
    after[s] = acc;
    acc = better(acc, at[s]!);
  }
  return after;
}

function layoutFor(g: OverlayGeometry, order: SliceOrder): OverlayLayout | undefined {
  const steps = stepsOf(g.taps.size, order);
  const after = readsAfter(g, steps, order);
  const volumeBytes = g.slices * g.sliceBytes;
  const outBytes = g.outSlices * g.outSliceBytes;
  let offset = 0;
  for (let s = 0; s < steps.length; s++) {
    const z = steps[s]! - g.zOffset;
    const next = after[s]!;
    if (z < 0 || z >= g.outSlices || Number.isNaN(next)) continue;
    if (order === 'ascending') {
      // Output slice z ends before the lowest input slice still to be read.
      if ((z + 1) * g.outSliceBytes > next * g.sliceBytes) return undefined;
    } else {
      // Output slice z starts after the highest input slice still to be read.
      offset = Math.max(offset, (next + 1) * g.sliceBytes - z * g.outSliceBytes);
    }
  }
  offset = Math.ceil(offset / 8) * 8;
  return { order, offset, bytes: Math.max(volumeBytes, offset + outBytes) };
}

/** The safe layout needing the smaller buffer (ascending when equal). */
export function overlayLayout(g: OverlayGeometry): OverlayLayout {
  const up = layoutFor(g, 'ascending');
  const down = layoutFor(g, 'descending')!;
  return up && up.bytes <= down.bytes ? up : down;
}
