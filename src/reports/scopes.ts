// Sentence analysis (SARLE stage A with scopes): every word starts abnormal ("present"); the ordered rules of
// terminology/vocabulary/sentence-rules.json claim words as ignored (boilerplate, triggers), absent (negated or
// described as normal) or uncertain (hedged). A rule only claims words no earlier rule claimed.
import type { Token } from './tokens.js';
import type { CompiledRule, Vocabulary } from './vocabulary.js';

/** Per-word state after the rules ran. */
export const PRESENT = 0;
export const ABSENT = 1;
export const UNCERTAIN = 2;
export const IGNORED = 3;

/** Word states and clause boundaries of one sentence. */
export interface SentenceAnalysis {
  /** One of PRESENT, ABSENT, UNCERTAIN, IGNORED per token. */
  readonly state: Uint8Array;
  /** Clause index per token; boundary tokens belong to no clause (-1). */
  readonly clause: Int32Array;
  /** Clauses as token ranges [from, to). */
  readonly clauses: readonly (readonly [number, number])[];
}

const CLAIMED = 4; // internal: a trigger word, reported as IGNORED

function isSoftBreak(tokens: readonly Token[], i: number, vocab: Vocabulary): boolean {
  const t = tokens[i]!.text;
  return t === ',' || vocab.conjunctionsAfterVerb.has(t);
}

/** Splits a sentence into clauses at breaks (; : ( ) but, however, which, ...) and at a comma or "and" that has a
 * verb on both sides ("X is seen in the RLL, the heart is normal"; not "seen in the arch, aorta and coronaries"). */
export function segmentClauses(
  tokens: readonly Token[],
  vocab: Vocabulary,
): { clause: Int32Array; clauses: [number, number][] } {
  const n = tokens.length;
  const isBreak = new Uint8Array(n);
  for (const m of vocab.clauseBreaks.matchLongest(tokens)) for (let i = m.from; i < m.to; i++) isBreak[i] = 1;
  // verbAhead[i]: a verb occurs after token i and before the next comma or hard break.
  const verbAhead = new Uint8Array(n);
  let ahead = 0;
  for (let i = n - 1; i >= 0; i--) {
    verbAhead[i] = ahead;
    if (isBreak[i] || tokens[i]!.text === ',') ahead = 0;
    else if (!tokens[i]!.punct && vocab.verbs.has(tokens[i]!.text)) ahead = 1;
  }
  const clause = new Int32Array(n).fill(-1);
  const clauses: [number, number][] = [];
  let start = -1;
  let sawVerb = false;
  const close = (end: number): void => {
    if (start >= 0 && end > start) {
      for (let i = start; i < end; i++) clause[i] = clauses.length;
      clauses.push([start, end]);
    }
    start = -1;
    sawVerb = false;
  };
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (isBreak[i] || (sawVerb && verbAhead[i] === 1 && isSoftBreak(tokens, i, vocab))) {
      close(i);
      continue;
    }
    if (start < 0) start = i;
    if (!t.punct && vocab.verbs.has(t.text)) sawVerb = true;
  }
  close(n);
  return { clause, clauses };
}

function claimRange(state: Uint8Array, from: number, to: number, value: number): void {
  for (let i = from; i < to; i++) if (state[i] === PRESENT) state[i] = value;
}

function precededBy(rule: CompiledRule, tokens: readonly Token[], at: number): boolean {
  if (!rule.unlessAfter) return false;
  const from = Math.max(0, at - 3);
  return rule.unlessAfter.matchAll(tokens, from, at).some((m) => m.to === at);
}

function followedBy(rule: CompiledRule, tokens: readonly Token[], at: number): boolean {
  if (!rule.unlessFollowedBy) return false;
  return rule.unlessFollowedBy.matchAll(tokens, at, Math.min(tokens.length, at + 6)).some((m) => m.from === at);
}

interface Ctx {
  readonly tokens: readonly Token[];
  readonly vocab: Vocabulary;
  readonly state: Uint8Array;
  readonly clause: Int32Array;
  readonly clauses: readonly (readonly [number, number])[];
  /** 1 where a word belongs to an abnormality term (a finding is named there). */
  readonly named: Uint8Array;
}

function forwardEnd(ctx: Ctx, from: number, to: number, untilVerb: boolean): number {
  for (let i = from; i < to; i++) {
    const t = ctx.tokens[i]!.text;
    if (ctx.vocab.forwardStops.has(t)) return i;
    if (untilVerb && ctx.vocab.verbs.has(t)) return i;
  }
  return to;
}

// A normal statement's subject or object may be a list: "Heart and pericardium are unremarkable", "Trachea, both
// main bronchi are open", "Normal heart, mediastinum and great vessels". Its conjuncts are split by commas and the
// backwardStops words ("and", "with"). A conjunct that names a finding or has a verb of its own is a statement of its
// own, so the normal scope ends before it: "Small nodule in the RLL, the lungs are otherwise clear", "Consolidation
// in the RLL and the left lung is clear", "Normal heart, small effusion".
function isSeparator(ctx: Ctx, i: number): boolean {
  const t = ctx.tokens[i]!.text;
  return t === ',' || ctx.vocab.backwardStops.has(t);
}

