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
  /** True when stemming dropped a plural ending ("bases" -> "base"), for terms whose meaning needs the plural. */
  readonly plural: boolean;
  /** Interned id of `text` (see lexicon), so matchers can memoise per word with an array index. */
  readonly id: number;
}

// Interned token texts. Bounded: when full it restarts with a new generation, and matchers drop their memos.
const LEXICON_LIMIT = 200_000;
const lexicon = new Map<string, number>();
let generation = 0;

/** Current lexicon generation; changes whenever ids are reassigned. */
export function lexiconGeneration(): number {
  return generation;
}

function intern(text: string): number {
  let id = lexicon.get(text);
  if (id === undefined) {
    if (lexicon.size >= LEXICON_LIMIT) {
      lexicon.clear();
      generation++;
    }
    id = lexicon.size;
    lexicon.set(text, id);
  }
  return id;
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

interface Folded {
  readonly text: string;
  readonly id: number;
  readonly punct: boolean;
  readonly plural: boolean;
}

// Raw word -> folded form and id, so each distinct word is lower-cased, stemmed and interned once.
const folds = new Map<string, Folded>();
let foldsGeneration = 0;

function fold(raw: string): Folded {
  if (foldsGeneration !== generation) {
    folds.clear();
    foldsGeneration = generation;
  }
  let f = folds.get(raw);
  if (f === undefined) {
    const c = raw.charCodeAt(0);
    const isWord = raw.length > 1 || (c >= 48 && c <= 57) || /\p{L}/u.test(raw);
    const lower = raw.toLowerCase();
    const text = isWord ? stem(lower) : raw;
    f = { text, id: intern(text), punct: !isWord, plural: isWord && text !== lower && !lower.endsWith("'s") };
    if (foldsGeneration !== generation) {
      folds.clear();
      foldsGeneration = generation;
    }
    folds.set(raw, f);
  }
  return f;
}

/** Splits text[start, end) into tokens with offsets into `text` (no copy of the report is made). */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = start;
  for (let m = TOKEN.exec(text); m !== null && m.index < end; m = TOKEN.exec(text)) {
    let raw = m[0];
    if (m.index + raw.length > end) raw = raw.slice(0, end - m.index);
    const f = fold(raw);
    out.push({ text: f.text, start: m.index, end: m.index + raw.length, punct: f.punct, plural: f.plural, id: f.id });
  }
  return out;
}
