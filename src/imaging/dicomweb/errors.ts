// Errors of DICOMweb retrieval as OperationOutcomeErrors, so a job can put them on its Task unchanged. `retryable`
// tells the retry loop (and the job queue) whether trying again can help: connection errors, timeouts, 408, 429 and
// most 5xx. Messages name URLs through safeUrl only: they reach Task.statusReason.
import { OperationOutcomeError, outcome } from '../../fhir/outcomes.js';
import type { IssueCode } from '../../fhir/outcomes.js';

export type DicomwebErrorKind =
  | 'connection' // refused, reset, DNS: the PACS is down or unreachable
  | 'timeout' // no response headers, or no body bytes, within the limit
  | 'http' // the PACS answered with an error status
  | 'not-found' // the study (or series) is not in the PACS
  | 'protocol' // malformed multipart, wrong content type, bad DICOM JSON
  | 'no-usable-series' // the study holds no series the method accepts
  | 'transfer-syntax' // the PACS cannot send the pixels in a transfer syntax ct-fhir decodes
  | 'bad-request'; // the ImagingStudy names no study UID or no usable endpoint

const STATUS: Record<DicomwebErrorKind, [number, IssueCode]> = {
  connection: [502, 'transient'],
  timeout: [504, 'timeout'],
  http: [502, 'exception'],
  'not-found': [404, 'not-found'],
  protocol: [502, 'structure'],
  'no-usable-series': [422, 'business-rule'],
  'transfer-syntax': [422, 'not-supported'],
  'bad-request': [422, 'required'],
};

/** A retrieval failure: kind, upstream HTTP status (when any), URL (without credentials) and retryability. */
export class DicomwebError extends OperationOutcomeError {
  readonly kind: DicomwebErrorKind;
  readonly upstreamStatus?: number;
  readonly url?: string;
  readonly retryable: boolean;
  /** The PACS's Retry-After, in milliseconds from when it answered. */
  readonly retryAfterMs?: number;

  constructor(
    kind: DicomwebErrorKind,
    message: string,
    details: {
      upstreamStatus?: number;
      url?: string;
      retryable?: boolean;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    const [status, code] = STATUS[kind];
    super(status, outcome('error', code, message), { cause: details.cause });
    this.name = 'DicomwebError';
    this.kind = kind;
    this.upstreamStatus = details.upstreamStatus;
    this.url = details.url;
    this.retryable = details.retryable ?? (kind === 'connection' || kind === 'timeout');
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** A URL fit for messages and logs: no user info, no query string. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
