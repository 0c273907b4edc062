// The voxel buffer of a volume being assembled: one Int16Array preallocated from the expected slice count (a
// QIDO count or a folder scan), filled slot by slot as instances arrive, reordered in place once all are in.
// The buffer is resizable (resizable.ts), with address space reserved for the largest volume it may become plus a
// model input: an unknown-length stream grows and trims in place, and preprocessing may write the model input over
// the volume (overlay.ts). Where the runtime refuses a resizable buffer it is a plain one that grows by doubling
// (one copy at most).
import { allocateResizable, asResizable, resizeInPlace } from './resizable.js';
import { VolumeError } from './types.js';

/** Address space (not memory) beyond the volume for a model input larger than it (402 x 420 x 420 float32: 271 MiB). */
const MODEL_INPUT_HEADROOM = 512 * 2 ** 20;

export class SliceStore {
  data: Int16Array;
  private capacity: number;
  private staging: Int16Array | undefined;

  constructor(
    readonly sliceSize: number,
    expected: number | undefined,
    private readonly maxVoxels: number,
  ) {
    this.checkLimit(expected ?? 1);
    this.capacity = Math.max(1, expected ?? Math.min(64, Math.floor(maxVoxels / sliceSize)));
    const length = this.sliceSize * this.capacity;
    // Without a count the volume may grow to maxVoxels; with one it cannot (more instances are an error).
    const largest = expected === undefined ? Math.max(maxVoxels, length) : length;
    this.data = new Int16Array(allocateResizable(length * 2, largest * 2 + MODEL_INPUT_HEADROOM), 0, length);
  }

  private checkLimit(slices: number): void {
    if (slices * this.sliceSize > this.maxVoxels) {
      const gib = ((slices * this.sliceSize * 2) / 2 ** 30).toFixed(2);
      throw new VolumeError(
        'too-large',
        `series of ${slices} slices x ${this.sliceSize} pixels needs ${gib} GiB, over the limit of ${this.maxVoxels} voxels (maxVoxels)`,
      );
    }
  }

  /** A fixed-length view of `slices` slices: in place when the buffer resizes, else a copy into a new buffer. */
  private resized(slices: number): Int16Array {
    const length = slices * this.sliceSize;
    if (resizeInPlace(this.data.buffer, length * 2)) return new Int16Array(this.data.buffer, 0, length);
    const next = new Int16Array(length);
    next.set(length < this.data.length ? this.data.subarray(0, length) : this.data);
    return next;
  }

  /**
   * Fills slot `index` through `write`, which gets a plain array: loops over views of a resizable buffer run slower
   * in V8 than over plain ones, so the slice is written to a staging array and copied in (a memcpy).
   */
  fill(index: number, write: (slice: Int16Array) => void): void {
    const slot = this.slot(index);
    if (!asResizable(slot.buffer)) return write(slot);
    this.staging ??= new Int16Array(this.sliceSize);
    write(this.staging);
    slot.set(this.staging);
  }

  /** The slot of slice `index` as a view, growing the buffer when needed. */
  slot(index: number): Int16Array {
    if (index >= this.capacity) {
      this.checkLimit(index + 1);
      const capacity = Math.min(Math.max(index + 1, this.capacity * 2), Math.floor(this.maxVoxels / this.sliceSize));
      this.data = this.resized(capacity);
      this.capacity = capacity;
    }
    return this.data.subarray(index * this.sliceSize, (index + 1) * this.sliceSize);
  }

  /** Drops unused capacity (in place, or a copy when the count was unknown or wrong and the buffer is fixed). */
  trim(count: number): Int16Array {
    if (count !== this.capacity) {
      this.data = this.resized(count);
      this.capacity = count;
    }
    return this.data;
  }

  /** Reorders slices in place so that slice k holds what slot order[k] held; one slice of scratch memory. */
  permute(order: number[]): void {
    const n = order.length;
    const size = this.sliceSize;
    const data = this.data;
    const done = new Uint8Array(n);
    const scratch = new Int16Array(size);
    for (let start = 0; start < n; start++) {
      if (done[start] || order[start] === start) continue;
      scratch.set(data.subarray(start * size, (start + 1) * size));
      let j = start;
      for (;;) {
        done[j] = 1;
        const src = order[j]!;
        if (src === start) {
          data.set(scratch, j * size);
          break;
        }
        data.copyWithin(j * size, src * size, (src + 1) * size);
        j = src;
      }
    }
  }
}
