// Terminology operations over the loaded code systems and concept maps, returning FHIR Parameters:
// CodeSystem/$lookup (http://hl7.org/fhir/R4/codesystem-operation-lookup.html),
// CodeSystem/$validate-code (http://hl7.org/fhir/R4/codesystem-operation-validate-code.html) and
// ConceptMap/$translate (http://hl7.org/fhir/R4/conceptmap-operation-translate.html). Pure: no I/O; errors are
// OperationOutcomeErrors (400 bad input, 404 unknown system, map or code) for the HTTP layer to return.
import type {
  CodeSystem,
  CodeSystemConcept,
  Coding,
  ConceptMap,
  ConceptMapGroupElementTarget,
  Parameters,
  ParametersParameter,
} from 'fhir/r4.js';
import { badRequest, notFound } from '../fhir/outcomes.js';
import type { Terminology } from './load.js';

/** Builds a Parameters resource from query-string values (`?system=..&code=..`), one parameter per value. */
export function parametersFromQuery(
  query: Readonly<Record<string, string | readonly string[] | undefined>>,
): Parameters {
  const parameter: ParametersParameter[] = [];
  for (const [name, raw] of Object.entries(query)) {
    if (raw === undefined) continue;
    for (const value of typeof raw === 'string' ? [raw] : raw) {
      if (name === 'coding') {
        const [system, code] = splitToken(value);
        parameter.push({ name, valueCoding: { ...(system ? { system } : {}), code } });
      } else parameter.push({ name, valueString: value });
    }
  }
  return { resourceType: 'Parameters', parameter };
}

function splitToken(value: string): [string | undefined, string] {
  const bar = value.lastIndexOf('|');
  return bar < 0 ? [undefined, value] : [value.slice(0, bar), value.slice(bar + 1)];
}

function params(p: Parameters | undefined, name: string): ParametersParameter[] {
  return (p?.parameter ?? []).filter((x) => x.name === name);
}

/** A primitive input: valueString/valueUri/valueCode/valueCanonical/valueBoolean as text. */
function primitive(p: Parameters | undefined, name: string): string | undefined {
  const x = params(p, name)[0];
  if (!x) return undefined;
  const v = x.valueUri ?? x.valueCode ?? x.valueString ?? x.valueCanonical ?? x.valueUrl;
  if (v !== undefined) return v;
  if (x.valueBoolean !== undefined) return String(x.valueBoolean);
  throw badRequest(`parameter "${name}" has no primitive value`, `Parameters.parameter.where(name='${name}')`);
}

/** The coding an operation is asked about: `coding`, else `codeableConcept` (first coding), else `system` + `code`. */
function inputCoding(
  p: Parameters | undefined,
  systemParam: string,
): { system?: string; code: string; display?: string } {
  const coding =
    params(p, 'coding')[0]?.valueCoding ?? params(p, 'codeableConcept')[0]?.valueCodeableConcept?.coding?.[0];
  const code = coding?.code ?? primitive(p, 'code');
  if (!code) throw badRequest('a code is required (code, coding or codeableConcept)', 'Parameters');
  const system = coding?.system ?? primitive(p, systemParam);
  const display = coding?.display ?? primitive(p, 'display');
  return { code, ...(system ? { system } : {}), ...(display ? { display } : {}) };
}

function codeSystem(t: Terminology, url: string | undefined): CodeSystem {
  if (!url) throw badRequest('the code system is required (system or url)', 'Parameters');
  const cs = t.codeSystems.get(url);
  if (!cs) throw notFound(`unknown code system "${url}"; known: ${[...t.codeSystems.keys()].join(', ')}`);
  return cs;
}

function findConcept(cs: CodeSystem, code: string): CodeSystemConcept | undefined {
  return (cs.concept ?? []).find((c) => c.code === code);
}

