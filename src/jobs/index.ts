// Public surface of the durable job queue (design: src/jobs/README.md).
export * from './types.js';
export { enqueue, NOTIFY_CHANNEL } from './enqueue.js';
export { JobQueue } from './queue.js';
export { outboxHook } from './outbox.js';
export type { JobTrigger } from './outbox.js';
export type { JobQueueOptions, Exclusive } from './queue.js';
export { Worker } from './worker.js';
export type { WorkerOptions } from './worker.js';
export { countJobs, getJob, listDeadLetters, purgeCompleted, retryJob, requeueFailed } from './admin.js';
export type { DeadLetterQuery } from './admin.js';
export { jobToTask, taskIdForJob, JOB_IDENTIFIER_SYSTEM } from './task.js';
export { jobEntities, jobMigrations, jobsModule } from './schema.js';
export { diagnosticHandlers, DIAGNOSTIC_NOOP, DIAGNOSTIC_SLEEP } from './diagnostics.js';
export { parseTypeLimits } from './limits.js';
export { retryDelayMs, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
