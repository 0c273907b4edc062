// Worker: claims jobs for its registered handlers and runs them, with leases renewed by heartbeats.
//   - Wakes on: poll timer, a commit in this process (embedded mode starts jobs at once), PostgreSQL NOTIFY from other
//     processes, and a finished job (a slot freed).
//   - stop(): stops claiming, waits for running jobs up to a timeout, then aborts and releases the rest (queued again,
//     the interrupted run not counted).
//   - Handlers run at least once; a run whose lease was lost (process stalled past the lease) is aborted and has its
//     result discarded, and the job's new owner decides; its own writes are refused by ctx.fence. Handlers must be
//     idempotent (README "Idempotence").
//   - A slot (concurrency, per-type limits) is held until the handler returns, even after its lease was lost: a
//     handler that ignores its signal still uses the GPU or connection it was limited for.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { BackoffOptions } from './backoff.js';
import { DEFAULT_BACKOFF, retryDelayMs } from './backoff.js';
import { claimJobs, planClaim } from './claim.js';
import type { RunOutcome } from './lifecycle.js';
import { errorText, finishRun, heartbeat, holdLease, reapExpired, releaseRuns } from './lifecycle.js';
import type { JobListener } from './listener.js';
import { listenForJobs } from './listener.js';
import type { JobQueue } from './queue.js';
import type { HandlerRegistry, Job, JobHandler, JobResult, TypeLimit } from './types.js';
import { LeaseLostError, PermanentJobError } from './types.js';

export interface WorkerOptions {
  handlers: HandlerRegistry;
  /** Jobs run at the same time by this worker (default 1). */
  concurrency?: number;
  limits?: Record<string, TypeLimit>;
  /** Lease length (default 30 s): a killed worker's jobs are taken over this long after its last heartbeat. */
  leaseMs?: number;
  /** Lease renewal period (default leaseMs / 3). */
  heartbeatMs?: number;
  /** Poll period when nothing wakes the worker (default 1 s). */
  pollMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Unique per process (default host:pid:random). */
  workerId?: string;
  logger?: Logger;
  /** PostgreSQL: LISTEN for jobs committed by other processes (default true). */
  listen?: boolean;
}

interface Running {
  job: Job;
  abort: AbortController;
  /** The lease was lost or released: the run's outcome must not be recorded (its slot is held until it returns). */
  detached: boolean;
  /** The handler returned; its outcome is being written (a missing lease then means it was just written). */
  ending: boolean;
  done: Promise<void>;
}

