// Tokenizer for report text: words (folded to lower case, lightly stemmed) and the punctuation that bounds clauses,
// each with its character offsets into the ORIGINAL text, so evidence can point back at the report verbatim.

/** One token of a sentence: folded form plus [start, end) offsets into the original report text. */
export interface Token {
  /** Folded and stemmed form ("Nodules" -> "nodule", "opacities" -> "opacity"); punctuation as itself. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** True for punctuation tokens (; : , ( ) [ ] ? <). */
  readonly punct: boolean;
}

// Words (with decimals such as 1.2 or 1,5 kept whole) or single clause punctuation; hyphens, slashes and other
// symbols separate words ("effusion-thickening" -> effusion, thickening).
const TOKEN = /[\p{L}][\p{L}\p{M}']*|\d+(?:[.,]\d+)?|[;:,()[\]?<]/gu;

/** Folds a plural to its singular with a few suffix rules; applied identically to vocabulary and report text. */
export function stem(word: string): string {
  const n = word.length;
  if (n <= 3) return word;
  if (word.endsWith("'s")) return word.slice(0, -2);
  if (word.endsWith('ies') && n > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) {
    return word.slice(0, -1);
  }
  return word;
}

/** Splits text[start, end) into tokens with offsets into `text` (no copy of the report is made). */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = start;
  for (let m = TOKEN.exec(text); m !== null && m.index < end; m = TOKEN.exec(text)) {
    const raw = m[0];
    const stop = Math.min(m.index + raw.length, end);
    const c = raw.charCodeAt(0);
    const isWord = raw.length > 1 || (c >= 48 && c <= 57) || /\p{L}/u.test(raw);
    const folded = isWord ? stem(raw.slice(0, stop - m.index).toLowerCase()) : raw;
    out.push({ text: folded, start: m.index, end: stop, punct: !isWord });
  }
  return out;
}
