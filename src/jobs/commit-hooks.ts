// After-commit delivery of enqueued jobs: enqueue() runs inside the caller's transaction, so the job exists for
// other connections only after COMMIT. A typeorm subscriber on the DataSource sees each commit/rollback of a query
// runner; jobs enqueued on that runner are handed to the process's queues (transition listeners, worker wake-up)
// after the outermost commit and dropped on rollback (savepoint rollbacks drop only what the savepoint enqueued).
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { Job } from './types.js';

/** What the queues of a DataSource do with committed jobs. */
export type CommitSink = (jobs: Job[]) => void;

interface Pending {
  job: Job;
  depth: number;
}

const sinks = new WeakMap<DataSource, Set<CommitSink>>();
const pending = new WeakMap<QueryRunner, Pending[]>();
const hooked = new WeakSet<DataSource>();

// typeorm keeps the savepoint depth protected; reading it is the only way to tell a savepoint from the outer commit.
const depthOf = (qr: QueryRunner): number => (qr as unknown as { transactionDepth?: number }).transactionDepth ?? 0;

function deliver(ds: DataSource, jobs: Job[]): void {
  if (jobs.length === 0) return;
  for (const sink of sinks.get(ds) ?? []) sink(jobs);
}

const subscriber: EntitySubscriberInterface = {
  afterTransactionCommit(event) {
    const qr = event.queryRunner;
    const list = pending.get(qr);
    if (qr.isTransactionActive) {
      // A savepoint was released: its jobs now belong to the enclosing level (a later sibling savepoint's rollback
      // must not drop them); the outer transaction may still roll back.
      const depth = depthOf(qr);
      for (const p of list ?? []) p.depth = Math.min(p.depth, depth);
      return;
    }
    pending.delete(qr);
    if (list)
      deliver(
        event.connection,
        list.map((p) => p.job),
      );
  },
  afterTransactionRollback(event) {
    const qr = event.queryRunner;
    const list = pending.get(qr);
    if (!list) return;
    if (!qr.isTransactionActive) {
      pending.delete(qr);
      return;
    }
    const depth = depthOf(qr);
    pending.set(
      qr,
      list.filter((p) => p.depth <= depth),
    );
  },
};

/** Registers a sink for jobs committed on this DataSource; returns the unregister function. */
export function addCommitSink(ds: DataSource, sink: CommitSink): () => void {
  if (!hooked.has(ds)) {
    // The subscribers array is read on every broadcast, so a subscriber added after initialize() takes effect.
    ds.subscribers.push(subscriber);
    hooked.add(ds);
  }
  let set = sinks.get(ds);
  if (!set) {
    set = new Set();
    sinks.set(ds, set);
  }
  set.add(sink);
  return () => set.delete(sink);
}

/** Hands a job written through `manager` to the sinks now (autocommit) or after its transaction commits. */
export function afterCommit(manager: EntityManager, job: Job): void {
  const ds = manager.connection;
  if (!sinks.get(ds)?.size) return; // no queue in this process: nothing to tell
  const qr = manager.queryRunner;
  if (qr && qr.isTransactionActive) {
    const list = pending.get(qr) ?? [];
    list.push({ job, depth: depthOf(qr) });
    pending.set(qr, list);
  } else {
    deliver(ds, [job]);
  }
}
