// Report text -> findings (SARLE stages A and B): sections, sentences, ordered normal/negation/hedge rules, term
// search with synonyms, pairs and exclusions, size rules, location assignment. Pure: text and vocabulary in,
// findings out; every finding points at its evidence by offsets into the original text.
import { collectLocations, assignLocations, matchLocations, type LocationSet } from './locations.js';
import type { Match } from './matcher.js';
import { ABSENT, IGNORED, PRESENT, UNCERTAIN, analyseSentence, type SentenceAnalysis } from './scopes.js';
import { splitSections } from './sections.js';
import { splitSentences } from './sentences.js';
import { largestMillimetres } from './sizes.js';
import { tokenize, type Token } from './tokens.js';
import type { LocationHit, Vocabulary } from './vocabulary.js';

export type Polarity = 'present' | 'absent' | 'uncertain';

/** Where a finding was read: section kind, the sentence, and the matched words as [start, end) offsets. */
export interface Evidence {
  readonly section: string;
  readonly sentence: string;
  readonly sentenceStart: number;
  readonly start: number;
  readonly end: number;
}

/** One (abnormality, location) finding of a report. */
export interface Finding {
  readonly abnormality: string;
  readonly location: string;
  readonly polarity: Polarity;
  readonly evidence: Evidence;
}

const POLARITY: Record<number, Polarity> = { [PRESENT]: 'present', [ABSENT]: 'absent', [UNCERTAIN]: 'uncertain' };
const STRENGTH: Record<Polarity, number> = { present: 3, uncertain: 2, absent: 1 };

/** Largest report text the extractor reads; longer text is cut (1 MB reports are not radiology reports). */
export const MAX_REPORT_CHARS = 200_000;

interface Hit {
  code: string;
  from: number;
  to: number;
  state: number;
}

function stateOf(a: SentenceAnalysis, from: number, to: number): number {
  for (let i = from; i < to; i++) if (a.state[i] === IGNORED) return IGNORED;
  return a.state[to - 1]!;
}

// An exclusion term cancels a match when it sits within `window` words of it, not across a conjunction or
// punctuation ("pericardial effusion" is not a pleural effusion; "pericardial and pleural effusion" has one).
function excluded(
  code: string,
  m: { from: number; to: number },
  excludes: readonly Match<readonly string[]>[],
  tokens: readonly Token[],
  vocab: Vocabulary,
): boolean {
  if (excludes.length === 0) return false;
  let lo = m.from;
  while (lo > 0 && m.from - lo < vocab.excludeWindow && !vocab.excludeStops.has(tokens[lo - 1]!.text)) lo--;
  let hi = m.to;
  while (hi < tokens.length && hi - m.to < vocab.excludeWindow && !vocab.excludeStops.has(tokens[hi]!.text)) hi++;
  return excludes.some(
    (e) =>
      e.term.value.includes(code) &&
      e.from >= lo &&
      e.to <= hi &&
      (e.to <= m.from || e.from >= m.to || (e.from <= m.from && e.to >= m.to)),
  );
}

interface Named {
  readonly from: number;
  readonly to: number;
  readonly codes: readonly string[];
}

// Abnormality terms of a sentence with the codes their exclusions leave ("pericardial effusion": not pleural).
function namedTerms(tokens: readonly Token[], vocab: Vocabulary): Named[] {
  const out: Named[] = [];
  const matches = vocab.anyTerms.matchAll(tokens);
  if (matches.length === 0) return out;
  const excludes = vocab.excludeTerms.matchAll(tokens);
  for (const m of matches) {
    const codes = m.term.value.filter((code) => !excluded(code, m, excludes, tokens, vocab));
    if (codes.length > 0) out.push({ from: m.from, to: m.to, codes });
  }
  return out;
}

