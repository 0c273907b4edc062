// The voxel buffer of a volume being assembled: one Int16Array preallocated from the expected slice count (a
// QIDO count or a folder scan), filled slot by slot as instances arrive, reordered in place once all are in.
// Without a count it grows by doubling, so an unknown-length stream costs at most one extra copy.
import { VolumeError } from './types.js';

export class SliceStore {
  data: Int16Array;
  private capacity: number;

  constructor(
    readonly sliceSize: number,
    expected: number | undefined,
    private readonly maxVoxels: number,
  ) {
    this.checkLimit(expected ?? 1);
    this.capacity = Math.max(1, expected ?? Math.min(64, Math.floor(maxVoxels / sliceSize)));
    this.data = new Int16Array(this.sliceSize * this.capacity);
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

  /** The slot of slice `index` as a view, growing the buffer when needed. */
  slot(index: number): Int16Array {
    if (index >= this.capacity) {
      this.checkLimit(index + 1);
      const capacity = Math.min(Math.max(index + 1, this.capacity * 2), Math.floor(this.maxVoxels / this.sliceSize));
      const grown = new Int16Array(this.sliceSize * capacity);
      grown.set(this.data);
      this.data = grown;
      this.capacity = capacity;
    }
    return this.data.subarray(index * this.sliceSize, (index + 1) * this.sliceSize);
  }

  /** Drops unused capacity (a copy only when the count was unknown or wrong). */
  trim(count: number): Int16Array {
    if (count !== this.capacity) this.data = this.data.slice(0, count * this.sliceSize);
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
