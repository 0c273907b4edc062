// Acknowledgements built from the original message (HL7 v2.5.1 2.9 "Message processing rules", 2.14.1 MSA,
// 2.14.5 ERR; table 0008 acknowledgment code, 0155 accept/application acknowledgment conditions, 0357 error code).
import { escapeText, encodingCharacters, DEFAULT_SEPARATORS, type Separators } from './encoding.js';
import type { Hl7Message } from './message.js';

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

/** HL7 table 0357 message error condition codes used here. */
export const ErrorCode = {
  segmentSequence: '100',
  requiredFieldMissing: '101',
  dataType: '102',
  tableValueNotFound: '103',
  unsupportedMessageType: '200',
  unsupportedEventCode: '201',
  unsupportedProcessingId: '202',
  unsupportedVersionId: '203',
  unknownKeyIdentifier: '204',
  duplicateKeyIdentifier: '205',
  applicationRecordLocked: '206',
  applicationInternalError: '207',
} as const;

const ERROR_TEXT: Record<string, string> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

/** Where an error is (ERR-2, ERL data type): segment id, occurrence, field, component. */
export interface ErrorLocation {
  segment: string;
  sequence?: number;
  field?: number;
  component?: number;
}

/** One ERR segment's content. */
export interface AckError {
  /** Table 0357 code. */
  code: string;
  location?: ErrorLocation;
  /** ERR-8 user message (no patient data). */
  text: string;
  severity?: 'E' | 'W' | 'I';
}

/** The header values of the message being acknowledged (from a parsed message or salvaged from bad bytes). */
export interface AckSource {
  sep: Separators;
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  controlId: string;
  processingId: string;
  version: string;
  event: string;
  acceptAckType: string;
  appAckType: string;
}

let counter = 0;
/** A unique ACK control id (<= 20 characters, the v2.5 MSH-10 length). */
export function newControlId(): string {
  counter = (counter + 1) % 1_679_616;
  return `A${Date.now().toString(36).toUpperCase()}${process.pid.toString(36).toUpperCase().slice(-3)}${counter.toString(36).toUpperCase().padStart(4, '0')}`;
}