function termHits(tokens: readonly Token[], named: readonly Named[], a: SentenceAnalysis, vocab: Vocabulary): Hit[] {
  const hits: Hit[] = [];
  for (const m of named) {
    const state = stateOf(a, m.from, m.to);
    if (state === IGNORED) continue;
    for (const code of m.codes) hits.push({ code, from: m.from, to: m.to, state });
  }
  // Pairs: both terms in one clause, with the same state, at most pairWindow words apart.
  const seen = new Map<string, { from: number; to: number; state: number }[]>();
  for (const m of vocab.pairTerms.matchAll(tokens)) {
    const state = stateOf(a, m.from, m.to);
    if (state === IGNORED) continue;
    const c = a.clause[m.from]!;
    for (const p of m.term.value) {
      const key = `${p.code}|${p.pair}|${c}|${state}`;
      const other = seen.get(`${key}|${1 - p.side}`);
      const window = vocab.pairWindow.get(p.code) ?? Infinity;
      const o = other?.findLast((x) => m.from - x.to <= window);
      if (o) hits.push({ code: p.code, from: Math.min(o.from, m.from), to: Math.max(o.to, m.to), state });
      const mine = seen.get(`${key}|${p.side}`) ?? [];
      mine.push({ from: m.from, to: m.to, state });
      seen.set(`${key}|${p.side}`, mine);
    }
  }
  if (hits.length === 0) return hits;
  const clauseExcludes = vocab.excludeClauseTerms.matchAll(tokens);
  if (clauseExcludes.length === 0) return hits;
  return hits.filter(
    (h) =>
      (h.to - h.from > 1 && !vocab.excludeClauseAll.has(h.code)) ||
      !clauseExcludes.some((e) => e.term.value.includes(h.code) && a.clause[e.from] === a.clause[h.from]),
  );
}

// Where a finding's measurements are: its clause, plus a parenthesis right after it ("nodule in the right upper
// lobe (12 mm)") and, when a parenthesis interrupts the phrase, the clause before it ("a 21 mm (previously 30 mm)
// nodular lesion"). Parentheses bound negation scopes, not a phrase's size.
function sizeRange(tokens: readonly Token[], a: SentenceAnalysis, h: Hit): [number, number] {
  let [from, to] = a.clauses[a.clause[h.from]!] ?? [h.from, h.to];
  if (tokens[to]?.text === '(') {
    to++;
    while (to < tokens.length && tokens[to]!.text !== ')' && tokens[to]!.text !== '(') to++;
  }
  if (from > 0 && tokens[from - 1]!.text === ')') {
    let open = from - 2;
    while (open >= 0 && tokens[open]!.text !== '(' && tokens[open]!.text !== ')') open--;
    const before = open > 0 && tokens[open]!.text === '(' ? a.clause[open - 1]! : -1;
    if (before >= 0) from = a.clauses[before]![0];
  }
  return [from, to];
}

function sizeHits(tokens: readonly Token[], a: SentenceAnalysis, hits: readonly Hit[], vocab: Vocabulary): Hit[] {
  const out: Hit[] = [];
  const words = vocab.sizeWords.matchAll(tokens);
  for (const rule of vocab.sizeRules) {
    for (const h of hits) {
      if (h.code !== rule.when || h.state === ABSENT) continue;
      const c = a.clause[h.from]!;
      const [from, to] = sizeRange(tokens, a, h);
      const big = largestMillimetres(tokens, from, to, vocab) > rule.minMillimetresExclusive;
      const word = words.some(
        (w) => w.term.value.includes(rule) && a.clause[w.from] === c && a.state[w.from] === PRESENT,
      );
      if (big || word) out.push({ ...h, code: rule.adds });
    }
  }
  return out;
}

// A negation's scope owns the locations inside it when it denies a finding there: "no nodule in the right upper
// lobe, opacity in the left lower lobe" places the opacity in the left lower lobe only (SARLE searches only the text
// no rule removed). Scopes of normal-words that deny no finding ("the aorta is of normal calibre with plaques") keep
// their structures as locations for the findings around them. Returns the owning scope per location match, -1: none.
function locationOwners(
  locs: readonly Match<readonly LocationHit[]>[],
  a: SentenceAnalysis,
  hits: readonly Hit[],
): { scopeOf: Int32Array; owners: Int32Array } {
  const n = a.state.length;
  const scopeOf = new Int32Array(n).fill(-1);
  let scope = -1;
  for (let i = 0; i < n; i++) {
    if (a.state[i] !== ABSENT) continue;
    if (i === 0 || a.state[i - 1] !== ABSENT) scope++;
    scopeOf[i] = scope;
  }
  const denies = new Set<number>();
  for (const h of hits) {
    if (h.state !== ABSENT) continue;
    denies.add(scopeOf[h.from]!);
    denies.add(scopeOf[h.to - 1]!);
  }
  const owners = new Int32Array(locs.length);
  locs.forEach((m, k) => {
    const s = scopeOf[m.from]!;
    owners[k] = s >= 0 && denies.has(s) ? s : -1;
  });
  return { scopeOf, owners };
}

const EMPTY: LocationSet = { codes: new Set(), sides: new Set(), lobes: [] };

