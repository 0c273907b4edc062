// Location assignment (SARLE stage B): locations named in the same clause (else the same sentence) are paired with
// each abnormality; lobe words combine with side words ("right", "left", "both", "bilateral", "bases", "apices");
// lung-only and heart-only abnormalities fall back to their organ, others to other_location; sanity rules drop
// pairs that cannot be (a lung abnormality in the heart).
import type { Match } from './matcher.js';
import type { Token } from './tokens.js';
import type { LocationHit, Lobe, Side, Vocabulary } from './vocabulary.js';

/** Locations found in a token range. */
export interface LocationSet {
  readonly codes: ReadonlySet<string>;
  readonly sides: ReadonlySet<Side>;
  readonly lobes: ReadonlySet<Lobe>;
}

/** Collects location, side and lobe words of matches that start in [from, to). */
export function collectLocations(
  matches: readonly Match<readonly LocationHit[]>[],
  from: number,
  to: number,
): LocationSet {
  const codes = new Set<string>();
  const sides = new Set<Side>();
  const lobes = new Set<Lobe>();
  for (const m of matches) {
    if (m.from < from || m.from >= to) continue;
    for (const hit of m.term.value) {
      if (hit.kind === 'location') codes.add(hit.code);
      else if (hit.kind === 'side') sides.add(hit.side);
      else lobes.add(hit.lobe);
    }
  }
  return { codes, sides, lobes };
}

/** Matches location words in a sentence (longest match wins). */
export function matchLocations(tokens: readonly Token[], vocab: Vocabulary): Match<readonly LocationHit[]>[] {
  return vocab.locationTerms.matchLongest(tokens);
}

function isEmpty(set: LocationSet): boolean {
  return set.codes.size === 0 && set.sides.size === 0 && set.lobes.size === 0;
}

function sidesOf(set: LocationSet): ('right' | 'left')[] {
  const right = set.sides.has('right') || set.sides.has('both') || set.codes.has('right_lung');
  const left = set.sides.has('left') || set.sides.has('both') || set.codes.has('left_lung');
  const out: ('right' | 'left')[] = [];
  if (right) out.push('right');
  if (left) out.push('left');
  return out;
}

function lungLocations(set: LocationSet, vocab: Vocabulary): string[] {
  const file = vocab.source.locationTerms;
  const sides = sidesOf(set);
  if (set.lobes.size > 0) {
    const out: string[] = [];
    for (const lobe of set.lobes) {
      // Without a side, the middle lobe is the right one; upper/lower lobes stay unsided (lung).
      const lobeSides = sides.length > 0 ? sides : lobe === 'middle' ? (['right'] as const) : [];
      for (const s of lobeSides) out.push(file.lobeLocations[s][lobe]);
    }
    if (out.length > 0) return out;
  }
  if (
    sides.length > 0 &&
    (set.codes.has('lung') || set.codes.has('right_lung') || set.codes.has('left_lung') || set.lobes.size > 0)
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
  return out.length > 0 ? [...new Set(out)] : [fallback(code, vocab)];
}
