// Counting semaphore: caps concurrent inference runs per device so a burst of jobs queues instead of
// oversubscribing the CPU cores or GPU memory. FIFO, so waiting jobs run in arrival order.

/** A FIFO counting semaphore. */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`semaphore limit must be an integer >= 1, got ${limit}`);
    this.available = limit;
  }

  /** Runs `task` once a slot is free; the slot is released when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Runs waiting for a slot now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Runs holding a slot now. */
  get active(): number {
    return this.limit - this.available;
  }

  private acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}
