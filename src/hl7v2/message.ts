// HL7 v2 message model: segments, fields, repetitions, components, subcomponents, numbered as in the standard
// (PID-5 is field 5; MSH-1 is the field separator itself). HL7 v2.5.1 chapter 2.5-2.7.
import { readSeparators, unescapeText, type Separators } from './encoding.js';

/** A message that cannot be read as HL7 v2 (answered AR). */
export class Hl7ParseError extends Error {
  override name = 'Hl7ParseError';
}

/** One repetition of a field, with components (1-based) and subcomponents. */
export class Rep {
  constructor(
    readonly raw: string,
    readonly sep: Separators,
  ) {}

  /** Raw (still escaped) component i (1-based), subcomponent s. */
  rawComponent(i: number, s?: number): string {
    const comp = this.raw.split(this.sep.component)[i - 1] ?? '';
    if (s === undefined) return comp;
    return comp.split(this.sep.subcomponent)[s - 1] ?? '';
  }

  /** Decoded component i (subcomponent s, default 1). */
  c(i: number, s = 1): string {
    return unescapeText(this.rawComponent(i, s), this.sep);
  }

  /** The whole repetition decoded as text (for ST/TX/FT values, where separators are not used). */
  get text(): string {
    return unescapeText(this.raw, this.sep);
  }

  get isEmpty(): boolean {
    return this.raw === '';
  }
}

/** One segment: its name and raw fields, addressed by HL7 field number. */
export class Segment {
  readonly name: string;
  private readonly parts: string[];

  constructor(
    readonly raw: string,
    readonly sep: Separators,
  ) {
    this.parts = raw.split(sep.field);
    this.name = this.parts[0] ?? '';
  }

  private get isHeader(): boolean {
    return this.name === 'MSH' || this.name === 'BHS' || this.name === 'FHS';
  }

  /** Raw field n as written (all repetitions). */
  rawField(n: number): string {
    if (this.isHeader) {
      if (n === 1) return this.sep.field;
      return this.parts[n - 1] ?? '';
    }
    return this.parts[n] ?? '';
  }

  /** Number of the last field present. */
  get fieldCount(): number {
    return this.isHeader ? this.parts.length : this.parts.length - 1;
  }

  /** The repetitions of field n (an empty field has none). */
  reps(n: number): Rep[] {
    const raw = this.rawField(n);
    if (raw === '') return [];
    if (this.isHeader && n <= 2) return [new Rep(raw, this.sep)];
    return raw.split(this.sep.repetition).map((r) => new Rep(r, this.sep));
  }

  /** First repetition of field n (an empty Rep when absent). */
  rep(n: number): Rep {
    return this.reps(n)[0] ?? new Rep('', this.sep);
  }

  /** Decoded value of field n, component c, subcomponent s of the first repetition. */
  get(n: number, c = 1, s = 1): string {
    if (this.isHeader && n <= 2) return this.rawField(n);
    return this.rep(n).c(c, s);
  }
}

/**
 * The non-empty segments of a message or batch. HL7 v2.5.1 2.5.4 ends segments with \r; \n and \r\n are read as
 * ends too, for senders that use them. When the first segment ends with a lone \r, the sender uses \r: a lone \n
 * after that is a line break inside a field (report text), not a segment end.
 */
export function splitSegments(text: string): string[] {
  const end = /[\r\n]/.exec(text);
  const crTerminated = end?.[0] === '\r' && text[end.index + 1] !== '\n';
  return text.split(crTerminated ? /\r\n?/ : /\r\n|\r|\n/).filter((l) => l.trim() !== '');
}

/** The MSH-9 message type. */
export interface MessageType {
  code: string;
  event: string;
  structure: string;
}

/** A parsed message: segments in order plus the header values used for routing and acknowledgement. */
export class Hl7Message {
  private occurrences: Map<Segment, number> | undefined;

  private constructor(
    readonly raw: string,
    readonly sep: Separators,
    readonly segments: Segment[],
  ) {}

