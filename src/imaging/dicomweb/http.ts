// HTTP for DICOMweb (PS3.18 section 8): GET with a time limit until the response headers, an idle limit between
// body chunks, optional bearer/basic auth, and retries with exponential backoff (and jitter) for connection errors,
// timeouts, 408, 429 and 5xx answers (not 501/505), honouring Retry-After up to a bound. Other 4xx answers are never
// retried. Credentials never appear in errors or logs: messages carry safeUrl() and no error text of fetch's.
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { DicomwebError, safeUrl } from './errors.js';

export type PacsAuth = { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };

export interface HttpOptions {
  /** Milliseconds until the response headers arrive (default 30 s). */
  timeoutMs?: number;
  /** Longest pause between body chunks (default 30 s). */
  idleTimeoutMs?: number;
  /** Extra attempts after a retryable failure (default 3). */
  retries?: number;
  /** First backoff delay; doubled per attempt up to maxBackoffMs (defaults 500 ms, 8 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Longest Retry-After (408, 429, 503) waited for in-process; a longer one ends the retries (default 30 s). */
  maxRetryAfterMs?: number;
  auth?: PacsAuth;
  logger?: Logger;
}

/** An open response whose body is read as a stream of chunks. */
export interface OpenResponse {
  status: number;
  headers: Headers;
  body: AsyncIterable<Uint8Array>;
  /** Releases the connection without reading the rest of the body. */
  cancel(): void;
}

