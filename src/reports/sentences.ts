// Sentence splitting that survives decimals ("1.2 cm"), abbreviations ("Dr.", "e.g.", "vs."), numbered lists and
// line breaks (LF, CRLF or a bare CR). Quote marks and bullets (" " • ·) that reports use to list impression items
// also end a sentence, but a quotation inside a sentence (the so-called "tree-in-bud" pattern) does not.

/** A sentence as offsets [start, end) into the original report text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

// Words whose trailing period does not end a sentence.
const ABBREVIATIONS = new Set([
  'dr',
  'mr',
  'mrs',
  'ms',
  'prof',
  'e.g',
  'i.e',
  'eg',
  'ie',
  'vs',
  'approx',
  'cf',
  'fig',
  'nr',
  'incl',
  'resp',
  'al',
  'ref',
  'img',
  'ima',
  'ser',
  'inc',
  'lt',
  'rt',
]);

const BULLETS = new Set(['"', '\u201c', '\u201d', '\u2022', '\u00b7', '\u25cf', '*']);

const QUOTES = new Set(['"', '\u201c', '\u201d']);

// Any Unicode white space (NBSP, thin and em spaces, ...) separates words and sentences.
function isSpace(c: string): boolean {
  return /\s/.test(c);
}

function isLineBreak(c: string | undefined): boolean {
  return c === '\n' || c === '\r';
}

// A quotation inside a sentence: an opening quote that starts a word, and a closing quote within the same sentence
// that ends one, with the sentence going on in lower case ('the so-called "tree-in-bud" pattern'). Quotes around a
// list item ('"Mosaic pattern in both lungs" Minimal atelectasis.') are followed by a capital and still split.
// Returns the closing quote's index, or -1 when text[i] does not open such a quotation.
function inlineQuoteEnd(text: string, i: number, from: number, end: number): number {
  if (text[i] === '\u201d' || i + 1 >= end || isSpace(text[i + 1]!)) return -1;
  if (i > from && !isSpace(text[i - 1]!) && text[i - 1] !== '(') return -1;
  for (let j = i + 1; j < end && j - i <= 80; j++) {
    const c = text[j]!;
    if (/[.!?\n\r\u2022\u00b7\u25cf]/.test(c)) return -1;
    if (QUOTES.has(c)) {
      const next = nextVisible(text, j + 1, end);
      return c !== '\u201c' && !isSpace(text[j - 1]!) && next < end && /[a-z,;:)]/.test(text[next]!) ? j : -1;
    }
  }
  return -1;
}

function wordBefore(text: string, dot: number, from: number): string {
  let i = dot;
  while (i > from && /[A-Za-z.]/.test(text[i - 1]!)) i--;
  return text.slice(i, dot).toLowerCase();
}

// A period ends a sentence when whitespace follows and the next visible character starts a sentence, unless the
// word before it is an abbreviation or a list number ("2.").
function periodEnds(text: string, i: number, from: number, end: number): boolean {
  let j = i + 1;
  if (j < end && !isSpace(text[j]!) && !BULLETS.has(text[j]!)) return false;
  while (j < end && isSpace(text[j]!)) j++;
  if (j >= end) return true;
  const next = text[j]!;
  if (!/[A-Z0-9"\u201c\u2022\u00b7(•-]/.test(next)) return false;
  const word = wordBefore(text, i, from);
  return !ABBREVIATIONS.has(word);
}

function lineBreakEnds(text: string, i: number, end: number): boolean {
  // A blank line, or a new line starting with a list marker or a capital after a line without end punctuation.
  let j = i + 1;
  while (j < end && isSpace(text[j]!) && !isLineBreak(text[j])) j++;
  if (j >= end) return true;
  if (isLineBreak(text[j])) return true;
  return /^(?:\d{1,2}[.)]\s|[-*\u2022\u00b7]\s|[A-Z])/.test(text.slice(j, j + 4));
}

/** Splits text[from, end) into trimmed, non-empty sentences. */
export function splitSentences(text: string, from = 0, end = text.length): Span[] {
  const out: Span[] = [];
  let start = from;
  const push = (stop: number): void => {
    let s = start;
    let e = stop;
    while (s < e && (isSpace(text[s]!) || BULLETS.has(text[s]!))) s++;
    while (e > s && (isSpace(text[e - 1]!) || BULLETS.has(text[e - 1]!))) e--;
    // A bare list number ("2.") is not a sentence.
    if (e > s && !/^\d{1,2}[.)]?$/.test(text.slice(s, e))) out.push({ start: s, end: e });
  };
  // Jump between the characters that can end a sentence instead of visiting every character.
  const stops = /[.!?\n\r"\u201c\u201d\u2022\u00b7\u25cf]/g;
  stops.lastIndex = from;
  for (let m = stops.exec(text); m !== null && m.index < end; m = stops.exec(text)) {
    const i = m.index;
    const c = text[i]!;
    if (c === '.' || c === '!' || c === '?') {
      if (c === '.' ? periodEnds(text, i, from, end) : i + 1 >= end || isSpace(text[i + 1]!)) {
        const next = nextVisible(text, i + 1, end);
        if (c === '?' && next < end && /[a-z,;)]/.test(text[next]!)) continue;
        push(i + 1);
        start = i + 1;
      }
    } else if (BULLETS.has(c) && c !== '*') {
      const close = QUOTES.has(c) ? inlineQuoteEnd(text, i, from, end) : -1;
      if (close >= 0) {
        stops.lastIndex = close + 1;
        continue;
      }
      push(i);
      start = i + 1;
    } else if (isLineBreak(c) && !(c === '\r' && text[i + 1] === '\n') && lineBreakEnds(text, i, end)) {
      push(i);
      start = i + 1;
    }
  }
  push(end);
  return out;
}

function nextVisible(text: string, i: number, end: number): number {
  let j = i;
  while (j < end && isSpace(text[j]!)) j++;
  return j;
}