function ownStatement(ctx: Ctx, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const t = ctx.tokens[i]!;
    if (ctx.named[i] || (!t.punct && ctx.vocab.verbs.has(t.text))) return true;
  }
  return false;
}

// "X otherwise normal": the exceptions were named before, so the scope is the nearest conjunct only.
const OTHERWISE = 'otherwise';

/** Start of a backward normal scope ending at `to`: the conjunct before `to`, and the conjuncts before it while
 * they name no finding (with `nearestOnly`, none of them). */
function backwardStart(ctx: Ctx, from: number, to: number, nearestOnly = false): number {
  let i = to - 1;
  while (i >= from && !isSeparator(ctx, i)) i--;
  while (i >= from && !nearestOnly) {
    let j = i - 1;
    while (j >= from && !isSeparator(ctx, j)) j--;
    if (ownStatement(ctx, j + 1, i)) break;
    i = j;
  }
  return Math.max(from, i + 1);
}

// A subject in an earlier clause ("The heart, which was enlarged before, is normal"): back to an "and"/"with".
function backwardStartAcross(ctx: Ctx, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (ctx.vocab.backwardStops.has(ctx.tokens[i]!.text)) return i + 1;
  return from;
}

/** End of a forward normal scope starting at `from`: up to a verb or forward stop, and not into a conjunct that
 * names a finding of its own. */
function normalForwardEnd(ctx: Ctx, from: number, to: number): number {
  const end = forwardEnd(ctx, from, to, true);
  for (let i = from; i < end; i++) {
    if (!isSeparator(ctx, i)) continue;
    let j = i + 1;
    while (j < end && !isSeparator(ctx, j)) j++;
    if (ownStatement(ctx, i + 1, j)) return i;
  }
  return end;
}

function qualifiedByOtherwise(ctx: Ctx, from: number, to: number): boolean {
  const t = ctx.tokens;
  return t[from - 1]?.text === OTHERWISE || t[to]?.text === OTHERWISE;
}

// A clause that starts with a verb ("..., was not detected") has its subject in the clause(s) before it.
function subjectStart(ctx: Ctx, clause: number, cFrom: number): number {
  let c = clause;
  let start = cFrom;
  while (c > 0 && ctx.vocab.verbs.has(ctx.tokens[ctx.clauses[c]![0]]!.text)) {
    c--;
    start = ctx.clauses[c]![0];
  }
  return start;
}

// A normal word that ends a verbless clause ("Heart unremarkable.", "Lungs: clear.") describes the words before it
// (before the colon), back over the conjuncts that name no finding: "Heart and pericardium unremarkable" denies
// both, "Nodule in the RUL, lungs clear" keeps the nodule. With a verb it is no bare predicate ("the arch is
// slightly above normal").
function bareSubject(ctx: Ctx, cFrom: number, from: number, nearestOnly: boolean): [number, number] | null {
  let end = from;
  if (from === cFrom) {
    if (from < 2 || ctx.tokens[from - 1]!.text !== ':' || ctx.clause[from - 2]! < 0) return null;
    end = from - 1;
  }
  const c = ctx.clause[end - 1]!;
  let clauseStart = end;
  while (clauseStart > 0 && ctx.clause[clauseStart - 1] === c) clauseStart--;
  const start = backwardStart(ctx, clauseStart, end, nearestOnly);
  for (let i = start; i < end; i++) if (ctx.vocab.verbs.has(ctx.tokens[i]!.text)) return null;
  return start < end ? [start, end] : null;
}

// A normal-word: backward after a copula, backward over a verbless clause's subject, else forward.
function applyNormal(
  ctx: Ctx,
  rule: CompiledRule,
  from: number,
  to: number,
  c: number,
  cFrom: number,
  cTo: number,
): void {
  const { state, tokens } = ctx;
  const before = from > cFrom ? tokens[from - 1]!.text : '';
  const before2 = from - 1 > cFrom ? tokens[from - 2]!.text : '';
  const copula = rule.copulas.has(before) || rule.copulas.has(before2);
  const otherwise = qualifiedByOtherwise(ctx, from, to);
  const bare =
    !copula && (to === cTo || (otherwise && to + 1 === cTo)) ? bareSubject(ctx, cFrom, from, otherwise) : null;
  if (copula) {
    // The subject's conjuncts in this clause; a subject in a clause before ("X, which ..., is normal"): to "and".
    const subject = subjectStart(ctx, c, cFrom);
    let start = backwardStart(ctx, cFrom, from, otherwise);
    if (start === cFrom && subject < cFrom) start = backwardStartAcross(ctx, subject, cFrom);
    claimRange(state, start, from, ABSENT);
  } else if (bare) {
    claimRange(state, bare[0], bare[1], ABSENT);
  } else {
    claimRange(state, to, normalForwardEnd(ctx, to, cTo), ABSENT);
  }
}

