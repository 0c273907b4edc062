// The code system a token parameter's values carry implicitly: a `code` element bound `required` to a value set of
// one code system (Patient.gender -> http://hl7.org/fhir/administrative-gender). Such codes are indexed without a
// system (the resource does not write one), so `gender=http://hl7.org/fhir/administrative-gender|male` is answered
// by also accepting rows without a system (search.html#token: "the code system ... may be implicit").
import { elementAt, isValueSetOnlySystem, singleSystemOf } from './elements.js';
import { splitTopLevel } from './registry.js';
import type { SearchParamDef } from './types.js';

const cache = new WeakMap<SearchParamDef, string | null>();
const DOTTED_PATH = /^[A-Z][A-Za-z]*(?:\.[a-z][A-Za-z0-9]*)+$/;

function compute(def: SearchParamDef): string | undefined {
  if (def.type !== 'token') return undefined;
  const systems = new Set<string | undefined>();
  // Every path of the expression must be such a code with the same system: rows without a system then can only be
  // its codes. Anything else (CodeableConcept, functions, casts) keeps explicit systems only.
  for (const part of splitTopLevel(def.expression, '|')) {
    const facts = DOTTED_PATH.test(part) ? elementAt(part) : undefined;
    const bound = facts?.types.length === 1 && facts.types[0] === 'code' ? facts.requiredValueSet : undefined;
    systems.add(bound === undefined ? undefined : singleSystemOf(bound));
  }
  const [only] = systems;
  return systems.size === 1 ? only : undefined;
}

/** The implicit code system of a token parameter's values, if every element it reads has the same one. */
export function implicitSystem(def: SearchParamDef): string | undefined {
  let system = cache.get(def);
  if (system === undefined) {
    system = compute(def) ?? null;
    cache.set(def, system);
  }
  return system ?? undefined;
}

/**
 * True when `system` is the implicit system of the parameter's codes. Systems that are no value set's only system
 * (identifier namespaces, most terminologies) are ruled out without reading the element definitions.
 */
export function isImplicitSystem(def: SearchParamDef, system: string): boolean {
  return isValueSetOnlySystem(system) && implicitSystem(def) === system;
}
