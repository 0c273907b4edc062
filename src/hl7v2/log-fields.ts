// Log fields for errors in the HL7 path: name and code only. Messages are left out because database and
// repository errors can quote identifiers from the message (patient data must not reach the logs).

/** Error name and code (e.g. ECONNREFUSED, 23505) for a log line. */
export function errorFields(err: unknown): { error: string; code?: string } {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
  return { error: err instanceof Error ? err.name : typeof err, ...(code ? { code } : {}) };
}
