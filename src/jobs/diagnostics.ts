// Diagnostic job types, for the benchmark and operational checks only (they touch no resources):
//   diagnostic.noop   returns at once (queue overhead: throughput, enqueue-to-start latency)
//   diagnostic.sleep  waits payload.ms (default 100, at most 10 min) or until aborted (shutdown and lease tests)
import type { HandlerRegistry, Job, JobContext, JobResult } from './types.js';
import { PermanentJobError } from './types.js';

export const DIAGNOSTIC_NOOP = 'diagnostic.noop';
export const DIAGNOSTIC_SLEEP = 'diagnostic.sleep';

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function noop(): Promise<JobResult> {
  return {};
}

async function sleep(job: Job<unknown>, ctx: JobContext): Promise<JobResult> {
  const p = job.payload;
  const ms = typeof p === 'object' && p !== null && 'ms' in p ? (p as { ms: unknown }).ms : 100;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 600_000) {
    throw new PermanentJobError('diagnostic.sleep: payload.ms must be a number of milliseconds in [0, 600000]');
  }
  await sleepUnlessAborted(ms, ctx.signal);
  return { data: { sleptMs: ms } };
}

/** The diagnostic handlers by type. */
export const diagnosticHandlers: HandlerRegistry = { [DIAGNOSTIC_NOOP]: noop, [DIAGNOSTIC_SLEEP]: sleep };
