// One error type for the whole server: an HTTP status plus an OperationOutcome (FHIR R4 OperationOutcome,
// http://hl7.org/fhir/R4/operationoutcome.html). The HTTP adapter returns it; HL7 turns it into AE/AR + ERR.
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

/** An error that carries its HTTP status and the OperationOutcome to send. */
export class OperationOutcomeError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;
  /**
   * The request lost a race with a concurrent writer (a version guard, a unique key, a deadlock): the same request
   * sent again can succeed, unlike other 409s (a condition that names another resource). HL7 answers it AR.
   */
  readonly raced: boolean;

  constructor(status: number, outcome: OperationOutcome, options?: { cause?: unknown; raced?: boolean }) {
    super(outcome.issue[0]?.diagnostics ?? 'error', options);
    this.name = 'OperationOutcomeError';
    this.status = status;
    this.outcome = outcome;
    this.raced = options?.raced ?? false;
  }
}

/** Whether `err`, or an error it was caused by, is a lost race with a concurrent writer (OperationOutcomeError.raced). */
export function lostRace(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof OperationOutcomeError && e.raced) return true;
  }
  return false;
}

/** Builds an OperationOutcome with one issue. */
export function outcome(
  severity: IssueSeverity,
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[],
): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, diagnostics };
  if (expression !== undefined) issue.expression = Array.isArray(expression) ? expression : [expression];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

/** An informational outcome (e.g. for Prefer: return=OperationOutcome). */
export function allOk(diagnostics = 'All OK'): OperationOutcome {
  return outcome('information', 'informational', diagnostics);
}

function fail(
  status: number,
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[],
): OperationOutcomeError {
  return new OperationOutcomeError(status, outcome('error', code, diagnostics, expression));
}

/** 400: the request is malformed (bad JSON, bad search value, bad prefix). */
export const badRequest = (diagnostics: string, expression?: string | string[]): OperationOutcomeError =>
  fail(400, 'invalid', diagnostics, expression);
/** 422: the resource is well-formed but fails validation. */
export const unprocessable = (diagnostics: string, expression?: string | string[]): OperationOutcomeError =>
  fail(422, 'processing', diagnostics, expression);
/** 404: unknown resource type or id. */
export const notFound = (diagnostics: string): OperationOutcomeError => fail(404, 'not-found', diagnostics);
/** 410: the resource was deleted (history is kept). */
export const gone = (diagnostics: string): OperationOutcomeError => fail(410, 'deleted', diagnostics);
/** 409: a version conflict without If-Match (e.g. concurrent writers). */
export const conflict = (diagnostics: string): OperationOutcomeError => fail(409, 'conflict', diagnostics);
/** 409 for a write that lost a race with a concurrent one (raced: sending it again can succeed). */
export const concurrentWrite = (diagnostics: string, cause?: unknown): OperationOutcomeError =>
  new OperationOutcomeError(409, outcome('error', 'conflict', diagnostics), { cause, raced: true });
/** 412: If-Match / conditional operation precondition failed. */
export const preconditionFailed = (diagnostics: string): OperationOutcomeError => fail(412, 'conflict', diagnostics);
/** 405: interaction not allowed on this type. */
export const notAllowed = (diagnostics: string): OperationOutcomeError => fail(405, 'not-supported', diagnostics);
/** 413: request body over the configured limit. */
export const tooLarge = (diagnostics: string): OperationOutcomeError => fail(413, 'too-costly', diagnostics);
/** 415 / 406: content type or accepted format not supported. */
export const unsupportedMediaType = (diagnostics: string): OperationOutcomeError =>
  fail(415, 'not-supported', diagnostics);
export const notAcceptable = (diagnostics: string): OperationOutcomeError => fail(406, 'not-supported', diagnostics);
/** 503: a dependency (the database) is unavailable; the client may retry. */
export const unavailable = (diagnostics: string): OperationOutcomeError => fail(503, 'transient', diagnostics);
/** 500: unexpected failure; never carries a stack trace. */
export const serverError = (diagnostics = 'Internal server error'): OperationOutcomeError =>
  fail(500, 'exception', diagnostics);

/** Normalises anything thrown into an OperationOutcomeError (unknown errors become a bare 500). */
export function toOutcomeError(err: unknown): OperationOutcomeError {
  if (err instanceof OperationOutcomeError) return err;
  return new OperationOutcomeError(500, outcome('error', 'exception', 'Internal server error'), { cause: err });
}