// The locations a finding asserted in `clause` may take: its clause's, and the sentence's when the clause names
// none, less those a denial in the clause owns. A denial in another clause may still name the topic ("No lesion is
// seen in the bones, and degenerative changes are observed").
function locationsFor(
  locs: readonly Match<readonly LocationHit[]>[],
  owners: Int32Array,
  tokens: readonly Token[],
  a: SentenceAnalysis,
  cache: Map<number, readonly [LocationSet, LocationSet]>,
  clause: number,
): readonly [LocationSet, LocationSet] {
  let sets = cache.get(clause);
  if (!sets) {
    const [from, to] = a.clauses[clause] ?? [0, 0];
    const usable = locs.filter((m, k) => owners[k] === -1 || m.from < from || m.from >= to);
    sets = [collectLocations(usable, tokens, from, to), collectLocations(usable, tokens, 0, tokens.length)];
    cache.set(clause, sets);
  }
  return sets;
}

function add(out: Map<string, Finding>, f: Finding): void {
  const key = `${f.abnormality}|${f.location}`;
  const prev = out.get(key);
  if (!prev || STRENGTH[f.polarity] > STRENGTH[prev.polarity]) out.set(key, f);
}

/** Extracts the findings of one sentence text[start, end) of a section into `out`. */
function extractSentence(
  text: string,
  start: number,
  end: number,
  section: string,
  vocab: Vocabulary,
  out: Map<string, Finding>,
): void {
  const tokens = tokenize(text, start, end);
  if (tokens.length === 0) return;
  const named = namedTerms(tokens, vocab);
  const a = analyseSentence(tokens, vocab, named);
  const base = termHits(tokens, named, a, vocab);
  const hits = base.concat(sizeHits(tokens, a, base, vocab));
  const locs = matchLocations(tokens, vocab, text);
  const { scopeOf, owners } = locationOwners(locs, a, hits);
  const cache = new Map<number, readonly [LocationSet, LocationSet]>();
  const sentence = text.slice(start, end);
  const asserts = hits.some((h) => h.state !== ABSENT);
  let anyFinding = false;
  for (const h of hits) {
    const polarity = POLARITY[h.state]!;
    if (polarity !== 'absent') anyFinding = true;
    let [clauseLocs, sentenceLocs] = locationsFor(locs, owners, tokens, a, cache, a.clause[h.from]!);
    if (polarity === 'absent') {
      // A denied finding is where its own scope says; else, when the sentence asserts nothing, where the sentence
      // says ("The right upper lobe shows no nodule"); else nowhere in particular.
      const scopes = [scopeOf[h.from], scopeOf[h.to - 1]];
      const own = locs.filter((_, k) => owners[k] !== -1 && scopes.includes(owners[k]));
      if (own.length > 0) clauseLocs = sentenceLocs = collectLocations(own, tokens, 0, tokens.length);
      else if (asserts) clauseLocs = sentenceLocs = EMPTY;
    }
    const evidence = {
      section,
      sentence,
      sentenceStart: start,
      start: tokens[h.from]!.start,
      end: tokens[h.to - 1]!.end,
    };
    for (const location of assignLocations(h.code, clauseLocs, sentenceLocs, vocab)) {
      add(out, { abnormality: h.code, location, polarity, evidence });
    }
  }
  if (anyFinding) return;
  // A location in abnormal text with no known abnormality: other_disease (SARLE). Not in a clause that denies a
  // finding: "The lungs are free of consolidation" says where the consolidation is not, not that the lungs are ill.
  const denying = new Set(hits.map((h) => a.clause[h.from]));
  for (const m of locs) {
    if (a.state[m.from] !== PRESENT || denying.has(a.clause[m.from])) continue;
    for (const hit of m.term.value) {
      if (hit.kind !== 'location' || vocab.directional.has(hit.code)) continue;
      const evidence = {
        section,
        sentence,
        sentenceStart: start,
        start: tokens[m.from]!.start,
        end: tokens[m.to - 1]!.end,
      };
      add(out, { abnormality: 'other_disease', location: hit.code, polarity: 'present', evidence });
    }
  }
}

/** Extracts findings from a report: one per (abnormality, location), strongest polarity first
 * (present > uncertain > absent), evidence from the first mention with that polarity. */
export function extractFindings(text: string, vocab: Vocabulary): Finding[] {
  const body = text.length > MAX_REPORT_CHARS ? text.slice(0, MAX_REPORT_CHARS) : text;
  const out = new Map<string, Finding>();
  for (const section of splitSections(body, vocab.sections)) {
    if (section.skip) continue;
    for (const s of splitSentences(body, section.start, section.end)) {
      extractSentence(body, s.start, s.end, section.kind, vocab, out);
    }
  }
  return [...out.values()];
}