  /**
   * Parses one message; segments may end in \r, \n or \r\n (see splitSegments). A second MSH is an Hl7ParseError:
   * several messages in one frame need a batch.
   */
  static parse(text: string): Hl7Message {
    // HL7 text holds no NUL, and PostgreSQL cannot store one: AR rather than a failure storing the raw message.
    if (text.includes('\u0000')) throw new Hl7ParseError('message contains a NUL character');
    const lines = splitSegments(text);
    if (lines.length === 0) throw new Hl7ParseError('empty message');
    const first = lines[0]!.replace(/^\uFEFF/, '');
    if (!first.startsWith('MSH')) throw new Hl7ParseError('message does not start with an MSH segment');
    let sep: Separators;
    try {
      sep = readSeparators(first);
    } catch (err) {
      throw new Hl7ParseError((err as Error).message);
    }
    lines[0] = first;
    const segments = lines.map((l) => new Segment(l, sep));
    // The position only: a line that is not a segment is usually report text split by a stray line break (PHI).
    segments.forEach((s, i) => {
      if (!/^[A-Z][A-Z0-9]{2}$/.test(s.name)) {
        throw new Hl7ParseError(`segment ${i + 1} does not start with a valid segment ID`);
      }
    });
    // Two messages in one frame need an FHS/BHS batch (splitBatch); read as one, the second's segments would take the
    // first's patient.
    if (segments.some((s, i) => i > 0 && s.name === 'MSH')) {
      throw new Hl7ParseError('a second MSH segment in one message (several messages need an FHS/BHS batch)');
    }
    return new Hl7Message(lines.join('\r'), sep, segments);
  }

  /** The MSH segment. */
  get msh(): Segment {
    return this.segments[0]!;
  }

  /** The n-th (1-based) segment with this name. */
  segment(name: string, occurrence = 1): Segment | undefined {
    let seen = 0;
    for (const s of this.segments) if (s.name === name && ++seen === occurrence) return s;
    return undefined;
  }

  /**
   * The 1-based occurrence of one of this message's segments among those with its name: ERR-2 ERL.2 "segment
   * sequence" (HL7 v2.5.1 2.A.27), which counts segments in the message, whatever their own Set ID says; 0 for a
   * segment of another message.
   */
  occurrence(segment: Segment): number {
    if (!this.occurrences) {
      this.occurrences = new Map();
      const seen = new Map<string, number>();
      for (const s of this.segments) {
        const n = (seen.get(s.name) ?? 0) + 1;
        seen.set(s.name, n);
        this.occurrences.set(s, n);
      }
    }
    return this.occurrences.get(segment) ?? 0;
  }

  /** Every segment with this name, in order. */
  all(name: string): Segment[] {
    return this.segments.filter((s) => s.name === name);
  }

  /** Value at an HL7 path such as `PID-5.1` or `MSH-9.2` (first segment, first repetition), decoded. */
  get(path: string): string {
    const m = /^([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(path);
    if (!m) throw new Error(`bad HL7 path "${path}"`);
    const seg = this.segment(m[1]!);
    if (!seg) return '';
    return seg.get(Number(m[2]), m[3] ? Number(m[3]) : 1, m[4] ? Number(m[4]) : 1);
  }

  /** MSH-9: message code, trigger event, structure. */
  get type(): MessageType {
    return { code: this.get('MSH-9.1'), event: this.get('MSH-9.2'), structure: this.get('MSH-9.3') };
  }

  /** MSH-10 message control id. */
  get controlId(): string {
    return this.get('MSH-10');
  }

  /** MSH-12.1 version id, e.g. "2.5.1". */
  get version(): string {
    return this.get('MSH-12');
  }

  /** MSH-3 and MSH-4 (first component: namespace id). */
  get sender(): { application: string; facility: string } {
    return { application: this.get('MSH-3'), facility: this.get('MSH-4') };
  }
}

/** A batch or file (FHS/BHS ... BTS/FTS, HL7 v2.5.1 2.10.3) split into its messages; a lone message is one item. */
export interface Batch {
  /** The FHS and BHS segments, raw, when present. */
  headers: string[];
  messages: string[];
  isBatch: boolean;
}

/** Splits a frame into messages at each MSH; batch envelope segments are set aside. */
export function splitBatch(text: string): Batch {
  const lines = splitSegments(text);
  const first = lines[0]?.replace(/^\uFEFF/, '') ?? '';
  if (!/^(FHS|BHS)/.test(first)) return { headers: [], messages: [text], isBatch: false };
  const headers: string[] = [];
  const messages: string[][] = [];
  for (const [i, l] of lines.entries()) {
    const name = l.replace(/^\uFEFF/, '').slice(0, 3);
    if (name === 'FHS' || name === 'BHS') headers.push(l);
    else if (name === 'FTS' || name === 'BTS') continue;
    else if (name === 'MSH') messages.push([l]);
    else if (messages.length > 0) messages[messages.length - 1]!.push(l);
    else throw new Hl7ParseError(`segment ${i + 1} comes before the first MSH in a batch`);
  }
  return { headers, messages: messages.map((m) => m.join('\r')), isBatch: true };
}
