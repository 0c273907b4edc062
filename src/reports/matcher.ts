// Phrase matcher over tokens. A term is a space-separated token sequence; a token ending in '*' matches any word
// that starts with it. Terms are indexed by the first three characters of their first token, so matching a
// sentence costs one map lookup per token plus a check of the few candidate terms.
import { lexiconGeneration, stem, type Token } from './tokens.js';

interface Part {
  readonly text: string;
  readonly prefix: boolean;
}

/** A compiled term with the payload the caller attached (an abnormality code, a rule effect, ...). */
export interface CompiledTerm<T> {
  readonly source: string;
  readonly parts: readonly Part[];
  readonly value: T;
  /** Literal characters in the term: ranks terms of equal word length. */
  readonly weight: number;
}

/** One match: token index range [from, to) and the term's payload. */
export interface Match<T> {
  readonly from: number;
  readonly to: number;
  readonly term: CompiledTerm<T>;
}

const KEY = 3;

function partOf(raw: string): Part {
  if (raw.endsWith('*')) return { text: raw.slice(0, -1), prefix: true };
  return { text: raw.length > 1 && /^[a-z]/.test(raw) ? stem(raw) : raw, prefix: false };
}

/** Parses a vocabulary term ("pleural effusion*") into parts; throws on an empty or malformed term. */
export function parseTerm(term: string): Part[] {
  const raw = term
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((p) => p.length > 0);
  if (raw.length === 0) throw new Error(`empty term "${term}"`);
  const parts = raw.map(partOf);
  for (const p of parts) if (p.text.length === 0) throw new Error(`term "${term}" has a bare '*'`);
  return parts;
}

function matchesPart(part: Part, token: string): boolean {
  return part.prefix ? token.startsWith(part.text) : token === part.text;
}

/** A set of terms compiled for matching against token arrays. */
export class TermMatcher<T> {
  private readonly index = new Map<string, CompiledTerm<T>[]>();

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [source, value] of entries) {
      const parts = parseTerm(source);
      const first = parts[0]!;
      // A prefix shorter than the key is indexed under each of its possible keys lazily: store it under its own
      // text and look it up with every shorter slice of the token.
      const key = first.text.length >= KEY ? first.text.slice(0, KEY) : first.text;
      const list = this.index.get(key) ?? [];
      list.push({ source, parts, value, weight: parts.reduce((w, p) => w + p.text.length + (p.prefix ? 0 : 1), 0) });
      this.index.set(key, list);
    }
    for (const list of this.index.values()) list.sort((a, b) => b.parts.length - a.parts.length);
  }

  // Candidate terms per interned token id: report vocabulary is small, so after warm-up each token costs one
  // array read. Reset when the lexicon starts a new generation.
  private memo: (readonly CompiledTerm<T>[] | undefined)[] = [];
  private memoGeneration = 0;

  // Called once per match call: a new lexicon generation reassigns ids, so the memo is dropped.
  private checkGeneration(): void {
    const generation = lexiconGeneration();
    if (generation !== this.memoGeneration) {
      this.memo = [];
      this.memoGeneration = generation;
    }
  }

  private fill(token: Token): readonly CompiledTerm<T>[] {
    const text = token.text;
    const found: CompiledTerm<T>[] = [];
    const keys = text.length >= KEY ? [text.slice(0, KEY), text.slice(0, 1), text.slice(0, 2)] : [text];
    if (text.length === 2) keys.push(text.slice(0, 1));
    for (const key of keys) {
      for (const term of this.index.get(key) ?? []) if (matchesPart(term.parts[0]!, text)) found.push(term);
    }
    // Grow densely: writing far past the end would turn the array into a slow dictionary.
    while (this.memo.length <= token.id) this.memo.push(undefined);
    this.memo[token.id] = found;
    return found;
  }

  /** Every match (overlaps allowed) of every term within tokens[from, to). */
  matchAll(tokens: readonly Token[], from = 0, to = tokens.length): Match<T>[] {
    this.checkGeneration();
    const memo = this.memo;
    const out: Match<T>[] = [];
    for (let i = from; i < to; i++) {
      const token = tokens[i]!;
      const list = memo[token.id] ?? this.fill(token);
      for (let k = 0; k < list.length; k++) {
        const term = list[k]!;
        const end = this.matchAt(term, tokens, i, to);
        if (end > 0) out.push({ from: i, to: end, term });
      }
    }
    return out;
  }

  /** Longest non-overlapping matches, scanning left to right. */
  matchLongest(tokens: readonly Token[], from = 0, to = tokens.length): Match<T>[] {
    this.checkGeneration();
    const memo = this.memo;
    const out: Match<T>[] = [];
    for (let i = from; i < to;) {
      const token = tokens[i]!;
      const list = memo[token.id] ?? this.fill(token);
      let best: Match<T> | undefined;
      for (let k = 0; k < list.length; k++) {
        const term = list[k]!;
        const end = this.matchAt(term, tokens, i, to);
        // Longest wins; at equal length the more literal term ("aortopulmonary" over "aort*").
        if (end > 0 && (!best || end > best.to || (end === best.to && term.weight > best.term.weight))) {
          best = { from: i, to: end, term };
        }
      }
      if (best) {
        out.push(best);
        i = best.to;
      } else i++;
    }
    return out;
  }

  private matchAt(term: CompiledTerm<T>, tokens: readonly Token[], at: number, to: number): number {
    const { parts } = term;
    if (at + parts.length > to) return 0;
    for (let k = 1; k < parts.length; k++) {
      if (!matchesPart(parts[k]!, tokens[at + k]!.text)) return 0;
    }
    return at + parts.length;
  }
}
