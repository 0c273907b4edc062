// Maps database driver errors to FHIR outcomes: a lost connection or an unreachable server is 503 (the client may
// retry; the pg pool reconnects by itself), a duplicate key from a concurrent writer or a deadlock is 409.
import { concurrentWrite, OperationOutcomeError, unavailable } from '../fhir/outcomes.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const UNAVAILABLE_MESSAGES = [
  'connection terminated',
  'timeout exceeded when trying to connect',
  'connection error',
  'not queryable',
  'cannot use a pool after calling end',
  'connection is closed',
  'query read timeout',
];

function fields(err: unknown): { code?: string; message: string; errno?: string } {
  if (typeof err !== 'object' || err === null) return { message: String(err) };
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : '',
  };
}

/** The error and the driver errors it wraps (typeorm QueryFailedError.driverError, Error.cause). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = err;
  while (cur && out.length < 5 && !out.includes(cur)) {
    out.push(cur);
    const c = cur as { driverError?: unknown; cause?: unknown };
    cur = c.driverError ?? c.cause;
  }
  return out;
}

/** True for errors meaning the database cannot be reached right now. */
export function isUnavailableError(err: unknown): boolean {
  return chain(err).some((e) => {
    const { code, message } = fields(e);
    if (
      code &&
      (NETWORK_CODES.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code))
    ) {
      return true;
    }
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return true;
    const lower = message.toLowerCase();
    return UNAVAILABLE_MESSAGES.some((m) => lower.includes(m));
  });
}

/** True for a primary-key / unique violation. */
export function isUniqueViolation(err: unknown): boolean {
  return chain(err).some((e) => {
    const { code } = fields(e);
    return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  });
}

/** True for a PostgreSQL deadlock or serialization failure: the transaction lost a race and may be retried. */
export function isTransactionConflict(err: unknown): boolean {
  return chain(err).some((e) => ['40P01', '40001'].includes(fields(e).code ?? ''));
}

/** Converts a database error into an OperationOutcomeError where it has a FHIR meaning; others pass unchanged. */
export function mapDbError(err: unknown): unknown {
  if (err instanceof OperationOutcomeError) return err;
  if (isUnavailableError(err))
    return new OperationOutcomeError(503, unavailable('database unavailable').outcome, { cause: err });
  if (isUniqueViolation(err)) return concurrentWrite('concurrent write of the same resource', err);
  if (isTransactionConflict(err)) return concurrentWrite('conflict with a concurrent transaction; retry', err);
  return err;
}
