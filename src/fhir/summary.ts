// _summary and _elements (http://hl7.org/fhir/R4/search.html#summary, #elements): resources trimmed to the summary
// elements of their StructureDefinition or to the named elements, marked with the SUBSETTED tag. Mandatory elements
// (min > 0 in the R4 StructureDefinition) are always kept, so a subsetted resource still reads as valid.
import type { Coding, Resource } from 'fhir/r4.js';
import { topLevelElements } from './search/elements.js';

const SUBSETTED: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
};
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

const summaryElements = new Map<string, Set<string>>();
const mandatoryElements = new Map<string, Set<string>>();

/** Top-level element names of a resource type that pass `test`, cached per type. */
function namesOf(
  cache: Map<string, Set<string>>,
  resourceType: string,
  test: (f: { min: number; isSummary: boolean }) => boolean,
): Set<string> {
  let names = cache.get(resourceType);
  if (!names) {
    names = new Set(topLevelElements(resourceType).flatMap(([name, facts]) => (test(facts) ? [name] : [])));
    cache.set(resourceType, names);
  }
  return names;
}

/** Top-level elements flagged isSummary. */
const summaryFor = (type: string): Set<string> => namesOf(summaryElements, type, (f) => f.isSummary);
/** Top-level elements with min > 0 (Observation.status and code). */
const mandatoryFor = (type: string): Set<string> => namesOf(mandatoryElements, type, (f) => f.min > 0);

/** True when key is one of names or a choice element of one (valueQuantity for value). */
function named(names: Set<string>, key: string): boolean {
  if (names.has(key)) return true;
  for (const n of names) if (key.startsWith(n) && /^[A-Z]/.test(key.slice(n.length))) return true;
  return false;
}

function keep(resource: Resource, allowed: (key: string) => boolean): Resource {
  const mandatory = mandatoryFor(resource.resourceType);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (ALWAYS.has(key) || named(mandatory, key) || allowed(key)) out[key] = value;
  }
  const meta = { ...(resource.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []), SUBSETTED];
  out.meta = meta;
  return out as unknown as Resource;
}

/**
 * Applies `_summary=true|text|data` or `_elements` to one resource; other values leave it unchanged. Every subset
 * keeps id, meta and the mandatory elements; `text` keeps the narrative besides.
 */
export function subset(resource: Resource, summary: string | undefined, elements: string[] | undefined): Resource {
  if (elements && elements.length > 0) {
    const wanted = new Set(elements.map((e) => e.split('.').pop()!));
    return keep(resource, (key) => named(wanted, key));
  }
  switch (summary) {
    case 'true': {
      const names = summaryFor(resource.resourceType);
      return keep(resource, (key) => named(names, key));
    }
    case 'text':
      return keep(resource, (key) => key === 'text');
    case 'data':
      return keep(resource, (key) => key !== 'text');
    default:
      return resource;
  }
}
