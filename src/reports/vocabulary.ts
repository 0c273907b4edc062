// The extraction vocabulary: the shapes of the JSON files under terminology/vocabulary/ and their compiled form.
// Files are read and validated by src/terminology (I/O); compiling is pure and happens once per process.
import { parseTerm, TermMatcher } from './matcher.js';
import { compileSections, type CompiledSections, type SectionVocabulary } from './sections.js';
import { stem } from './tokens.js';

export type OrganGroup = 'lung' | 'heart' | 'great_vessel' | 'generic' | 'other';

export interface AbnormalityTermsEntry {
  readonly any: readonly string[];
  readonly pairs?: readonly (readonly [string, string])[];
  readonly exclude?: readonly string[];
  readonly excludeClause?: readonly string[];
  readonly excludeClauseAll?: boolean;
  readonly pairWindow?: number;
}

export interface AbnormalityTermsFile {
  readonly excludeWindow: number;
  readonly excludeStops: readonly string[];
  readonly abnormalities: Readonly<Record<string, AbnormalityTermsEntry>>;
}

export type Side = 'right' | 'left' | 'both';
export type Lobe = 'upper' | 'middle' | 'lower';

export interface LocationTermsFile {
  readonly sides: Readonly<Record<Side, readonly string[]>>;
  readonly lobes: Readonly<Record<Lobe, readonly string[]>>;
  readonly lobeLocations: Readonly<Record<'right' | 'left', Readonly<Record<Lobe, string>>>>;
  readonly lungSide: Readonly<Record<'right' | 'left', string>>;
  readonly directional: readonly string[];
  readonly locations: Readonly<Record<string, readonly string[]>>;
}

export type RuleEffect =
  | 'ignore-clause'
  | 'uncertain-clause'
  | 'none'
  | 'absent-forward'
  | 'absent-backward'
  | 'normal'
  | 'ignore-next'
  | 'ignore-forward';

export interface SentenceRule {
  readonly effect: RuleEffect;
  readonly phrases: readonly string[];
  readonly unlessAfter?: readonly string[];
  readonly unlessFollowedBy?: readonly string[];
  readonly copulas?: readonly string[];
}

export interface SentenceRulesFile {
  readonly order: readonly string[];
  readonly clauseBreaks: readonly string[];
  readonly verbs: readonly string[];
  readonly forwardStops: readonly string[];
  readonly backwardStops: readonly string[];
  readonly conjunctionsAfterVerb: readonly string[];
  readonly rules: Readonly<Record<string, SentenceRule>>;
}

export interface SizeRule {
  readonly when: string;
  readonly adds: string;
  readonly minMillimetresExclusive: number;
  readonly words: readonly string[];
}

export interface SizeRulesFile {
  readonly rules: readonly SizeRule[];
  readonly smallerWords: readonly string[];
}

export interface SanityRulesFile {
  readonly byOrganGroup: Readonly<
    Record<
      string,
      {
        readonly allowedGroups: readonly string[];
        readonly allowedLocations: readonly string[];
        readonly default: string;
      }
    >
  >;
  readonly generic: Readonly<Record<string, readonly string[]>>;
}

/** Everything the extractor needs, as read from terminology/ (validated by the loader). */
export interface VocabularySource {
  /** Abnormality codes in CodeSystem order (83 + other_disease) with their organ group. */
  readonly abnormalities: readonly { readonly code: string; readonly group: OrganGroup }[];
  /** Location codes in CodeSystem order (52 + other_location) with their organ group. */
  readonly locations: readonly { readonly code: string; readonly group: OrganGroup }[];
  readonly abnormalityTerms: AbnormalityTermsFile;
  readonly locationTerms: LocationTermsFile;
  readonly sentenceRules: SentenceRulesFile;
  readonly sizeRules: SizeRulesFile;
  readonly sections: SectionVocabulary;
  readonly sanityRules: SanityRulesFile;
}

/** A side written as a plural ("bases", "apexes") holds only when the report's word is plural too: stemming folds
 * "bases" onto "base", and one base is not both sides. */
export type LocationHit =
  { kind: 'location'; code: string } | { kind: 'side'; side: Side; plural?: true } | { kind: 'lobe'; lobe: Lobe };

/** The modifier of a two-word lobe term ("middle" of "middle lobe*"), so an elided head can be restored in
 * "right middle and lower lobes"; with the sides the term names ("middle lobe": right). */
export interface LobeModifier {
  readonly word: string;
  readonly head: string;
  readonly headPrefix: boolean;
  readonly lobe: Lobe;
  readonly sides: readonly Side[];
}

