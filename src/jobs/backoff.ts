// Retry delays (pure): exponential backoff with jitter, so failing jobs of many workers do not retry in lockstep.

export interface BackoffOptions {
  /** Delay before the second attempt (default 2 s). */
  baseMs: number;
  /** Cap on any delay (default 10 min). */
  maxMs: number;
  /** Fraction of the delay randomised away, 0..1 (default 0.5: the delay lies in [d/2, d]). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2000, maxMs: 10 * 60_000, jitter: 0.5 };

/** Delay in ms before the next run after `attempt` failed runs (attempt >= 1): base * 2^(attempt-1), capped, jittered. */
export function retryDelayMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  const { baseMs, maxMs, jitter } = options;
  if (baseMs < 0 || maxMs < 0 || jitter < 0 || jitter > 1) throw new RangeError('backoff options out of range');
  // 2^30 is past any sensible cap; clamping the exponent keeps the arithmetic finite.
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exp * (1 - jitter * random()));
}
