// Validation of each terminology/ file into its typed shape (pure: parsed JSON in, typed value out). A broken file
// is a TerminologyError naming the file and the entry.
import type { CodeSystem, ConceptMap } from 'fhir/r4.js';
import { parseTerm } from '../reports/matcher.js';
import type {
  AbnormalityTermsEntry,
  AbnormalityTermsFile,
  LocationTermsFile,
  Lobe,
  OrganGroup,
  RuleEffect,
  SanityRulesFile,
  SentenceRule,
  SentenceRulesFile,
  Side,
  SizeRulesFile,
} from '../reports/vocabulary.js';
import type { SectionVocabulary } from '../reports/sections.js';
import type { At } from './validate.js';
import { arr, known, num, obj, oneOf, str, strings } from './validate.js';

const GROUPS: readonly OrganGroup[] = ['lung', 'heart', 'great_vessel', 'generic', 'other'];
const EFFECTS: readonly RuleEffect[] = [
  'ignore-clause',
  'uncertain-clause',
  'none',
  'absent-forward',
  'absent-backward',
  'normal',
  'ignore-next',
  'ignore-forward',
];

function terms(v: unknown, at: At): string[] {
  const list = strings(v, at);
  list.forEach((t, i) => {
    try {
      parseTerm(t);
    } catch (err) {
      at.at(i).fail(err instanceof Error ? err.message : String(err));
    }
  });
  return list;
}

/** A CodeSystem with unique codes, each with a display and (when `grouped`) an organ-group property. */
export function codeSystem(
  json: unknown,
  at: At,
  url: string,
  grouped: boolean,
): { resource: CodeSystem; codes: { code: string; group: OrganGroup }[] } {
  const o = obj(json, at);
  if (o.resourceType !== 'CodeSystem') at.at('resourceType').fail('expected "CodeSystem"');
  if (o.url !== url) at.at('url').fail(`expected "${url}"`);
  const seen = new Set<string>();
  const codes = arr(o.concept, at.at('concept')).map((c, i) => {
    const cat = at.at('concept').at(i);
    const concept = obj(c, cat);
    const code = str(concept.code, cat.at('code'));
    str(concept.display, cat.at('display'));
    if (seen.has(code)) cat.at('code').fail(`duplicate code "${code}"`);
    seen.add(code);
    let group: OrganGroup = 'other';
    if (grouped) {
      const props = arr(concept.property, cat.at('property'));
      const og = props.map((p, j) => obj(p, cat.at('property').at(j))).find((p) => p.code === 'organ-group');
      if (og === undefined) return cat.fail('missing property organ-group');
      group = oneOf(og.valueCode, GROUPS, cat.at('property'));
    }
    return { code, group };
  });
  return { resource: o as unknown as CodeSystem, codes };
}

/** A ConceptMap whose source codes belong to `sourceCodes` and, for own target systems, target codes too. */
export function conceptMap(
  json: unknown,
  at: At,
  url: string,
  sourceCodes: ReadonlySet<string>,
  targetCodes: ReadonlySet<string> | null,
  locationCodes: ReadonlySet<string>,
): ConceptMap {
  const o = obj(json, at);
  if (o.resourceType !== 'ConceptMap') at.at('resourceType').fail('expected "ConceptMap"');
  if (o.url !== url) at.at('url').fail(`expected "${url}"`);
  arr(o.group, at.at('group')).forEach((g, gi) => {
    const gat = at.at('group').at(gi);
    const group = obj(g, gat);
    str(group.source, gat.at('source'));
    str(group.target, gat.at('target'));
    arr(group.element, gat.at('element')).forEach((e, ei) => {
      const eat = gat.at('element').at(ei);
      const el = obj(e, eat);
      known(el.code, sourceCodes, 'source code', eat.at('code'));
      arr(el.target ?? [], eat.at('target')).forEach((t, ti) => {
        const tat = eat.at('target').at(ti);
        const target = obj(t, tat);
        str(target.equivalence, tat.at('equivalence'));
        if (target.equivalence === 'unmatched') return;
        if (targetCodes) known(target.code, targetCodes, 'target code', tat.at('code'));
        else str(target.code, tat.at('code'));
        arr(target.dependsOn ?? [], tat.at('dependsOn')).forEach((d, di) => {
          const dat = tat.at('dependsOn').at(di);
          known(obj(d, dat).value, locationCodes, 'location', dat.at('value'));
        });
      });
    });
  });
  return o as unknown as ConceptMap;
}