export interface CompiledRule {
  readonly name: string;
  readonly effect: RuleEffect;
  readonly matcher: TermMatcher<null>;
  readonly unlessAfter: TermMatcher<null> | null;
  readonly unlessFollowedBy: TermMatcher<null> | null;
  readonly copulas: ReadonlySet<string>;
}

export interface PairTerm {
  readonly code: string;
  readonly pair: number;
  readonly side: 0 | 1;
}

/** The compiled vocabulary: matchers and lookup tables, built once. */
export interface Vocabulary {
  readonly source: VocabularySource;
  readonly abnormalityCodes: readonly string[];
  readonly locationCodes: readonly string[];
  readonly abnormalityGroup: ReadonlyMap<string, OrganGroup>;
  readonly locationGroup: ReadonlyMap<string, OrganGroup>;
  readonly anyTerms: TermMatcher<readonly string[]>;
  readonly pairTerms: TermMatcher<readonly PairTerm[]>;
  readonly pairCount: ReadonlyMap<string, number>;
  readonly excludeTerms: TermMatcher<readonly string[]>;
  readonly excludeWindow: number;
  readonly excludeStops: ReadonlySet<string>;
  /** Largest word distance between the two terms of a pair, per abnormality (absent: same clause suffices). */
  readonly pairWindow: ReadonlyMap<string, number>;
  readonly excludeClauseTerms: TermMatcher<readonly string[]>;
  /** Abnormalities whose clause exclusions also cancel multi-word matches. */
  readonly excludeClauseAll: ReadonlySet<string>;
  readonly locationTerms: TermMatcher<readonly LocationHit[]>;
  readonly lobeModifiers: readonly LobeModifier[];
  readonly directional: ReadonlySet<string>;
  readonly rules: readonly CompiledRule[];
  /** Every rule phrase in one matcher; the payload lists the indexes (in `rules`) of the rules using it. */
  readonly ruleTerms: TermMatcher<readonly number[]>;
  readonly clauseBreaks: TermMatcher<null>;
  readonly verbs: ReadonlySet<string>;
  readonly forwardStops: ReadonlySet<string>;
  readonly backwardStops: ReadonlySet<string>;
  readonly conjunctionsAfterVerb: ReadonlySet<string>;
  readonly sizeRules: readonly SizeRule[];
  readonly smallerWords: TermMatcher<null>;
  readonly sizeWords: TermMatcher<readonly SizeRule[]>;
  readonly sections: CompiledSections;
}

function grouped<T>(entries: Iterable<readonly [string, T]>): [string, T[]][] {
  const map = new Map<string, T[]>();
  for (const [term, value] of entries) {
    const key = term.trim().toLowerCase().replace(/\s+/g, ' ');
    const list = map.get(key) ?? [];
    list.push(value);
    map.set(key, list);
  }
  return [...map.entries()];
}

function plain(phrases: readonly string[]): TermMatcher<null> {
  return new TermMatcher(phrases.map((p) => [p, null] as const));
}

function words(list: readonly string[]): Set<string> {
  return new Set(list.map((w) => stem(w.toLowerCase())));
}

// A term's folded form ("Middle Lobes*" -> "middle lobe*"), so spellings of one term compare equal.
function foldedTerm(t: string): string {
  return parseTerm(t)
    .map((p) => `${p.text}${p.prefix ? '*' : ''}`)
    .join(' ');
}

function compileLocations(file: LocationTermsFile): TermMatcher<readonly LocationHit[]> {
  const entries: [string, LocationHit][] = [];
  for (const [code, terms] of Object.entries(file.locations)) {
    for (const t of terms) entries.push([t, { kind: 'location', code }]);
  }
  for (const [side, terms] of Object.entries(file.sides) as [Side, readonly string[]][]) {
    for (const t of terms) {
      const last = t.trim().toLowerCase().split(/\s+/).at(-1)!;
      const plural = !last.endsWith('*') && stem(last) !== last;
      entries.push([t, plural ? { kind: 'side', side, plural } : { kind: 'side', side }]);
    }
  }
  for (const [lobe, terms] of Object.entries(file.lobes) as [Lobe, readonly string[]][]) {
    for (const t of terms) entries.push([t, { kind: 'lobe', lobe }]);
  }
  // Group by the folded form, so "base" and "bases" are one term carrying every hit (the plural filter picks).
  return new TermMatcher(grouped(entries.map(([t, hit]) => [foldedTerm(t), hit] as const)));
}

