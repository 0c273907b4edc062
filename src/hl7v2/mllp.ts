// MLLP framing (HL7 v2.5.1 Appendix C, MLLP Release 1): <VT> payload <FS><CR>. The decoder keeps state across TCP
// chunks, yields every complete frame in a chunk, enforces a size limit and skips bytes outside frames.
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

/** A problem found while decoding; the decoder has already recovered (skipped bytes or dropped a frame). */
export interface FrameIssue {
  kind: 'garbage' | 'too-large' | 'truncated';
  bytes: number;
}

export interface DecoderOptions {
  /** Largest accepted payload in bytes (default 16 MiB); a larger frame is dropped and reported. */
  maxFrameBytes?: number;
  onIssue?: (issue: FrameIssue) => void;
}

/** Wraps a payload in MLLP framing. */
export function frame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(body.length + 3);
  out[0] = VT;
  body.copy(out, 1);
  out[body.length + 1] = FS;
  out[body.length + 2] = CR;
  return out;
}

/** One decoded frame; an oversized frame keeps only its first bytes (to answer AR with MSA-2) and its size. */
export interface Frame {
  data: Buffer;
  /** Set when the frame exceeded the limit: its full payload size in bytes. */
  oversize?: number;
}

const HEAD_BYTES = 2048;

/** Stateful MLLP decoder: push chunks, get complete payloads. */
export class MllpDecoder {
  private readonly max: number;
  private readonly onIssue: (issue: FrameIssue) => void;
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** Dropping the rest of an oversized frame until its FS CR. */
  private discarding = false;
  /** The previous chunk ended with FS; the next byte decides whether it closed the frame. */
  private pendingFs = false;
  private head: Buffer = Buffer.alloc(0);

  constructor(options: DecoderOptions = {}) {
    this.max = options.maxFrameBytes ?? 16 * 1024 * 1024;
    this.onIssue = options.onIssue ?? (() => undefined);
  }

  /** Bytes buffered in an unfinished frame. */
  get buffered(): number {
    return this.size;
  }

  /** True while a frame has started and not ended. */
  get inProgress(): boolean {
    return this.inFrame || this.discarding;
  }

  /** Feeds one chunk; returns the payloads completed by it, in order. */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    let i = 0;
    if (this.pendingFs) {
      this.pendingFs = false;
      if (chunk[0] === CR) {
        this.finish(out);
        i = 1;
      } else this.append(Buffer.from([FS]));
    }
    while (i < chunk.length) {
      if (!this.inFrame && !this.discarding) {
        const start = chunk.indexOf(VT, i);
        const skipped = (start < 0 ? chunk.length : start) - i;
        if (skipped > 0 && !isWhitespace(chunk, i, i + skipped)) this.onIssue({ kind: 'garbage', bytes: skipped });
        if (start < 0) return out;
        this.inFrame = true;
        i = start + 1;
        continue;
      }
      const end = findEnd(chunk, i);
      if (end < 0) {
        // No FS CR in the rest of the chunk; a trailing FS may pair with a CR in the next chunk.
        const last = chunk[chunk.length - 1] === FS;
        this.append(chunk.subarray(i, last ? chunk.length - 1 : chunk.length));
        this.pendingFs = last;
        return out;
      }
      // A VT inside an open frame means the previous frame was truncated: drop it, start again here.
      const restart = chunk.indexOf(VT, i);
      if (restart >= 0 && restart < end) {
        this.onIssue({ kind: 'truncated', bytes: this.size + (restart - i) });
        this.reset();
        this.inFrame = true;
        i = restart + 1;
        continue;
      }
      this.append(chunk.subarray(i, end));
      this.finish(out);
      i = end + 2;
    }
    return out;
  }

  /** Drops any partial frame (connection closed); returns how many bytes were lost. */
  end(): number {
    const lost = this.size + (this.pendingFs ? 1 : 0);
    if (this.inFrame && lost > 0) this.onIssue({ kind: 'truncated', bytes: lost });
    this.reset();
    return lost;
  }

  private append(b: Buffer): void {
    if (b.length === 0) return;
    // A VT inside the open frame (no FS CR yet) means the earlier frame was cut off, an oversized one being discarded
    // included: restart at the VT, so the frame that follows is not discarded with it.
    const vt = b.lastIndexOf(VT);
    if (vt >= 0) {
      this.onIssue({ kind: 'truncated', bytes: this.size + vt });
      this.reset();
      this.inFrame = true;
      b = b.subarray(vt + 1);
    }
    if (this.discarding) {
      this.size += b.length;
      return;
    }
    if (this.size + b.length > this.max) {
      this.onIssue({ kind: 'too-large', bytes: this.size + b.length });
      const all = Buffer.concat([...this.parts, b.subarray(0, HEAD_BYTES)]);
      this.head = all.subarray(0, HEAD_BYTES);
      this.parts = [];
      this.discarding = true;
      this.inFrame = false;
      this.size += b.length;
      return;
    }
    this.parts.push(b);
    this.size += b.length;
  }

  private finish(out: Frame[]): void {
    if (this.discarding) out.push({ data: this.head, oversize: this.size });
    else out.push({ data: this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size) });
    this.reset();
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.inFrame = false;
    this.discarding = false;
    this.head = Buffer.alloc(0);
  }
}

function findEnd(chunk: Buffer, from: number): number {
  let i = chunk.indexOf(FS, from);
  while (i >= 0 && i + 1 < chunk.length) {
    if (chunk[i + 1] === CR) return i;
    i = chunk.indexOf(FS, i + 1);
  }
  return -1;
}

function isWhitespace(chunk: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = chunk[i]!;
    if (b !== 0x0a && b !== 0x0d && b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}

/** MSH-18 character sets (HL7 table 0211) other than UTF-8, as WHATWG encoding labels; ISO 8859-1 is Node's latin1. */
const CHARSETS: Record<string, string> = {
  '8859/1': 'latin1',
  'ISO-8859-1': 'latin1',
  'ISO8859-1': 'latin1',
  LATIN1: 'latin1',
  'LATIN-1': 'latin1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
};

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a payload as text by MSH-18 (HL7 v2.5.1 2.15.9.18; its first repetition, table 0211): the ISO 8859 parts
 * it names, UTF-8 for UNICODE UTF-8, ASCII, empty or anything else. (8859/15 is not 8859/1: the euro sign differs.)
 * Without a declared character set (empty or ASCII, which has no bytes above 0x7F), bytes that are not UTF-8 come
 * from a legacy single-byte sender and are read as 8859/1, not turned into U+FFFD: "MÜLLER" sent as 8859/1 without
 * MSH-18 stays "MÜLLER" instead of becoming "M\uFFFDLLER" in the Patient.
 */
export function payloadText(data: Buffer): string {
  const head = data.subarray(0, 512).toString('latin1');
  const firstLine = head.split(/[\r\n]/)[0] ?? '';
  const f = firstLine.charAt(3);
  const repetition = firstLine.charAt(5) || '~';
  const charset = f ? (firstLine.split(f)[17] ?? '').split(repetition)[0]!.trim().toUpperCase() : '';
  const label = CHARSETS[charset];
  if (label === 'latin1') return data.toString('latin1');
  if (label) return new TextDecoder(label).decode(data);
  if (charset !== '' && charset !== 'ASCII') return data.toString('utf8');
  try {
    return STRICT_UTF8.decode(data);
  } catch {
    return data.toString('latin1');
  }
}
