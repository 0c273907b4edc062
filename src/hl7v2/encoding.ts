// HL7 v2 encoding characters and escape sequences (HL7 v2.5.1 chapter 2, 2.7 "Message construction rules" and
// 2.7.4-2.7.6 escape sequences). Separators come from MSH-1/MSH-2 of each message, never from constants.

/** The five delimiters of one message (MSH-1 and the characters of MSH-2). */
export interface Separators {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7+ truncation character (fifth MSH-2 character), when present. */
  truncation?: string;
}

export const DEFAULT_SEPARATORS: Separators = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
};

/** Reads the separators from the start of an MSH, BHS or FHS segment; throws a clear message when they are unusable. */
export function readSeparators(header: string): Separators {
  if (!/^(MSH|BHS|FHS)/.test(header)) throw new Error('message does not start with MSH, BHS or FHS');
  const field = header.charAt(3);
  const end = header.indexOf(field, 4);
  const chars = end < 0 ? header.slice(4) : header.slice(4, end);
  if (chars.length < 4 || chars.length > 5) {
    throw new Error(`MSH-2 encoding characters must be 4 or 5 characters, got ${chars.length}`);
  }
  const all = field + chars;
  if (/[A-Za-z0-9\r\n ]/.test(all) || new Set(all).size !== all.length) {
    throw new Error('MSH-1/MSH-2 encoding characters must be distinct non-alphanumeric characters');
  }
  const sep: Separators = {
    field,
    component: chars[0]!,
    repetition: chars[1]!,
    escape: chars[2]!,
    subcomponent: chars[3]!,
  };
  if (chars.length === 5) sep.truncation = chars[4]!;
  return sep;
}

/** The MSH-2 value for these separators. */
export function encodingCharacters(sep: Separators): string {
  return sep.component + sep.repetition + sep.escape + sep.subcomponent + (sep.truncation ?? '');
}

// Formatting commands (2.7.6): these become line structure in plain text.
const LINE_BREAKS: Record<string, string> = { '.br': '\n', '.sp': '\n', '.ce': '\n', '.fi': '', '.nf': '' };

function formatCommand(body: string): string | undefined {
  if (body in LINE_BREAKS) return LINE_BREAKS[body];
  const m = /^\.(sp|sk|in|ti)([+-]?\d*)$/.exec(body);
  if (!m) return undefined;
  const n = Math.max(1, Math.min(Number(m[2] || '1'), 100));
  if (m[1] === 'sp') return '\n'.repeat(n);
  if (m[1] === 'sk') return ' '.repeat(n);
  return ''; // .in / .ti (indent) carry no meaning in plain text
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** \Xhh..\ bytes as UTF-8 when they are UTF-8, else as ISO 8859-1 (\XE9\ from a Latin-1 sender is "é"). */
function hexText(hex: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * Decodes escape sequences in a field value (HL7 v2.5.1 2.7.4): \F\ \S\ \T\ \R\ \E\, \Xhh..\ (hex), and the
 * formatting commands \.br\ \.sp\ \.ce\ \.sk\ \.in\ \.ti\ \.fi\ \.nf\ turned into line breaks or nothing;
 * \H\ \N\ (highlight) and \Cxxyy\ \Mxxyyzz\ \Zxx\ (character sets, custom) are dropped. An unterminated or unknown
 * escape is kept as written (read leniently).
 */
export function unescapeText(value: string, sep: Separators = DEFAULT_SEPARATORS): string {
  const e = sep.escape;
  if (!value.includes(e)) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch !== e) {
      out += ch;
      i++;
      continue;
    }
    const close = value.indexOf(e, i + 1);
    if (close < 0) {
      out += value.slice(i);
      break;
    }
    const body = value.slice(i + 1, close);
    const decoded = decodeEscape(body, sep);
    if (decoded === undefined) {
      out += ch; // not an escape: keep the character, continue after it
      i++;
    } else {
      out += decoded;
      i = close + 1;
    }
  }
  return out;
}

function decodeEscape(body: string, sep: Separators): string | undefined {
  switch (body) {
    case 'F':
      return sep.field;
    case 'S':
      return sep.component;
    case 'T':
      return sep.subcomponent;
    case 'R':
      return sep.repetition;
    case 'E':
      return sep.escape;
    case 'P':
      return sep.truncation ?? undefined;
    case 'H':
    case 'N':
      return '';
  }
  if (body.startsWith('.')) return formatCommand(body);
  if (body.startsWith('X')) return hexText(body.slice(1));
  if (/^(C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4,6}|Z.*)$/.test(body)) return '';
  return undefined;
}

/** Escapes text for use as a field value (HL7 v2.5.1 2.7.4); line breaks become \.br\. */
export function escapeText(value: string, sep: Separators = DEFAULT_SEPARATORS): string {
  let out = '';
  const e = sep.escape;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === e) out += `${e}E${e}`;
    else if (ch === sep.field) out += `${e}F${e}`;
    else if (ch === sep.component) out += `${e}S${e}`;
    else if (ch === sep.subcomponent) out += `${e}T${e}`;
    else if (ch === sep.repetition) out += `${e}R${e}`;
    else if (sep.truncation !== undefined && ch === sep.truncation) out += `${e}P${e}`;
    else if (ch === '\r') {
      if (value[i + 1] === '\n') i++;
      out += `${e}.br${e}`;
    } else if (ch === '\n') out += `${e}.br${e}`;
    else out += ch;
  }
  return out;
}