function authHeader(auth: PacsAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if (auth.type === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function causeMessage(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error && cause.message ? cause.message.slice(0, 100) : undefined;
}

/**
 * The start of an error answer's body for the message. Reads at most 4 KiB within `ms` (a body that stalls must not
 * hang the request), then drops the connection.
 */
async function errorText(res: Response, controller: AbortController, ms: number): Promise<string> {
  const timer = setTimeout(() => controller.abort(), ms);
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = res.body?.getReader();
    while (reader && size < 4096) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      size += r.value.byteLength;
    }
  } catch {
    // aborted or reset: what arrived is enough for a message
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  const text = Buffer.concat(parts).toString('utf8').replace(/\s+/g, ' ').trim();
  return text ? `: ${text.slice(0, 200)}` : '';
}

/** Retry-After (RFC 9110 10.2.3) in milliseconds from now: delay-seconds or an HTTP-date; undefined when absent. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Statuses worth another try: timeout, throttling and server errors, but not 501/505 (never going to work). */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Moves user info of a URL (http://user:pw@host/...) into Basic auth: fetch refuses such URLs, and its error would
 * quote them. Explicit `auth` wins; the URL comes back without user info either way.
 */
export function splitCredentials(url: string, auth?: PacsAuth): { url: string; auth?: PacsAuth } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DicomwebError('bad-request', `DICOMweb base URL "${safeUrl(url)}" is not a valid URL`);
  }
  if (!u.username && !u.password) return { url, auth };
  const basic: PacsAuth = {
    type: 'basic',
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
  u.username = '';
  u.password = '';
  return { url: u.toString(), auth: auth ?? basic };
}

/** Opens a GET request (one attempt). Errors are DicomwebErrors with `retryable` set as the policy says. */
export async function openGet(url: string, accept: string, options: HttpOptions = {}): Promise<OpenResponse> {
  const where = safeUrl(url);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const idleMs = options.idleTimeoutMs ?? 30_000;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept, ...authHeader(options.auth) }, signal: controller.signal });
  } catch (err) {
    if (timedOut)
      throw new DicomwebError('timeout', `PACS did not answer GET ${where} within ${timeoutMs} ms`, {
        url: where,
        cause: err,
      });
    // fetch reports network failures as TypeError "fetch failed" with the cause; any other TypeError means the
    // request could not be built (credentials in the URL, a bad header value). Its message may quote the URL or the
    // token, so neither it nor the error goes on, and trying again cannot help.
    if (err instanceof TypeError && err.message !== 'fetch failed')
      throw new DicomwebError('bad-request', `cannot build the request GET ${where} (bad URL or credentials)`, {
        url: where,
      });
    // The URL has no user info by now (DicomwebClient moved it to auth), so the network cause may be named.
    const code = causeCode(err) ?? causeMessage(err) ?? 'error';
    throw new DicomwebError('connection', `PACS unreachable for GET ${where} (${code})`, { url: where, cause: err });
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) {
    const detail = await errorText(res, controller, Math.min(idleMs, timeoutMs));
    const status = res.status;
    if (status === 404)
      throw new DicomwebError('not-found', `PACS answered 404 Not Found for GET ${where}${detail}`, {
        url: where,
        upstreamStatus: status,
      });
    throw new DicomwebError('http', `PACS answered ${status} ${res.statusText} for GET ${where}${detail}`, {
      url: where,
      upstreamStatus: status,
      retryable: retryableStatus(status),
      retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
    });
  }
  const stream = res.body;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (!stream) return;
    const reader = stream.getReader();
    let finished = false;
    try {
      for (;;) {
        let idle = false;
        const t = setTimeout(() => {
          idle = true;
          controller.abort();
        }, idleMs);
        let r: Awaited<ReturnType<typeof reader.read>>;
        try {
          r = await reader.read();
        } catch (err) {
          if (idle)
            throw new DicomwebError('timeout', `PACS stalled for ${idleMs} ms while sending ${where}`, {
              url: where,
              cause: err,
            });
          throw new DicomwebError(
            'connection',
            `connection lost while reading ${where} (${causeCode(err) ?? 'error'})`,
            { url: where, cause: err },
          );
        } finally {
          clearTimeout(t);
        }
        if (r.done) {
          finished = true;
          return;
        }
        yield r.value;
      }
    } finally {
      if (!finished) controller.abort();
    }
  }
  return { status: res.status, headers: res.headers, body: chunks(), cancel: () => controller.abort() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before retry `attempt` (1-based): backoff * 2^(attempt-1), capped, with up to 50 % jitter. */
export function backoffDelay(attempt: number, options: HttpOptions): number {
  const base = Math.min(options.maxBackoffMs ?? 8000, (options.backoffMs ?? 500) * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

/**
 * Runs `fn` and retries it on retryable DicomwebErrors, with exponential backoff, or after the PACS's Retry-After.
 * A Retry-After beyond maxRetryAfterMs ends the retries here (the error stays retryable for the job queue).
 */
export async function withRetries<T>(what: string, options: HttpOptions, fn: () => Promise<T>): Promise<T> {
  const retries = options.retries ?? 3;
  const log = options.logger ?? silentLogger;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof DicomwebError) || !err.retryable || attempt >= retries) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > (options.maxRetryAfterMs ?? 30_000)) throw err;
      const delay = err.retryAfterMs ?? backoffDelay(attempt + 1, options);
      log.warn('dicomweb retry', {
        what,
        attempt: attempt + 1,
        of: retries,
        kind: err.kind,
        status: err.upstreamStatus,
        delayMs: delay,
      });
      await sleep(delay);
    }
  }
}

/** GET a DICOM JSON answer (QIDO-RS); undefined for 204 No Content. Retried per the policy. */
export async function getJson(url: string, options: HttpOptions = {}): Promise<unknown> {
  return withRetries(`GET ${safeUrl(url)}`, options, async () => {
    const res = await openGet(url, 'application/dicom+json, application/json', options);
    if (res.status === 204) {
      res.cancel();
      return undefined;
    }
    const parts: Uint8Array[] = [];
    for await (const chunk of res.body) parts.push(chunk);
    const text = Buffer.concat(parts).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new DicomwebError('protocol', `PACS answered GET ${safeUrl(url)} with invalid JSON`, { url: safeUrl(url) });
    }
  });
}
