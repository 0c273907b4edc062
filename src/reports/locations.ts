// Location assignment (SARLE stage B): locations named in the same clause (else the same sentence) are paired with
// each abnormality; lobe words combine with the side words of their own phrase ("right", "left", "both",
// "bilateral", "bases", "apices"), else with the clause's; lung-only and heart-only abnormalities fall back to their
// organ, others to other_location; sanity rules drop pairs that cannot be (a lung abnormality in the heart).
import type { Match } from './matcher.js';
import type { Token } from './tokens.js';
import type { LobeModifier, LocationHit, Lobe, Side, Vocabulary } from './vocabulary.js';

/** A lobe word with the sides named with it ("right upper lobe", "lower lobe of the left lung"); none: unsided. */
export interface LobeHit {
  readonly lobe: Lobe;
  readonly sides: readonly Side[];
}

/** Locations found in a token range. */
export interface LocationSet {
  readonly codes: ReadonlySet<string>;
  readonly sides: ReadonlySet<Side>;
  readonly lobes: readonly LobeHit[];
}

// Words that may sit inside one location phrase ("lower lobe of the right lung", "upper lobe on the left"), and
// the ones that list sides before a lobe ("right and left lower lobes").
const PHRASE_GLUE = new Set(['of', 'the', 'on']);
const SIDE_LIST = new Set(['and', 'or', ',']);
// Sided lung locations also name the side of a lobe in their phrase ("right lung lower lobe").
const SIDED_LUNG = new Map<string, Side>([
  ['right_lung', 'right'],
  ['left_lung', 'left'],
]);

function gapIn(tokens: readonly Token[], from: number, to: number, words: ReadonlySet<string>): boolean {
  for (let i = from; i < to; i++) if (!words.has(tokens[i]!.text)) return false;
  return true;
}

function hasSide(m: Match<readonly LocationHit[]>): boolean {
  return m.term.value.some((h) => h.kind === 'side' || (h.kind === 'location' && SIDED_LUNG.has(h.code)));
}

/** Collects location, side and lobe words of matches that start in [from, to). Each lobe takes the sides of its
 * own location phrase (matches joined only by "of the", "on the"), so "right upper lobe and left lower lobe" is two
 * lobes, not four; a lobe with no side in its phrase is unsided and takes the range's sides later. A side a lobe
 * term implies ("bases", "middle lobe", "lingula") gives way to one the phrase names ("right lung bases"). */
export function collectLocations(
  matches: readonly Match<readonly LocationHit[]>[],
  tokens: readonly Token[],
  from: number,
  to: number,
): LocationSet {
  const codes = new Set<string>();
  const sides = new Set<Side>();
  const lobes: LobeHit[] = [];
  let phraseSides: Side[] = [];
  let impliedSides: Side[] = [];
  let phraseLobes: Lobe[] = [];
  let prev: Match<readonly LocationHit[]> | undefined;
  const endPhrase = (): void => {
    const own = phraseSides.length > 0 ? phraseSides : impliedSides;
    for (const lobe of phraseLobes) lobes.push({ lobe, sides: own });
  };
  for (const m of matches) {
    if (m.from < from || m.from >= to) continue;
    if (prev && !gapIn(tokens, prev.to, m.from, PHRASE_GLUE)) {
      // A new phrase. A side-only phrase listed before it ("right and left lower lobes") lends it its sides.
      const listed = phraseLobes.length === 0 && hasSide(m) && gapIn(tokens, prev.to, m.from, SIDE_LIST);
      endPhrase();
      phraseSides = listed ? [...phraseSides] : [];
      impliedSides = [];
      phraseLobes = [];
    }
    const lobeTerm = m.term.value.some((h) => h.kind === 'lobe');
    for (const hit of m.term.value) {
      if (hit.kind === 'location') {
        codes.add(hit.code);
        const side = SIDED_LUNG.get(hit.code);
        if (side) phraseSides.push(side);
      } else if (hit.kind === 'side') {
        sides.add(hit.side);
        (lobeTerm ? impliedSides : phraseSides).push(hit.side);
      } else phraseLobes.push(hit.lobe);
    }
    prev = m;
  }
  endPhrase();
  return { codes, sides, lobes };
}

// Words that coordinate lobe modifiers sharing one head ("upper, middle and lower lobes"); without one, only a
// hyphen or slash joins them ("upper-middle lobe"), since "superior lower lobe" is the lower lobe's superior segment.
const MODIFIER_LIST = new Set([',', 'and', 'or']);
const MODIFIER_JOINERS = new Set(['-', '/']);

function modifierOf(vocab: Vocabulary, word: string, head: string): LobeModifier | undefined {
  return vocab.lobeModifiers.find((m) => m.word === word && (m.headPrefix ? head.startsWith(m.head) : head === m.head));
}

function isHead(mod: LobeModifier, word: string): boolean {
  return mod.headPrefix ? word.startsWith(mod.head) : word === mod.head;
}

