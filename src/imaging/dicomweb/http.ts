// HTTP for DICOMweb (PS3.18 section 8): GET with a time limit until the response headers, an idle limit between
// body chunks, optional bearer/basic auth, and retries with exponential backoff (and jitter) for connection errors,
// timeouts and 5xx answers. 4xx answers are never retried. Credentials never appear in errors or logs.
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

async function errorText(res: Response): Promise<string> {
  try {
    const text = (await res.text()).replace(/\s+/g, ' ').trim();
    return text ? `: ${text.slice(0, 200)}` : '';
  } catch {
    return '';
  }
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
    const code = causeCode(err) ?? (err instanceof Error ? err.message : 'error');
    throw new DicomwebError('connection', `PACS unreachable for GET ${where} (${code})`, { url: where, cause: err });
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) {
    const detail = await errorText(res);
    const status = res.status;
    if (status === 404)
      throw new DicomwebError('not-found', `PACS answered 404 Not Found for GET ${where}${detail}`, {
        url: where,
        upstreamStatus: status,
      });
    throw new DicomwebError('http', `PACS answered ${status} ${res.statusText} for GET ${where}${detail}`, {
      url: where,
      upstreamStatus: status,
      retryable: status >= 500,
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

/** Runs `fn` and retries it on retryable DicomwebErrors, with exponential backoff. */
export async function withRetries<T>(what: string, options: HttpOptions, fn: () => Promise<T>): Promise<T> {
  const retries = options.retries ?? 3;
  const log = options.logger ?? silentLogger;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof DicomwebError) || !err.retryable || attempt >= retries) throw err;
      const delay = backoffDelay(attempt + 1, options);
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
