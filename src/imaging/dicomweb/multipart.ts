// Streaming parser for multipart/related bodies (RFC 2046 section 5.1, RFC 2387) as WADO-RS returns them
// (PS3.18 8.7.3.3): parts are emitted as soon as their closing delimiter arrives, delimiters may be split across
// chunks anywhere, and only the current part is buffered (never the whole response).
import { DicomwebError } from './errors.js';

export interface MultipartPart {
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface MultipartLimits {
  /** Largest part accepted (bytes); default 256 MiB (a CT instance is a few MiB). */
  maxPartBytes?: number;
  /** Largest header block of one part (bytes); default 16 KiB. */
  maxHeaderBytes?: number;
}

/** Media type and parameters of a Content-Type header (quoted parameter values unquoted). */
export function parseContentType(header: string): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = header.split(';');
  const params: Record<string, string> = {};
  const re = /\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)\s*(?:;|$)/g;
  const text = rest.join(';');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[2]!.trim();
    params[m[1]!.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The boundary of a multipart Content-Type; protocol error when it is not multipart or has none. */
export function boundaryOf(contentType: string | null): string {
  const ct = parseContentType(contentType ?? '');
  if (!ct.type.startsWith('multipart/')) {
    throw new DicomwebError('protocol', `expected a multipart/related response, got "${contentType ?? '(none)'}"`);
  }
  const boundary = ct.params.boundary;
  if (!boundary || boundary.length > 70) {
    throw new DicomwebError('protocol', `multipart response without a valid boundary parameter: "${contentType}"`);
  }
  return boundary;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';

/** Incremental multipart parser: push chunks, receive complete parts; `end()` checks the closing delimiter. */
export class MultipartParser {
  private readonly delimiter: Buffer;
  private readonly maxPart: number;
  private readonly maxHeader: number;
  // The delimiter is CRLF "--" boundary; priming with CRLF lets the first one (which has no CRLF) match too.
  private pending: Buffer = Buffer.from(CRLF);
  private state: State = 'preamble';
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private partBytes = 0;
  private count = 0;

  constructor(boundary: string, limits: MultipartLimits = {}) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.maxPart = limits.maxPartBytes ?? 256 * 1024 * 1024;
    this.maxHeader = limits.maxHeaderBytes ?? 16 * 1024;
  }

  /** Parts completed so far. */
  get parts(): number {
    return this.count;
  }

  /** Feeds one chunk; returns the parts it completed (in order). */
  push(chunk: Uint8Array): MultipartPart[] {
    if (this.state === 'done') return [];
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.state === 'body' && this.pending.length < this.delimiter.length && view.length >= this.delimiter.length) {
      // The kept tail is shorter than a delimiter: if no delimiter spans tail + chunk start, the tail is body and
      // the chunk is scanned in place (no copy of the chunk; most chunks of a large part take this path).
      const junction = Buffer.concat([this.pending, view.subarray(0, this.delimiter.length - 1)]);
      if (junction.indexOf(this.delimiter) < 0) {
        this.take(this.pending);
        this.pending = view;
      } else this.pending = Buffer.concat([this.pending, view]);
    } else this.pending = this.pending.length === 0 ? view : Buffer.concat([this.pending, view]);
    const out: MultipartPart[] = [];
    let progressed = true;
    while (progressed) progressed = this.step(out);
    return out;
  }

  /** Declares the end of input; protocol error when the closing delimiter has not been seen. */
  end(): void {
    if (this.state !== 'done') {
      throw new DicomwebError(
        'protocol',
        `multipart body ended before its closing boundary (${this.count} complete part(s))`,
      );
    }
  }

  private step(out: MultipartPart[]): boolean {
    const buf = this.pending;
    switch (this.state) {
      case 'preamble': {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          this.pending = buf.subarray(Math.max(0, buf.length - this.delimiter.length + 1));
          return false;
        }
        this.pending = buf.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        // After a delimiter: "--" closes the body; otherwise optional transport padding, then CRLF.
        let i = 0;
        while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (buf.length - i < 2) return false;
        if (buf[i] === 0x2d && buf[i + 1] === 0x2d) {
          this.state = 'done';
          this.pending = Buffer.alloc(0);
          return false;
        }
        if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a)
          throw new DicomwebError('protocol', 'malformed multipart delimiter line');
        this.pending = buf.subarray(i); // keep the CRLF: the header block search starts with it
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        const at = buf.indexOf(HEADER_END);
        if (at < 0) {
          if (buf.length > this.maxHeader)
            throw new DicomwebError('protocol', `multipart part headers exceed ${this.maxHeader} bytes`);
          return false;
        }
        this.headers = parseHeaders(buf.subarray(2, at).toString('latin1'));
        this.pending = buf.subarray(at + HEADER_END.length);
        this.state = 'body';
        this.chunks = [];
        this.partBytes = 0;
        return true;
      }
      case 'body': {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          // Everything except a possible delimiter prefix at the end belongs to the body.
          const keep = Math.min(buf.length, this.delimiter.length - 1);
          this.take(buf.subarray(0, buf.length - keep));
          this.pending = Buffer.from(buf.subarray(buf.length - keep));
          return false;
        }
        this.take(buf.subarray(0, at));
        out.push({ headers: this.headers, body: this.assemble() });
        this.count++;
        this.pending = buf.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      default:
        return false;
    }
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.partBytes += bytes.length;
    if (this.partBytes > this.maxPart)
      throw new DicomwebError('protocol', `multipart part exceeds ${this.maxPart} bytes`);
    this.chunks.push(bytes);
  }

  private assemble(): Uint8Array {
    // A fresh, exactly-sized array (not a pooled Buffer slice), so consumers may keep it and use .buffer safely.
    const body = new Uint8Array(this.partBytes);
    let off = 0;
    for (const c of this.chunks) {
      body.set(c, off);
      off += c.length;
    }
    this.chunks = [];
    return body;
  }
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      headers[last] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new DicomwebError('protocol', `malformed multipart header line "${line.slice(0, 60)}"`);
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Parses a multipart stream into parts, one at a time. */
export async function* readMultipart(
  chunks: AsyncIterable<Uint8Array>,
  boundary: string,
  limits: MultipartLimits = {},
): AsyncGenerator<MultipartPart> {
  const parser = new MultipartParser(boundary, limits);
  for await (const chunk of chunks) {
    for (const part of parser.push(chunk)) yield part;
  }
  parser.end();
}