/** Lobe modifiers coordinated before a two-word lobe match whose head they share: "right middle and lower lobes"
 * is the middle and the lower lobe. A modifier right after a head names a segment ("lower lobe superior and middle
 * lobe": the superior segment), not a lobe. Returns where the list starts and its lobes. */
function elidedLobes(
  text: string | undefined,
  tokens: readonly Token[],
  m: Match<readonly LocationHit[]>,
  vocab: Vocabulary,
): { from: number; lobes: Lobe[]; sides: Side[] } | null {
  if (m.to - m.from !== 2 || !m.term.value.some((h) => h.kind === 'lobe')) return null;
  const head = tokens[m.from + 1]!.text;
  const own = modifierOf(vocab, tokens[m.from]!.text, head);
  if (!own) return null;
  const lobes: Lobe[] = [];
  const sides: Side[] = [];
  let from = m.from;
  for (;;) {
    let j = from - 1;
    while (j >= 0 && MODIFIER_LIST.has(tokens[j]!.text)) j--;
    if (j < 0) break;
    const joined =
      j < from - 1 ||
      (text !== undefined && MODIFIER_JOINERS.has(text.slice(tokens[j]!.end, tokens[from]!.start).trim()));
    const mod = modifierOf(vocab, tokens[j]!.text, head);
    if (!joined || !mod || mod.lobe === own.lobe || lobes.includes(mod.lobe)) break;
    if (j > 0 && isHead(mod, tokens[j - 1]!.text)) break;
    lobes.push(mod.lobe);
    sides.push(...mod.sides);
    from = j;
  }
  return lobes.length > 0 ? { from, lobes, sides } : null;
}

/** Matches location words in a sentence (longest match wins); a plural-only side needs a plural word. `text` is the
 * report the tokens point into (for hyphenated lobe lists). */
export function matchLocations(
  tokens: readonly Token[],
  vocab: Vocabulary,
  text?: string,
): Match<readonly LocationHit[]>[] {
  const out: Match<readonly LocationHit[]>[] = [];
  for (const found of vocab.locationTerms.matchLongest(tokens)) {
    let m = found;
    const hits = m.term.value;
    if (!tokens[m.to - 1]!.plural && hits.some((h) => h.kind === 'side' && h.plural)) {
      const value = hits.filter((h) => !(h.kind === 'side' && h.plural));
      if (value.length === 0) continue;
      m = { ...m, term: { ...m.term, value } };
    }
    const elided = elidedLobes(text, tokens, m, vocab);
    if (elided) {
      // One phrase with every coordinated lobe, so they share its sides; words inside it are no locations.
      while (out.length > 0 && out.at(-1)!.from >= elided.from) out.pop();
      // A listed modifier keeps the side its own term names ("middle and lower lobes": the right lung's).
      const value = [
        ...elided.lobes.map((lobe): LocationHit => ({ kind: 'lobe', lobe })),
        ...elided.sides.map((side): LocationHit => ({ kind: 'side', side })),
        ...m.term.value,
      ];
      m = { from: elided.from, to: m.to, term: { ...m.term, value } };
    }
    out.push(m);
  }
  return outsideLung(out, tokens, vocab);
}

function lungPlace(code: string, vocab: Vocabulary): boolean {
  const rule = vocab.source.sanityRules.byOrganGroup.lung;
  const group = vocab.locationGroup.get(code) ?? 'generic';
  return !rule || rule.allowedGroups.includes(group) || rule.allowedLocations.includes(code);
}

/** Lobe and side words in one phrase with an organ outside the lung name a part and side of that organ: "the apex
 * of the heart", "cardiac apex", "the middle zone of the left kidney"; so do lung words that the organ follows with
 * "of" ("the posterior segment of the right lobe of the liver"), but not ones it only qualifies ("the mediastinal
 * pleura"). */
function outsideLung(
  matches: Match<readonly LocationHit[]>[],
  tokens: readonly Token[],
  vocab: Vocabulary,
): Match<readonly LocationHit[]>[] {
  const foreign = (m: Match<readonly LocationHit[]>): boolean =>
    m.term.value.some((h) => h.kind === 'location' && !lungPlace(h.code, vocab));
  const out: Match<readonly LocationHit[]>[] = [];
  let start = 0;
  for (let i = 1; i <= matches.length; i++) {
    if (i < matches.length && gapIn(tokens, matches[i - 1]!.to, matches[i]!.from, PHRASE_GLUE)) continue;
    const phrase = matches.slice(start, i);
    start = i;
    const organ = phrase.findLastIndex(foreign);
    if (organ < 0) {
      out.push(...phrase);
      continue;
    }
    const of = tokens.slice(phrase[0]!.from, phrase[organ]!.from).findLastIndex((t) => t.text === 'of');
    const ofAt = of < 0 ? -1 : phrase[0]!.from + of;
    for (const m of phrase) {
      const value = m.term.value.filter(
        (h) => h.kind === 'location' && (m.to > ofAt || vocab.locationGroup.get(h.code) !== 'lung'),
      );
      if (value.length === m.term.value.length) out.push(m);
      else if (value.length > 0) out.push({ ...m, term: { ...m.term, value } });
    }
  }
  return out;
}