/** CodeSystem/$lookup: name, version, display, definition and properties of a code. */
export function lookup(t: Terminology, input: Parameters | undefined): Parameters {
  const { system, code } = inputCoding(input, 'system');
  const cs = codeSystem(t, system);
  const concept = findConcept(cs, code);
  if (!concept) throw notFound(`code "${code}" is not in ${cs.url}`);
  const parameter: ParametersParameter[] = [
    { name: 'name', valueString: cs.name ?? cs.id ?? 'CodeSystem' },
    ...(cs.version ? [{ name: 'version', valueString: cs.version }] : []),
    { name: 'display', valueString: concept.display ?? concept.code },
  ];
  if (concept.definition) {
    parameter.push({
      name: 'property',
      part: [
        { name: 'code', valueCode: 'definition' },
        { name: 'value', valueString: concept.definition },
      ],
    });
  }
  for (const prop of concept.property ?? []) {
    const value: ParametersParameter =
      prop.valueCode !== undefined
        ? { name: 'value', valueCode: prop.valueCode }
        : prop.valueInteger !== undefined
          ? { name: 'value', valueInteger: prop.valueInteger }
          : { name: 'value', valueString: String(prop.valueString ?? prop.valueBoolean ?? '') };
    parameter.push({ name: 'property', part: [{ name: 'code', valueCode: prop.code }, value] });
  }
  return { resourceType: 'Parameters', parameter };
}

/** CodeSystem/$validate-code: result true when the code exists (and the display, if given, matches). */
export function validateCode(t: Terminology, input: Parameters | undefined): Parameters {
  const concept = params(input, 'codeableConcept')[0]?.valueCodeableConcept;
  if (concept?.coding?.length) return validateConcept(t, input, concept.coding);
  const { system, code, display } = inputCoding(input, 'url');
  return checkCode(codeSystem(t, system ?? primitive(input, 'system')), code, display);
}

/**
 * A codeableConcept is valid when one of its codings is (R4 CodeSystem-validate-code): its codings in the code system
 * `url` names, or without `url` those in a code system the server has; the first failure explains a false.
 */
function validateConcept(t: Terminology, input: Parameters | undefined, codings: Coding[]): Parameters {
  const url = primitive(input, 'url');
  const candidates = codings.filter((c) =>
    url ? !c.system || c.system === url : c.system && t.codeSystems.has(c.system),
  );
  if (candidates.length === 0) {
    if (url)
      codeSystem(t, url); // 404 for an unknown code system
    else
      throw badRequest('no coding of the codeableConcept is in a code system this server has; give url', 'Parameters');
    return validationResult(false, `no coding of the codeableConcept is in ${url}`);
  }
  const results = candidates.map((c) => checkCode(codeSystem(t, url ?? c.system), c.code ?? '', c.display));
  return results.find((r) => r.parameter?.[0]?.valueBoolean) ?? results[0]!;
}

function validationResult(result: boolean, message?: string, shown?: string): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'result', valueBoolean: result },
      ...(message ? [{ name: 'message', valueString: message }] : []),
      ...(shown ? [{ name: 'display', valueString: shown }] : []),
    ],
  };
}

/** Whether `code` is in `cs` (and `display`, when given, is its display). */
function checkCode(cs: CodeSystem, code: string, display: string | undefined): Parameters {
  const concept = findConcept(cs, code);
  if (!concept) return validationResult(false, `code "${code}" is not in ${cs.url}`);
  const shown = concept.display ?? concept.code;
  if (display !== undefined && display !== shown) {
    return validationResult(false, `display "${display}" does not match "${shown}" for code "${code}"`, shown);
  }
  return validationResult(true, undefined, shown);
}

interface Dependency {
  element: string;
  codings: Coding[];
}

function dependencies(input: Parameters | undefined): Dependency[] {
  return params(input, 'dependency').map((d, i) => {
    const element = d.part?.find((x) => x.name === 'element')?.valueUri;
    const concept = d.part?.find((x) => x.name === 'concept')?.valueCodeableConcept;
    if (!element || !concept?.coding?.length) {
      throw badRequest(
        'dependency needs an element (uri) and a concept (CodeableConcept)',
        `Parameters.parameter.where(name='dependency')[${i}]`,
      );
    }
    return { element, codings: concept.coding };
  });
}

function dependsOnHolds(target: ConceptMapGroupElementTarget, deps: Dependency[]): boolean {
  return (target.dependsOn ?? []).every((d) =>
    deps.some(
      (dep) =>
        dep.element === d.property &&
        dep.codings.some((c) => c.code === d.value && (!d.system || !c.system || c.system === d.system)),
    ),
  );
}