function bool(v: unknown, at: At): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') return at.fail('expected true or false');
  return v;
}

function termsEntry(v: unknown, at: At): AbnormalityTermsEntry {
  const o = obj(v, at);
  const pairs = o.pairs === undefined ? [] : arr(o.pairs, at.at('pairs'));
  return {
    any: terms(o.any, at.at('any')),
    pairs: pairs.map((p, i) => {
      const pair = terms(p, at.at('pairs').at(i));
      if (pair.length !== 2) at.at('pairs').at(i).fail('a pair needs exactly two terms');
      return [pair[0]!, pair[1]!] as const;
    }),
    exclude: o.exclude === undefined ? [] : terms(o.exclude, at.at('exclude')),
    excludeClause: o.excludeClause === undefined ? [] : terms(o.excludeClause, at.at('excludeClause')),
    excludeClauseAll: bool(o.excludeClauseAll, at.at('excludeClauseAll')),
    ...(o.pairWindow !== undefined ? { pairWindow: num(o.pairWindow, at.at('pairWindow')) } : {}),
  };
}

/** abnormality-terms.json: one entry per ct-abnormality code. */
export function abnormalityTerms(json: unknown, at: At, codes: ReadonlySet<string>): AbnormalityTermsFile {
  const o = obj(json, at);
  const abn = obj(o.abnormalities, at.at('abnormalities'));
  const out: Record<string, AbnormalityTermsEntry> = {};
  for (const [code, entry] of Object.entries(abn)) {
    known(code, codes, 'abnormality', at.at('abnormalities').at(code));
    out[code] = termsEntry(entry, at.at('abnormalities').at(code));
  }
  for (const code of codes) if (!(code in out)) at.at('abnormalities').fail(`no entry for abnormality "${code}"`);
  return {
    excludeWindow: num(o.excludeWindow, at.at('excludeWindow')),
    excludeStops: strings(o.excludeStops, at.at('excludeStops')),
    abnormalities: out,
  };
}

/** location-terms.json. */
export function locationTerms(json: unknown, at: At, codes: ReadonlySet<string>): LocationTermsFile {
  const o = obj(json, at);
  const sidesAt = at.at('sides');
  const sides = obj(o.sides, sidesAt);
  const lobes = obj(o.lobes, at.at('lobes'));
  const lobeLoc = obj(o.lobeLocations, at.at('lobeLocations'));
  const lungSide = obj(o.lungSide, at.at('lungSide'));
  const locs = obj(o.locations, at.at('locations'));
  const lobeNames: Lobe[] = ['upper', 'middle', 'lower'];
  const side = (s: 'right' | 'left'): Record<Lobe, string> => {
    const m = obj(lobeLoc[s], at.at('lobeLocations').at(s));
    return {
      upper: known(m.upper, codes, 'location', at.at('lobeLocations').at(s).at('upper')),
      middle: known(m.middle, codes, 'location', at.at('lobeLocations').at(s).at('middle')),
      lower: known(m.lower, codes, 'location', at.at('lobeLocations').at(s).at('lower')),
    };
  };
  const locations: Record<string, string[]> = {};
  for (const [code, list] of Object.entries(locs)) {
    known(code, codes, 'location', at.at('locations').at(code));
    locations[code] = terms(list, at.at('locations').at(code));
  }
  return {
    sides: Object.fromEntries(
      (['right', 'left', 'both'] as Side[]).map((s) => [s, terms(sides[s], sidesAt.at(s))]),
    ) as Record<Side, string[]>,
    lobes: Object.fromEntries(lobeNames.map((l) => [l, terms(lobes[l], at.at('lobes').at(l))])) as Record<
      Lobe,
      string[]
    >,
    lobeLocations: { right: side('right'), left: side('left') },
    lungSide: {
      right: known(lungSide.right, codes, 'location', at.at('lungSide').at('right')),
      left: known(lungSide.left, codes, 'location', at.at('lungSide').at('left')),
    },
    directional: strings(o.directional, at.at('directional')).map((d, i) =>
      known(d, codes, 'location', at.at('directional').at(i)),
    ),
    locations,
  };
}

