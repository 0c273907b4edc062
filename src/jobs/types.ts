// The job model shared by the queue, the worker, the admin functions and the Task mirror.
// Design and state machine: src/jobs/README.md.
import type { EntityManager } from 'typeorm';
import type { Logger } from '../log.js';

/**
 * queued: waiting to be claimed (attempts > 0 means a retry is scheduled);
 * running: leased by a worker until lockedUntil;
 * completed: the handler succeeded;
 * failed: the handler declared the job impossible (PermanentJobError), no retry;
 * dead: the attempts ran out (dead letter), lastError says why.
 */
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'dead';

export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'failed', 'dead'];

/** A reference to a resource a job produced, e.g. { reference: 'Observation/123' }. */
export interface OutputReference {
  reference: string;
  display?: string;
}

/** What a handler returns; stored on the job and mirrored into Task.output. */
export interface JobResult {
  /** Resources the job wrote (Task.output valueReference). */
  output?: OutputReference[];
  /** A short human summary (Task.note). */
  summary?: string;
  /** Small diagnostic values (counts, timings); never patient data. */
  data?: Record<string, unknown>;
}

export interface Job<P = unknown> {
  id: string;
  type: string;
  payload: P;
  status: JobStatus;
  /** Higher runs first (JOB_PRIORITY names the Task priority bands). */
  priority: number;
  dedupeKey?: string;
  /** Not claimed before this instant. */
  runAt: Date;
  /** Runs started so far (incremented at claim). */
  attempts: number;
  maxAttempts: number;
  /** True when a trigger with the same dedupe key arrived while the job was running: it runs again. */
  rerun: boolean;
  lockedBy?: string;
  lockedUntil?: Date;
  lastError?: string;
  result?: JobResult;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

/** Priority bands, aligned with FHIR Task.priority (http://hl7.org/fhir/R4/valueset-request-priority.html). */
export const JOB_PRIORITY = { routine: 0, urgent: 10, asap: 20, stat: 30 } as const;

export interface EnqueueSpec<P = unknown> {
  type: string;
  /** JSON-serialisable; a `focus` field ('Type/id' or a Reference) becomes Task.focus. */
  payload: P;
  priority?: number;
  /** Coalesces triggers: one queued or running job per key (see README "Dedupe"). */
  dedupeKey?: string;
  runAt?: Date | number;
  maxAttempts?: number;
}

export interface EnqueueResult<P = unknown> {
  job: Job<P>;
  /** False when an existing job with the same dedupe key absorbed the trigger. */
  created: boolean;
}

export interface JobContext {
  /** Aborted when the worker stops past its grace period or loses the lease; handlers should stop early. */
  signal: AbortSignal;
  /** 1 for the first run. */
  attempt: number;
  workerId: string;
  logger: Logger;
  /**
   * Fencing for the run's own writes (set by the Worker): call it inside each database transaction that writes the
   * job's effects, before they are committed. It throws LeaseLostError unless this run still holds the job's lease,
   * and holds the job row until that transaction ends, so a run that lost its lease (stalled past it, released at
   * stop) cannot commit over the effects of the job's next run.
   */
  fence?: (manager: EntityManager) => Promise<void>;
}

export type JobHandler<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<JobResult | void>;

/** Handlers by job type. */
export type HandlerRegistry = Record<string, JobHandler<never>>;

/** Concurrency limits for one job type. */
export interface TypeLimit {
  /** At most this many running in one worker process. */
  perProcess?: number;
  /** At most this many running across all processes sharing the database. */
  cluster?: number;
}

/** Called after each committed state change (enqueue, claim, completion, retry, dead letter, requeue). */
export type TransitionListener = (job: Job) => void | Promise<void>;

/**
 * Called with every transition committed since its previous call (commit order, oldest first): under load the
 * transitions pile up between calls, so a listener that writes can coalesce and batch them.
 */
export type TransitionBatchListener = (jobs: Job[]) => Promise<void>;

/** Thrown by JobContext.fence: this run no longer holds the job (its lease expired or it was released). */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** Thrown by a handler when retrying cannot help (bad payload, missing resource): the job ends `failed`. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}
