// Group commit: items submitted while a flush is running wait and go together into the next flush, so N concurrent
// writers share one database transaction (and one WAL flush) instead of paying for N. An idle queue flushes at once:
// a single writer waits for nothing extra. One flush runs at a time, so writes of one group commit never race each
// other. The first flush after idle waits for setImmediate, so work that arrived in the same event-loop turn starts
// together. Used by the store (SQLite transactions, datasource.ts) and by the HL7 inbound pipeline (messages).

/** Processes a batch; returns one result per item, in order. Throwing fails every item of the batch. */
export type FlushFn<I, O> = (items: I[]) => Promise<O[]>;

interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<I, O> {
  private queue: Waiting<I, O>[] = [];
  private running = false;

  constructor(
    private readonly flush: FlushFn<I, O>,
    /** Largest batch; the rest waits for the next flush. */
    private readonly maxBatch = 64,
  ) {}

  /** Resolves with the item's result once the batch holding it has been flushed. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const out = await this.flush(batch.map((w) => w.item));
          if (out.length !== batch.length) throw new Error(`flush returned ${out.length} results for ${batch.length}`);
          batch.forEach((w, i) => w.resolve(out[i]!));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/** FNV-1a, for spreading keys over lanes. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Several group commits side by side, an item's lane chosen by its key: items with the same key (e.g. the same
 * patient) go through one lane, one flush at a time and in arrival order; different keys commit concurrently.
 */
export class GroupCommitLanes<I, O> {
  private readonly lanes: GroupCommit<I, O>[];

  constructor(flush: FlushFn<I, O>, lanes = 4, maxBatch?: number) {
    this.lanes = Array.from({ length: Math.max(1, lanes) }, () => new GroupCommit(flush, maxBatch));
  }

  submit(key: string, item: I): Promise<O> {
    return this.lanes[hash(key) % this.lanes.length]!.submit(item);
  }
}