/** HL7 DTM timestamp with offset, e.g. 20240101120000+0000 (v2.5.1 2.A.22). */
export function hl7Timestamp(date: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}+0000`
  );
}

/** The header values of a parsed message. */
export function ackSource(msg: Hl7Message): AckSource {
  const msh = msg.msh;
  return {
    sep: msg.sep,
    sendingApplication: msh.rawField(3),
    sendingFacility: msh.rawField(4),
    receivingApplication: msh.rawField(5),
    receivingFacility: msh.rawField(6),
    controlId: msh.rawField(10),
    processingId: msh.rawField(11),
    version: msh.rep(12).rawComponent(1),
    event: msh.rep(9).rawComponent(2),
    acceptAckType: msh.get(15),
    appAckType: msh.get(16),
  };
}

/** Best-effort header values from bytes that failed to parse, so even an AR carries MSA-2 when MSH-10 is readable. */
export function salvageAckSource(text: string): AckSource {
  const line = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)[0] ?? '';
  let sep = DEFAULT_SEPARATORS;
  let parts: string[] = [];
  if (line.startsWith('MSH') && line.length > 8) {
    const f = line.charAt(3);
    const enc = line.slice(4, 8);
    if (new Set(f + enc).size === 5 && !/[A-Za-z0-9 ]/.test(f + enc)) {
      sep = { field: f, component: enc[0]!, repetition: enc[1]!, escape: enc[2]!, subcomponent: enc[3]! };
    }
    parts = line.split(f);
  }
  const field = (n: number): string => parts[n - 1] ?? '';
  const first = (n: number): string => field(n).split(sep.component)[0] ?? '';
  return {
    sep,
    sendingApplication: field(3),
    sendingFacility: field(4),
    receivingApplication: field(5),
    receivingFacility: field(6),
    controlId: field(10).slice(0, 199),
    processingId: field(11) || 'P',
    version: first(12) || '2.5.1',
    event: field(9).split(sep.component)[1] ?? '',
    acceptAckType: '',
    appAckType: '',
  };
}

function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

function errSegment(err: AckError, src: AckSource): string {
  const { component: c, subcomponent: s } = src.sep;
  const text = ERROR_TEXT[err.code] ?? 'Error';
  const loc = err.location;
  const f: string[] = ['ERR'];
  // v2.3/v2.4: ERR-1 ELD (segment^sequence^field^code&text&HL70357); kept through v2.6 for older receivers.
  if (!versionAtLeast(src.version, '2.7')) {
    const eld = loc ? [loc.segment, loc.sequence ?? 1, loc.field ?? '', `${err.code}${s}${text}${s}HL70357`] : [];
    f[1] = loc ? eld.join(c) : `${c}${c}${c}${err.code}${s}${text}${s}HL70357`;
  }
  if (versionAtLeast(src.version, '2.5')) {
    f[1] ??= '';
    f[2] = loc
      ? [loc.segment, loc.sequence ?? 1, loc.field ?? '', loc.field ? 1 : '', loc.component ?? ''].join(c)
      : '';
    f[2] = f[2].replace(new RegExp(`\\${c}+$`), '');
    f[3] = [err.code, text, 'HL70357'].join(c);
    f[4] = err.severity ?? 'E';
    f[8] = escapeText(err.text, src.sep);
  }
  for (let i = 0; i < f.length; i++) f[i] ??= '';
  return f.join(src.sep.field);
}

export interface AckOptions {
  errors?: AckError[];
  /** MSA-3 text for versions before 2.5 (defaults to the first error's text). */
  text?: string;
  now?: Date;
  controlId?: string;
}

/** Builds an ACK for the original message: swapped sender/receiver, MSA-2 = original MSH-10, unique own MSH-10. */
export function buildAck(original: Hl7Message | AckSource, code: AckCode, options: AckOptions = {}): string {
  const src = 'segments' in original ? ackSource(original) : original;
  const sep = src.sep;
  const F = sep.field;
  const msh = [
    'MSH',
    encodingCharacters(sep),
    src.receivingApplication,
    src.receivingFacility,
    src.sendingApplication,
    src.sendingFacility,
    hl7Timestamp(options.now),
    '',
    ['ACK', src.event, 'ACK'].join(sep.component),
    options.controlId ?? newControlId(),
    src.processingId || 'P',
    src.version || '2.5.1',
  ].join(F);
  const errors = options.errors ?? [];
  const msa = ['MSA', code, src.controlId];
  const text = options.text ?? errors[0]?.text;
  if (text && !versionAtLeast(src.version, '2.5')) msa[3] = escapeText(text.slice(0, 80), sep);
  const segs = [msh, msa.join(F), ...errors.map((e) => errSegment(e, src))];
  return segs.join('\r');
}

/** Whether the sender uses enhanced acknowledgement mode (MSH-15 or MSH-16 valued, HL7 v2.5.1 2.9.3). */
export function isEnhancedMode(src: AckSource): boolean {
  return src.acceptAckType !== '' || src.appAckType !== '';
}

/** Table 0155: whether an acknowledgment of this kind is wanted for this outcome. */
function wanted(condition: string, success: boolean): boolean {
  switch (condition) {
    case 'NE':
      return false;
    case 'ER':
      return !success;
    case 'SU':
      return success;
    default:
      return true; // AL, or empty in original mode
  }
}

/**
 * The ACKs to write back on the connection for a processing outcome. Original mode: one AA/AE/AR. Enhanced mode
 * (HL7 v2.5.1 2.9.3): an accept ACK (CA/CR) when MSH-15 asks for it, then the application ACK (AA/AE/AR) when
 * MSH-16 asks for it; both go back on the same connection because processing has already committed.
 * `accepted`: the message is in safe storage. By default an AR is a commit reject (CR: type, version or processing id
 * not acceptable); a temporary failure after the raw store committed is accepted (CA) and rejected by the application
 * (AR), so a sender that asked for application ACKs only (NE/AL) still hears of it.
 */
export function responseAcks(
  src: AckSource,
  code: 'AA' | 'AE' | 'AR',
  options: AckOptions = {},
  accepted = code !== 'AR',
): string[] {
  if (!isEnhancedMode(src)) return [buildAck(src, code, options)];
  const out: string[] = [];
  const accept: AckCode = accepted ? 'CA' : 'CR';
  if (wanted(src.acceptAckType, accept === 'CA')) out.push(buildAck(src, accept, accept === 'CR' ? options : {}));
  if (accept === 'CA' && wanted(src.appAckType, code === 'AA')) out.push(buildAck(src, code, options));
  return out;
}