function selectMaps(t: Terminology, url: string | undefined): ConceptMap[] {
  if (!url) return [...t.conceptMaps.values()];
  const map = t.conceptMaps.get(url);
  if (!map) throw notFound(`unknown concept map "${url}"`);
  return [map];
}

function coding(system: string | undefined, code: string, display: string | undefined): Coding {
  return { ...(system ? { system } : {}), code, ...(display ? { display } : {}) };
}

/** One `match` output parameter: equivalence, concept, products (e.g. laterality qualifiers) and source map. */
function matchParameter(map: ConceptMap, target: ConceptMapGroupElementTarget, concept: Coding): ParametersParameter {
  const part: ParametersParameter[] = [
    { name: 'equivalence', valueCode: target.equivalence },
    { name: 'concept', valueCoding: concept },
  ];
  for (const p of target.product ?? []) {
    part.push({
      name: 'product',
      part: [
        { name: 'element', valueUri: p.property },
        { name: 'concept', valueCoding: coding(p.system, p.value ?? '', p.display) },
      ],
    });
  }
  if (map.url) part.push({ name: 'source', valueUri: map.url });
  return { name: 'match', part };
}

interface TranslateQuery {
  system: string | undefined;
  code: string;
  targetSystem: string | undefined;
  reverse: boolean;
  deps: Dependency[];
}

/** Matches of one group; `needsDependency` when a target was skipped for want of its dependsOn. */
function groupMatches(
  map: ConceptMap,
  group: NonNullable<ConceptMap['group']>[number],
  q: TranslateQuery,
): { matches: ParametersParameter[]; needsDependency: boolean } {
  const out = { matches: [] as ParametersParameter[], needsDependency: false };
  const [from, to] = q.reverse ? [group.target, group.source] : [group.source, group.target];
  if ((q.system && from !== q.system) || (q.targetSystem && to !== q.targetSystem)) return out;
  for (const el of group.element ?? []) {
    for (const target of el.target ?? []) {
      if (target.equivalence === 'unmatched') continue;
      const [have, give, display] = q.reverse
        ? [target.code, el.code, el.display]
        : [el.code, target.code, target.display];
      if (have !== q.code || !give) continue;
      if (!q.reverse && !dependsOnHolds(target, q.deps)) {
        out.needsDependency = true;
        continue;
      }
      out.matches.push(matchParameter(map, target, coding(to, give, display)));
    }
  }
  return out;
}

/** ConceptMap/$translate: matches of a code (with its dependencies, e.g. the finding location) in the maps. */
export function translate(t: Terminology, input: Parameters | undefined): Parameters {
  const { system, code } = inputCoding(input, 'system');
  const q: TranslateQuery = {
    system,
    code,
    targetSystem: primitive(input, 'targetsystem'),
    reverse: primitive(input, 'reverse') === 'true',
    deps: dependencies(input),
  };
  const matches: ParametersParameter[] = [];
  let needsDependency = false;
  for (const map of selectMaps(t, primitive(input, 'url') ?? primitive(input, 'conceptMap'))) {
    for (const group of map.group ?? []) {
      const r = groupMatches(map, group, q);
      matches.push(...r.matches);
      needsDependency ||= r.needsDependency;
    }
  }
  const message =
    matches.length > 0
      ? undefined
      : needsDependency
        ? `no match for "${code}" without a dependency (mappings depend on the finding location)`
        : `no mapping for "${code}"${system ? ` from ${system}` : ''}`;
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'result', valueBoolean: matches.length > 0 },
      ...(message ? [{ name: 'message', valueString: message }] : []),
      ...matches,
    ],
  };
}

/** The terminology resources served read-only (GET /CodeSystem/{id}, /ConceptMap/{id}); undefined when unknown. */
export function terminologyResource(
  t: Terminology,
  type: 'CodeSystem' | 'ConceptMap',
  id: string,
): CodeSystem | ConceptMap | undefined {
  const pool: Iterable<CodeSystem | ConceptMap> =
    type === 'CodeSystem' ? t.codeSystems.values() : t.conceptMaps.values();
  for (const r of pool) if (r.id === id) return r;
  return undefined;
}