// A negation inside the subject, after the finding it qualifies and before the clause's verb ("a lesion without
// soft tissue component was observed in T5"), denies up to the verb only: what follows is the subject's predicate.
// One that opens the subject ("no mass was detected in the liver") denies the whole predication.
function modifiesSubject(ctx: Ctx, cFrom: number, from: number): boolean {
  let named = false;
  for (let i = cFrom; i < from; i++) {
    const t = ctx.tokens[i]!;
    if (!t.punct && ctx.vocab.verbs.has(t.text)) return false;
    if (ctx.named[i]) named = true;
  }
  return named;
}

function applyMatch(ctx: Ctx, rule: CompiledRule, from: number, to: number): void {
  const { state, tokens } = ctx;
  const c = ctx.clause[from] ?? -1;
  const [cFrom, cTo] = c >= 0 ? ctx.clauses[c]! : [from, to];
  switch (rule.effect) {
    case 'ignore-clause':
      claimRange(state, cFrom, cTo, IGNORED);
      return;
    case 'none':
      claimRange(state, from, to, CLAIMED);
      return;
    case 'uncertain-clause':
      claimRange(state, from, to, CLAIMED);
      claimRange(state, cFrom, cTo, UNCERTAIN);
      return;
    case 'ignore-next':
      claimRange(state, from, Math.min(to + 1, tokens.length), CLAIMED);
      return;
    case 'ignore-forward':
      claimRange(state, from, to, CLAIMED);
      claimRange(state, to, forwardEnd(ctx, to, cTo, false), IGNORED);
      return;
    case 'absent-forward':
      claimRange(state, from, to, CLAIMED);
      // "partial resolution of X": X is still there (method.md: resolved unless almost, near, partial...).
      if (precededBy(rule, tokens, from)) return;
      claimRange(state, to, forwardEnd(ctx, to, cTo, modifiesSubject(ctx, cFrom, from)), ABSENT);
      return;
    case 'absent-backward': {
      claimRange(state, from, to, CLAIMED);
      if (precededBy(rule, tokens, from) || followedBy(rule, tokens, to)) return;
      const subject = subjectStart(ctx, c, cFrom);
      // Nothing before it ("No longer seen is the effusion", "Resolved effusion"): it denies what follows.
      if (subject === from) claimRange(state, to, forwardEnd(ctx, to, cTo, false), ABSENT);
      else claimRange(state, subject, from, ABSENT);
      return;
    }
    case 'normal':
      claimRange(state, from, to, CLAIMED);
      applyNormal(ctx, rule, from, to, c, cFrom, cTo);
      return;
  }
}

// Longest non-overlapping matches among one rule's matches (sorted by start), as TermMatcher.matchLongest gives.
function longest(matches: readonly { from: number; to: number }[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  let i = 0;
  let next = 0;
  while (i < matches.length) {
    const from = matches[i]!.from;
    let best = matches[i]!;
    for (; i < matches.length && matches[i]!.from === from; i++) if (matches[i]!.to > best.to) best = matches[i]!;
    if (from >= next) {
      out.push(best);
      next = best.to;
    }
  }
  return out;
}

/** Runs the ordered rules over one sentence's tokens. `named` are the abnormality term matches of the sentence
 * (found here when not given); they tell a list of structures from a list of findings. */
export function analyseSentence(
  tokens: readonly Token[],
  vocab: Vocabulary,
  named: readonly { readonly from: number; readonly to: number }[] = vocab.anyTerms.matchAll(tokens),
): SentenceAnalysis {
  const state = new Uint8Array(tokens.length);
  const { clause, clauses } = segmentClauses(tokens, vocab);
  for (let i = 0; i < tokens.length; i++) if (clause[i] === -1) state[i] = IGNORED;
  const mask = new Uint8Array(tokens.length);
  for (const m of named) mask.fill(1, m.from, m.to);
  const ctx: Ctx = { tokens, vocab, state, clause, clauses, named: mask };
  // One pass finds every rule phrase; the rules then run in order over their own matches.
  const byRule: { from: number; to: number }[][] = vocab.rules.map(() => []);
  for (const m of vocab.ruleTerms.matchAll(tokens)) for (const r of m.term.value) byRule[r]!.push(m);
  vocab.rules.forEach((rule, r) => {
    for (const m of longest(byRule[r]!)) {
      let free = true;
      for (let i = m.from; i < m.to; i++) if (state[i] === CLAIMED || state[i] === IGNORED) free = false;
      if (free) applyMatch(ctx, rule, m.from, m.to);
    }
  });
  for (let i = 0; i < state.length; i++) if (state[i] === CLAIMED) state[i] = IGNORED;
  return { state, clause, clauses };
}
