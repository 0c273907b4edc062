// Codings for report-derived Observations: an abnormality as its own code plus every confirmed SNOMED CT, RadLex
// and DICOM code (Observation.code), and a location as its own code plus SNOMED body structure and laterality
// (Observation.bodySite; DICOM SR to FHIR IG: site + laterality qualifier). Pure lookups over the loaded maps.
import type { CodeableConcept, Coding, ConceptMap } from 'fhir/r4.js';
import type { Terminology } from './load.js';
import {
  CT_ABNORMALITY,
  CT_LOCATION,
  MAP_ABNORMALITY_DICOM,
  MAP_ABNORMALITY_RADLEX,
  MAP_ABNORMALITY_SNOMED,
  MAP_LOCATION_SNOMED,
  SNOMED_LATERALITY,
} from './systems.js';

function display(t: Terminology, system: string, code: string): string | undefined {
  return t.codeSystems.get(system)?.concept?.find((c) => c.code === code)?.display;
}

// Only exact mappings go into a CodeableConcept: a coding there must mean the same thing as the others.
function equivalentTargets(map: ConceptMap | undefined, code: string): { coding: Coding; product: Coding[] }[] {
  const out: { coding: Coding; product: Coding[] }[] = [];
  for (const group of map?.group ?? []) {
    for (const el of group.element ?? []) {
      if (el.code !== code) continue;
      for (const target of el.target ?? []) {
        if ((target.equivalence !== 'equivalent' && target.equivalence !== 'equal') || !target.code) continue;
        const coding: Coding = {
          system: group.target,
          code: target.code,
          ...(target.display ? { display: target.display } : {}),
        };
        const product = (target.product ?? [])
          .filter((p) => p.property === SNOMED_LATERALITY && p.value)
          .map((p) => ({ system: p.system, code: p.value!, ...(p.display ? { display: p.display } : {}) }));
        out.push({ coding, product });
      }
    }
  }
  return out;
}

/** Observation.code for an abnormality: the ct-abnormality coding plus equivalent SNOMED CT, RadLex and DICOM codings. */
export function abnormalityConcept(t: Terminology, abnormality: string): CodeableConcept {
  const own = display(t, CT_ABNORMALITY, abnormality);
  const coding: Coding[] = [{ system: CT_ABNORMALITY, code: abnormality, ...(own ? { display: own } : {}) }];
  for (const url of [MAP_ABNORMALITY_SNOMED, MAP_ABNORMALITY_RADLEX, MAP_ABNORMALITY_DICOM]) {
    for (const m of equivalentTargets(t.conceptMaps.get(url), abnormality)) coding.push(m.coding);
  }
  return { coding, text: own ?? abnormality };
}

/** Observation.bodySite for a location: ct-location plus the equivalent SNOMED structure; laterality separately. */
export function locationConcept(
  t: Terminology,
  location: string,
): { site: CodeableConcept; laterality?: CodeableConcept } {
  const own = display(t, CT_LOCATION, location);
  const coding: Coding[] = [{ system: CT_LOCATION, code: location, ...(own ? { display: own } : {}) }];
  let laterality: CodeableConcept | undefined;
  for (const m of equivalentTargets(t.conceptMaps.get(MAP_LOCATION_SNOMED), location)) {
    coding.push(m.coding);
    if (m.product[0]) laterality = { coding: [m.product[0]] };
  }
  return { site: { coding, text: own ?? location }, ...(laterality ? { laterality } : {}) };
}
