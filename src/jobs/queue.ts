// JobQueue: the per-process handle on the job table of one DataSource. It serialises statements on SQLite, delivers
// committed transitions to listeners in commit order, and wakes the in-process workers when work is committed.
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { exclusive } from '../store/datasource.js';
import { addCommitSink } from './commit-hooks.js';
import { enqueue } from './enqueue.js';
import type { JobRow } from './schema.js';
import type { Dialect } from './sql.js';
import { dialectOf, query, rowToJob } from './sql.js';
import type { EnqueueResult, EnqueueSpec, Job, TransitionBatchListener, TransitionListener } from './types.js';

/** Runs fn with exclusive use of the connection (SQLite: one shared connection) or directly (PostgreSQL pool). */
export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

export interface JobQueueOptions {
  /** Called after every committed transition, in commit order within this process. */
  onTransition?: TransitionListener;
  /** Called with the transitions committed since its previous call (the Task mirror batches its writes). */
  onTransitions?: TransitionBatchListener;
  logger?: Logger;
  /**
   * Connection lock; default: the store's `exclusive` (store/datasource.ts). On SQLite every statement outside a
   * caller transaction must take it, or it would run inside whatever transaction is open on the shared connection.
   */
  exclusive?: Exclusive;
}

export class JobQueue {
  readonly dataSource: DataSource;
  readonly dialect: Dialect;
  readonly logger: Logger;
  private readonly exclusive: Exclusive;
  private readonly listeners = new Set<TransitionListener>();
  private readonly batchListeners = new Set<TransitionBatchListener>();
  private readonly wakers = new Set<(jobs: Job[]) => void>();
  /** Committed transitions not yet delivered; one drain loop delivers them, so a backlog is one array. */
  private pending: Job[] = [];
  private draining = false;
  private delivery: Promise<void> = Promise.resolve();
  private readonly detach: () => void;

  constructor(dataSource: DataSource, options: JobQueueOptions = {}) {
    this.dataSource = dataSource;
    this.dialect = dialectOf(dataSource);
    this.logger = options.logger ?? silentLogger;
    this.exclusive = options.exclusive ?? ((fn) => exclusive(dataSource, fn));
    if (options.onTransition) this.listeners.add(options.onTransition);
    if (options.onTransitions) this.batchListeners.add(options.onTransitions);
    this.detach = addCommitSink(dataSource, (jobs) => this.publish(jobs));
  }

  /** Adds a transition listener; returns its remover. */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers a worker's wake-up; called with jobs that just became claimable in this process. */
  onWake(waker: (jobs: Job[]) => void): () => void {
    this.wakers.add(waker);
    return () => this.wakers.delete(waker);
  }

  /** Runs statements outside any caller transaction, under the connection lock. */
  run<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.exclusive(() => fn(this.dataSource.manager));
  }

  /** Runs one statement under the connection lock and returns its rows as jobs. */
  async jobs(text: string, params: Record<string, unknown> = {}): Promise<Job[]> {
    const rows = await this.run((m) => query<JobRow>(m, this.dialect, text, params));
    return rows.map(rowToJob);
  }

  /** Runs fn in one transaction under the lock (the store's withTransaction). */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.dataSource.transaction(fn));
  }

  /** Enqueues in its own transaction; use the exported enqueue(manager, spec) to join a caller's transaction. */
  enqueue<P>(spec: EnqueueSpec<P>): Promise<EnqueueResult<P>> {
    return this.run((m) => enqueue(m, spec));
  }

  /** One job by id, or undefined. */
  async get(id: string): Promise<Job | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const [job] = await this.jobs('SELECT * FROM job WHERE id = :id', { id: Number(id) });
    return job;
  }

  /** Delivers committed transitions to listeners (in order, one at a time) and wakes workers for queued jobs. */
  publish(jobs: Job[]): void {
    if (jobs.length === 0) return;
    const queued = jobs.filter((j) => j.status === 'queued');
    if (queued.length > 0) for (const wake of this.wakers) wake(queued);
    if (this.listeners.size === 0 && this.batchListeners.size === 0) return;
    this.pending.push(...jobs);
    if (!this.draining) {
      this.draining = true;
      this.delivery = this.drain();
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        for (const job of batch) {
          for (const listener of this.listeners) await this.deliver(() => listener(job), batch, job);
        }
        for (const listener of this.batchListeners) await this.deliver(() => listener(batch), batch);
      }
    } finally {
      // Set in the same turn as the last emptiness check: a publish after it starts a new drain.
      this.draining = false;
    }
  }

  private async deliver(fn: () => void | Promise<void>, batch: Job[], job?: Job): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.logger.error('job transition listener failed', {
        ...(job ? { jobId: job.id, status: job.status } : { jobs: batch.length }),
        error: (err as Error).message,
      });
    }
  }

  /** Resolves when every transition published so far has been delivered. */
  idle(): Promise<void> {
    return this.delivery;
  }

  /** Stops receiving commit notifications for this DataSource. */
  close(): void {
    this.detach();
  }
}