function isEmpty(set: LocationSet): boolean {
  return set.codes.size === 0 && set.sides.size === 0 && set.lobes.length === 0;
}

function lungSides(sides: Iterable<Side>, codes?: ReadonlySet<string>): ('right' | 'left')[] {
  let right = codes?.has('right_lung') ?? false;
  let left = codes?.has('left_lung') ?? false;
  for (const s of sides) {
    right ||= s !== 'left';
    left ||= s !== 'right';
  }
  const out: ('right' | 'left')[] = [];
  if (right) out.push('right');
  if (left) out.push('left');
  return out;
}

function sidesOf(set: LocationSet): ('right' | 'left')[] {
  return lungSides(set.sides, set.codes);
}

function lungLocations(set: LocationSet, vocab: Vocabulary): string[] {
  const file = vocab.source.locationTerms;
  const sides = sidesOf(set);
  if (set.lobes.length > 0) {
    const out: string[] = [];
    for (const { lobe, sides: own } of set.lobes) {
      // A lobe's own sides, else the range's; without any it stays unsided (lung). The middle lobe and the
      // lingula name their side in location-terms.json; a middle zone does not.
      const lobeSides = own.length > 0 ? lungSides(own) : sides;
      for (const s of lobeSides) out.push(file.lobeLocations[s][lobe]);
    }
    if (out.length > 0) return out;
  }
  if (
    sides.length > 0 &&
    (set.codes.has('lung') || set.codes.has('right_lung') || set.codes.has('left_lung') || set.lobes.length > 0)
  ) {
    return sides.map((s) => file.lungSide[s]);
  }
  return [];
}

function candidates(set: LocationSet, vocab: Vocabulary, lungOnly: boolean): string[] {
  const lung = lungLocations(set, vocab);
  if (lungOnly) {
    // Lobes or sides, plus the lung's sub-locations named (interstitial, subpleural, centrilobular, hilum).
    const extra = [...set.codes].filter((c) => vocab.locationGroup.get(c) !== 'lung' && !vocab.directional.has(c));
    if (lung.length > 0) return [...lung, ...extra];
    const sides = sidesOf(set);
    const sided = sides.map((s) => vocab.source.locationTerms.lungSide[s]);
    return extra.length > 0 ? [...(sided.length > 0 ? sided : ['lung']), ...extra] : sided;
  }
  const organs = [...set.codes].filter((c) => !vocab.directional.has(c));
  // A lobe or sided lung location replaces the generic "lung" it refines.
  const out =
    lung.length > 0
      ? [...lung, ...organs.filter((c) => c !== 'lung' && c !== 'right_lung' && c !== 'left_lung')]
      : organs;
  if (out.length > 0) return out;
  const dirs = [...set.codes].filter((c) => vocab.directional.has(c));
  for (const s of set.sides) if (s !== 'both') dirs.push(s);
  return [...new Set(dirs)];
}

function allowed(code: string, location: string, vocab: Vocabulary): boolean {
  const group = vocab.abnormalityGroup.get(code) ?? 'generic';
  const rules = vocab.source.sanityRules;
  const byGroup = rules.byOrganGroup[group];
  if (byGroup) {
    const locGroup = vocab.locationGroup.get(location) ?? 'generic';
    return byGroup.allowedGroups.includes(locGroup) || byGroup.allowedLocations.includes(location);
  }
  const generic = rules.generic[code];
  return generic ? generic.includes(location) : true;
}

function fallback(code: string, vocab: Vocabulary): string {
  const group = vocab.abnormalityGroup.get(code) ?? 'generic';
  return vocab.source.sanityRules.byOrganGroup[group]?.default ?? 'other_location';
}

/** Locations for one abnormality: its clause's locations, else its sentence's, filtered by the sanity rules. */
export function assignLocations(code: string, clause: LocationSet, sentence: LocationSet, vocab: Vocabulary): string[] {
  const lungOnly = vocab.abnormalityGroup.get(code) === 'lung';
  const set = isEmpty(clause) ? sentence : clause;
  let out = candidates(set, vocab, lungOnly).filter((l) => allowed(code, l, vocab));
  if (out.length === 0 && set !== sentence)
    out = candidates(sentence, vocab, lungOnly).filter((l) => allowed(code, l, vocab));
  // A lobe or zone of no known side, and nothing else: the lung ("nodule in the upper lobe").
  if (out.length === 0 && set.lobes.length > 0 && allowed(code, 'lung', vocab)) out = ['lung'];
  return out.length > 0 ? [...new Set(out)] : [fallback(code, vocab)];
}
