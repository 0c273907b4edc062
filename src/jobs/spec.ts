// Validation of enqueue requests (pure): a bad spec is a programming error, reported with a clear message before
// anything touches the database.
import type { EnqueueSpec } from './types.js';

export const DEFAULT_MAX_ATTEMPTS = 5;
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,99}$/;

/** The validated values the INSERT needs. */
export interface NormalisedSpec {
  type: string;
  payload: string;
  priority: number;
  dedupeKey: string | null;
  /** Epoch ms, or null for "now" on the database clock. */
  runAt: number | null;
  maxAttempts: number;
}

/** Checks an EnqueueSpec and serialises its payload; throws TypeError/RangeError naming the bad field. */
export function normaliseSpec(spec: EnqueueSpec): NormalisedSpec {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('enqueue: spec must be an object');
  if (typeof spec.type !== 'string' || !TYPE_PATTERN.test(spec.type)) {
    throw new TypeError(`enqueue: type must match ${TYPE_PATTERN}, got ${JSON.stringify(spec.type)}`);
  }
  let payload: string | undefined;
  try {
    payload = JSON.stringify(spec.payload);
  } catch (err) {
    throw new TypeError(`enqueue: payload of ${spec.type} is not JSON-serialisable (${(err as Error).message})`);
  }
  if (payload === undefined) throw new TypeError(`enqueue: payload of ${spec.type} is missing or not JSON`);
  if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`enqueue: payload of ${spec.type} is over ${MAX_PAYLOAD_BYTES} bytes; store data, pass ids`);
  }
  const priority = spec.priority ?? 0;
  if (!Number.isInteger(priority) || priority < -1000 || priority > 1000) {
    throw new RangeError(`enqueue: priority must be an integer in [-1000, 1000], got ${spec.priority}`);
  }
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new RangeError(`enqueue: maxAttempts must be an integer in [1, 100], got ${spec.maxAttempts}`);
  }
  let dedupeKey: string | null = null;
  if (spec.dedupeKey !== undefined) {
    if (typeof spec.dedupeKey !== 'string' || spec.dedupeKey.length === 0 || spec.dedupeKey.length > 200) {
      throw new TypeError('enqueue: dedupeKey must be a non-empty string of at most 200 characters');
    }
    dedupeKey = spec.dedupeKey;
  }
  let runAt: number | null = null;
  if (spec.runAt !== undefined) {
    const t = spec.runAt instanceof Date ? spec.runAt.getTime() : spec.runAt;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      throw new TypeError('enqueue: runAt must be a valid Date or epoch milliseconds');
    }
    runAt = Math.round(t);
  }
  return { type: spec.type, payload, priority, dedupeKey, runAt, maxAttempts };
}