function compileLobeModifiers(file: LocationTermsFile): LobeModifier[] {
  const out: LobeModifier[] = [];
  for (const [lobe, terms] of Object.entries(file.lobes) as [Lobe, readonly string[]][]) {
    for (const t of terms) {
      const parts = parseTerm(t);
      if (parts.length !== 2 || parts[0]!.prefix) continue;
      const folded = foldedTerm(t);
      const sides = (Object.entries(file.sides) as [Side, readonly string[]][])
        .filter(([, list]) => list.some((s) => foldedTerm(s) === folded))
        .map(([side]) => side);
      out.push({ word: parts[0]!.text, head: parts[1]!.text, headPrefix: parts[1]!.prefix, lobe, sides });
    }
  }
  return out;
}

function compileRules(file: SentenceRulesFile): CompiledRule[] {
  return file.order.map((name) => {
    const rule = file.rules[name];
    if (!rule) throw new Error(`sentence rule "${name}" is listed in order but not defined`);
    return {
      name,
      effect: rule.effect,
      matcher: plain(rule.phrases),
      unlessAfter: rule.unlessAfter ? plain(rule.unlessAfter) : null,
      unlessFollowedBy: rule.unlessFollowedBy ? plain(rule.unlessFollowedBy) : null,
      copulas: words(rule.copulas ?? []),
    };
  });
}

/** Compiles a validated vocabulary source into matchers (pure; call once and reuse). */
export function compileVocabulary(source: VocabularySource): Vocabulary {
  const anyEntries: [string, string][] = [];
  const pairEntries: [string, PairTerm][] = [];
  const excludeEntries: [string, string][] = [];
  const excludeClauseEntries: [string, string][] = [];
  const pairCount = new Map<string, number>();
  for (const [code, entry] of Object.entries(source.abnormalityTerms.abnormalities)) {
    for (const t of entry.any) anyEntries.push([t, code]);
    (entry.pairs ?? []).forEach(([a, b], pair) => {
      pairEntries.push([a, { code, pair, side: 0 }], [b, { code, pair, side: 1 }]);
    });
    pairCount.set(code, entry.pairs?.length ?? 0);
    for (const t of entry.exclude ?? []) excludeEntries.push([t, code]);
    for (const t of entry.excludeClause ?? []) excludeClauseEntries.push([t, code]);
  }
  const sizeWordEntries: [string, SizeRule][] = [];
  for (const rule of source.sizeRules.rules) for (const w of rule.words) sizeWordEntries.push([w, rule]);
  const rulesFile = source.sentenceRules;
  return {
    source,
    abnormalityCodes: source.abnormalities.map((a) => a.code),
    locationCodes: source.locations.map((l) => l.code),
    abnormalityGroup: new Map(source.abnormalities.map((a) => [a.code, a.group])),
    locationGroup: new Map(source.locations.map((l) => [l.code, l.group])),
    anyTerms: new TermMatcher(grouped(anyEntries)),
    pairTerms: new TermMatcher(grouped(pairEntries)),
    pairCount,
    excludeTerms: new TermMatcher(grouped(excludeEntries)),
    excludeWindow: source.abnormalityTerms.excludeWindow,
    pairWindow: new Map(
      Object.entries(source.abnormalityTerms.abnormalities).flatMap(([code, e]) =>
        e.pairWindow !== undefined ? [[code, e.pairWindow] as const] : [],
      ),
    ),
    excludeClauseTerms: new TermMatcher(grouped(excludeClauseEntries)),
    excludeClauseAll: new Set(
      Object.entries(source.abnormalityTerms.abnormalities)
        .filter(([, e]) => e.excludeClauseAll === true)
        .map(([code]) => code),
    ),
    excludeStops: new Set(source.abnormalityTerms.excludeStops.map((w) => stem(w.toLowerCase()))),
    locationTerms: compileLocations(source.locationTerms),
    lobeModifiers: compileLobeModifiers(source.locationTerms),
    directional: new Set(source.locationTerms.directional),
    rules: compileRules(rulesFile),
    ruleTerms: new TermMatcher(
      grouped(rulesFile.order.flatMap((name, i) => (rulesFile.rules[name]?.phrases ?? []).map((p) => [p, i] as const))),
    ),
    clauseBreaks: plain(rulesFile.clauseBreaks),
    verbs: words(rulesFile.verbs),
    forwardStops: words(rulesFile.forwardStops),
    backwardStops: words(rulesFile.backwardStops),
    conjunctionsAfterVerb: words(rulesFile.conjunctionsAfterVerb),
    sizeRules: source.sizeRules.rules,
    smallerWords: plain(source.sizeRules.smallerWords),
    sizeWords: new TermMatcher(grouped(sizeWordEntries)),
    sections: compileSections(source.sections),
  };
}