/** sentence-rules.json: every rule in `order` defined, effects known, phrases parse. */
export function sentenceRules(json: unknown, at: At): SentenceRulesFile {
  const o = obj(json, at);
  const rules = obj(o.rules, at.at('rules'));
  const order = strings(o.order, at.at('order'));
  const out: Record<string, SentenceRule> = {};
  order.forEach((name, i) => {
    const rat = at.at('rules').at(name);
    if (!(name in rules)) at.at('order').at(i).fail(`rule "${name}" is not defined under rules`);
    const r = obj(rules[name], rat);
    out[name] = {
      effect: oneOf(r.effect, EFFECTS, rat.at('effect')),
      phrases: terms(r.phrases, rat.at('phrases')),
      ...(r.unlessAfter !== undefined ? { unlessAfter: terms(r.unlessAfter, rat.at('unlessAfter')) } : {}),
      ...(r.unlessFollowedBy !== undefined
        ? { unlessFollowedBy: terms(r.unlessFollowedBy, rat.at('unlessFollowedBy')) }
        : {}),
      ...(r.copulas !== undefined ? { copulas: strings(r.copulas, rat.at('copulas')) } : {}),
    };
  });
  return {
    order,
    clauseBreaks: terms(o.clauseBreaks, at.at('clauseBreaks')),
    verbs: strings(o.verbs, at.at('verbs')),
    forwardStops: strings(o.forwardStops, at.at('forwardStops')),
    backwardStops: strings(o.backwardStops, at.at('backwardStops')),
    conjunctionsAfterVerb: strings(o.conjunctionsAfterVerb, at.at('conjunctionsAfterVerb')),
    rules: out,
  };
}

/** size-rules.json. */
export function sizeRules(json: unknown, at: At, codes: ReadonlySet<string>): SizeRulesFile {
  const o = obj(json, at);
  return {
    rules: arr(o.rules, at.at('rules')).map((r, i) => {
      const rat = at.at('rules').at(i);
      const rule = obj(r, rat);
      return {
        when: known(rule.when, codes, 'abnormality', rat.at('when')),
        adds: known(rule.adds, codes, 'abnormality', rat.at('adds')),
        minMillimetresExclusive: num(rule.minMillimetresExclusive, rat.at('minMillimetresExclusive')),
        words: terms(rule.words, rat.at('words')),
      };
    }),
    smallerWords: terms(o.smallerWords, at.at('smallerWords')),
  };
}

/** sections.json. */
export function sections(json: unknown, at: At): SectionVocabulary {
  const o = obj(obj(json, at).sections, at.at('sections'));
  const out: Record<string, { skip: boolean; names: string[] }> = {};
  for (const [kind, def] of Object.entries(o)) {
    const d = obj(def, at.at('sections').at(kind));
    const skip = d.skip;
    if (typeof skip !== 'boolean') return at.at('sections').at(kind).at('skip').fail('expected true or false');
    out[kind] = { skip, names: strings(d.names, at.at('sections').at(kind).at('names')) };
  }
  return { sections: out };
}

/** sanity-rules.json. */
export function sanityRules(
  json: unknown,
  at: At,
  abnormalities: ReadonlySet<string>,
  locations: ReadonlySet<string>,
): SanityRulesFile {
  const o = obj(json, at);
  const by = obj(o.byOrganGroup, at.at('byOrganGroup'));
  const byOrganGroup: SanityRulesFile['byOrganGroup'] = Object.fromEntries(
    Object.entries(by).map(([group, def]) => {
      const gat = at.at('byOrganGroup').at(group);
      oneOf(group, GROUPS, gat);
      const d = obj(def, gat);
      return [
        group,
        {
          allowedGroups: strings(d.allowedGroups, gat.at('allowedGroups')).map((g, i) =>
            oneOf(g, GROUPS, gat.at('allowedGroups').at(i)),
          ),
          allowedLocations: strings(d.allowedLocations, gat.at('allowedLocations')).map((l, i) =>
            known(l, locations, 'location', gat.at('allowedLocations').at(i)),
          ),
          default: known(d.default, locations, 'location', gat.at('default')),
        },
      ];
    }),
  );
  const gen = obj(o.generic, at.at('generic'));
  const generic: Record<string, string[]> = {};
  for (const [code, list] of Object.entries(gen)) {
    const cat = at.at('generic').at(code);
    known(code, abnormalities, 'abnormality', cat);
    generic[code] = strings(list, cat).map((l, i) => known(l, locations, 'location', cat.at(i)));
  }
  return { byOrganGroup, generic };
}