const RECORD_TRIES = 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Worker {
  readonly id: string;
  private readonly queue: JobQueue;
  private readonly handlers: HandlerRegistry;
  private readonly types: string[];
  private readonly concurrency: number;
  private readonly limits: Record<string, TypeLimit>;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly backoff: BackoffOptions;
  private readonly logger: Logger;
  private readonly listen: boolean;
  /** Every handler still running, owned or detached: the slots in use. */
  private readonly runs = new Set<Running>();
  private started = false;
  private stopping = false;
  private ticking = false;
  private again = false;
  private renewing = false;
  private errors = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private unwake: (() => void) | undefined;
  private listener: JobListener | undefined;
  private lastReap = 0;

  constructor(queue: JobQueue, options: WorkerOptions) {
    this.queue = queue;
    this.handlers = options.handlers;
    this.types = Object.keys(options.handlers);
    if (this.types.length === 0) throw new Error('Worker needs at least one handler');
    this.concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`Worker concurrency must be an integer >= 1, got ${options.concurrency}`);
    }
    this.limits = options.limits ?? {};
    this.leaseMs = options.leaseMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(this.leaseMs / 3));
    if (this.heartbeatMs >= this.leaseMs) throw new RangeError('heartbeatMs must be shorter than leaseMs');
    this.pollMs = options.pollMs ?? 1000;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.logger = (options.logger ?? silentLogger).child({ workerId: this.id });
    this.listen = options.listen ?? true;
  }

  /** Handlers running now, including runs that lost their lease and have not returned yet. */
  get active(): number {
    return this.runs.size;
  }

  /** Starts polling, heartbeats and wake-ups; the first claim happens at once (resume after restart). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const known = new Set(this.types);
    this.unwake = this.queue.onWake((jobs) => {
      if (jobs.some((j) => known.has(j.type))) this.wake();
    });
    if (this.listen && this.queue.dialect === 'postgres') {
      this.listener = listenForJobs(
        this.queue.dataSource,
        (type) => (type === '' || known.has(type) ? this.wake() : undefined),
        this.logger,
      );
    }
    this.heartbeatTimer = setInterval(() => void this.renewLeases(), this.heartbeatMs);
    this.logger.info('worker started', { types: this.types, concurrency: this.concurrency, leaseMs: this.leaseMs });
    this.wake();
  }

  /** Claims now instead of at the next poll. */
  wake(): void {
    if (!this.started || this.stopping) return;
    setImmediate(() => void this.tick());
  }

  /**
   * Graceful stop: no new claims; running jobs get `timeoutMs` to finish, the rest are aborted and released to the
   * queue. Returns how many finished and how many were released.
   */
  async stop(timeoutMs = 10_000): Promise<{ finished: number; released: number }> {
    if (!this.started) return { finished: 0, released: 0 };
    this.stopping = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.unwake?.();
    await this.listener?.close();
    // A claim in flight hands its jobs straight back (see tick); let it finish so none is left leased.
    const deadline = Date.now() + timeoutMs;
    while (this.ticking && Date.now() < deadline) await sleep(5);
    const atStop = this.owned().length;
    const all = Promise.all([...this.runs].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    const left = this.owned();
    for (const r of left) this.detach(r, 'worker stopping');
    let released: Job[] = [];
    try {
      released = await releaseRuns(
        this.queue,
        this.id,
        left.map((r) => r.job),
      );
      this.queue.publish(released);
    } catch (err) {
      this.logger.error('release at stop failed; the leases will expire instead', { error: errorText(err) });
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.queue.idle();
    this.logger.info('worker stopped', { finished: atStop - left.length, released: released.length });
    return { finished: atStop - left.length, released: released.length };
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.tick(), delayMs);
  }

  /** Runs whose lease this worker still holds (at most one per job). */
  private owned(): Running[] {
    return [...this.runs].filter((r) => !r.detached);
  }

  private runningByType(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.runs) counts.set(r.job.type, (counts.get(r.job.type) ?? 0) + 1);
    return counts;
  }

  /** The run no longer owns its job: its outcome is dropped and its handler asked to stop. */
  private detach(entry: Running, reason: string): void {
    entry.detached = true;
    entry.abort.abort(new Error(reason));
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    let next = this.pollMs;
    try {
      do {
        this.again = false;
        if (this.stopping) break;
        if (Date.now() - this.lastReap >= Math.min(this.pollMs, this.leaseMs / 2)) {
          this.lastReap = Date.now();
          this.queue.publish(await reapExpired(this.queue));
        }
        const plan = planClaim(this.concurrency - this.runs.size, this.types, this.limits, this.runningByType());
        if (!plan) break;
        const { jobs, contended } = await claimJobs(this.queue, plan, this.id, this.leaseMs);
        if (this.stopping) {
          // stop() began while claiming: hand these straight back.
          this.queue.publish(await releaseRuns(this.queue, this.id, jobs));
          break;
        }
        this.queue.publish(jobs);
        for (const job of jobs) this.startRun(job);
        if (contended) next = Math.min(next, 50);
        if (jobs.length > 0 && jobs.length === plan.slots) this.again = true;
      } while (this.again);
      this.errors = 0;
    } catch (err) {
      // Database down or restarting: keep the process, back off, try again.
      this.errors++;
      next = Math.min(this.pollMs * 2 ** Math.min(this.errors, 5), 30_000);
      this.logger.warn('claim failed; retrying', { error: errorText(err), retryInMs: next });
    } finally {
      this.ticking = false;
    }
    this.schedule(next);
  }

  private startRun(job: Job): void {
    // This worker reaped its own stalled run and claimed the job again: the earlier run lost its lease.
    const superseded = this.owned().find((r) => r.job.id === job.id);
    if (superseded) this.loseLease(superseded);
    const abort = new AbortController();
    const entry: Running = { job, abort, detached: false, ending: false, done: Promise.resolve() };
    this.runs.add(entry);
    entry.done = this.execute(entry)
      .catch((err: unknown) => {
        // Never an unhandled rejection (it would end the process and every other run in it); the lease expires.
        this.logger.error('job run failed unexpectedly', { jobId: job.id, error: errorText(err) });
      })
      .finally(() => {
        this.runs.delete(entry);
        this.wake();
      });
  }

  private async execute(entry: Running): Promise<void> {
    const { job } = entry;
    const log = this.logger.child({ jobId: job.id, jobType: job.type, attempt: job.attempts });
    const handler = this.handlers[job.type] as JobHandler<unknown> | undefined;
    const t0 = Date.now();
    let outcome: RunOutcome;
    try {
      if (!handler) throw new PermanentJobError(`no handler for job type ${job.type}`);
      const result = await handler(job, {
        signal: entry.abort.signal,
        attempt: job.attempts,
        workerId: this.id,
        logger: log,
        fence: (manager) => this.fence(entry, manager),
      });
      const stored = (result ?? {}) as JobResult;
      try {
        JSON.stringify(stored);
      } catch (err) {
        // Not storable (a BigInt, a cycle): recording it would fail every time until the lease ran out.
        throw new PermanentJobError(`the handler's result is not JSON (${errorText(err)})`);
      }
      outcome = { kind: 'completed', result: stored };
    } catch (err) {
      const error = errorText(err);
      if (err instanceof PermanentJobError) outcome = { kind: 'failed', error };
      else if (job.attempts >= job.maxAttempts) outcome = { kind: 'dead', error };
      else outcome = { kind: 'retry', error, delayMs: retryDelayMs(job.attempts, this.backoff) };
    }
    // Completions are routine (debug); anything else is worth a line at warn.
    if (outcome.kind === 'completed') log.debug('job completed', { ms: Date.now() - t0 });
    else log.warn('job run failed', { outcome: outcome.kind, error: outcome.error, ms: Date.now() - t0 });
    entry.ending = true;
    await this.record(entry, outcome, log);
  }

  // Writes the outcome; retries while the database is unreachable and the lease is still ours. After ~30 s it gives
  // up and stops renewing the lease, so the reaper hands the job to another run (handlers are idempotent).
  private async record(entry: Running, outcome: RunOutcome, log: Logger): Promise<void> {
    for (let attempt = 0; !entry.detached; attempt++) {
      try {
        const updated = await finishRun(this.queue, entry.job, this.id, outcome);
        if (updated) this.queue.publish([updated]);
        else log.warn('lease lost before the run ended; its outcome is discarded', { outcome: outcome.kind });
        return;
      } catch (err) {
        if (attempt >= RECORD_TRIES) {
          log.error('cannot record the run; leaving the job to lease expiry', { error: errorText(err) });
          entry.detached = true;
          return;
        }
        log.warn('recording the run failed; retrying', { error: errorText(err) });
        await sleep(Math.min(100 * 2 ** attempt, 5000));
      }
    }
  }

  /** JobContext.fence: refuses the run's writes once it lost the job, and holds the job until they commit. */
  private async fence(entry: Running, manager: EntityManager): Promise<void> {
    const lost = (): LeaseLostError =>
      new LeaseLostError(`job ${entry.job.id} attempt ${entry.job.attempts}: lease lost; write refused`);
    if (entry.detached) throw lost();
    if (await holdLease(manager, this.queue.dialect, this.id, entry.job, this.leaseMs)) return;
    if (!entry.detached && !entry.ending) this.loseLease(entry);
    throw lost();
  }

  private async renewLeases(): Promise<void> {
    // A renewal can wait on a row lock (a trigger's transaction flagging the job for a rerun): never stack them.
    if (this.renewing) return;
    const runs = this.owned();
    if (runs.length === 0) return;
    let held: Set<string>;
    this.renewing = true;
    try {
      held = await heartbeat(
        this.queue,
        this.id,
        runs.map((r) => r.job),
        this.leaseMs,
      );
    } catch (err) {
      this.logger.warn('heartbeat failed', { error: errorText(err) });
      return;
    } finally {
      this.renewing = false;
    }
    for (const r of runs) {
      // Reaped while we still ran it (we stalled past the lease): another worker, or a later run here, may own it.
      if (!held.has(r.job.id) && !r.detached && !r.ending) this.loseLease(r);
    }
  }

  private loseLease(entry: Running): void {
    this.detach(entry, 'lease lost');
    this.logger.warn('lease lost; aborting the run', { jobId: entry.job.id, attempt: entry.job.attempts });
    this.wake(); // the reaped job may be claimable again, here too if a slot is free
  }
}
