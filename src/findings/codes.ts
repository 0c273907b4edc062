// FindingCodes from the product's terminology: own codings first, then the ConceptMap targets that are equivalent
// (never a wider or narrower code presented as the same concept). Laterality, which SNOMED CT expresses as a
// qualifier (272741003), rides on bodySite as an extension next to the lateral-neutral structure code.
import type { CodeableConcept, Coding, ConceptMap } from 'fhir/r4.js';
import type { Terminology } from '../terminology/load.js';
import {
  CANONICAL_BASE,
  CT_ABNORMALITY,
  CT_LOCATION,
  MAP_ABNORMALITY_DICOM,
  MAP_ABNORMALITY_RADLEX,
  MAP_ABNORMALITY_SNOMED,
  MAP_LOCATION_SNOMED,
  RADLEX,
  SNOMED,
  SNOMED_LATERALITY,
} from '../terminology/systems.js';
import type { FindingCodes, Polarity } from './types.js';

export const LATERALITY_EXTENSION = `${CANONICAL_BASE}/StructureDefinition/body-site-laterality`;
export const WORKFLOW_SYSTEM = `${CANONICAL_BASE}/CodeSystem/ct-fhir-workflow`;

/** SNOMED CT present/absent and RadLex present/absent (../shared/reference/fhir-and-codes.md). */
const PRESENCE: Record<Polarity, CodeableConcept> = {
  present: {
    coding: [
      { system: SNOMED, code: '52101004', display: 'Present' },
      { system: RADLEX, code: 'RID28472', display: 'present' },
    ],
    text: 'Present',
  },
  absent: {
    coding: [
      { system: SNOMED, code: '272519000', display: 'Absent' },
      { system: RADLEX, code: 'RID28473', display: 'absent' },
    ],
    text: 'Absent',
  },
  // No confirmed SNOMED/RadLex code for "uncertain": the text carries it, interpretation IND codes it.
  uncertain: { text: 'Uncertain (hedged in the report)' },
};

interface Target {
  coding: Coding;
  laterality?: Coding;
}

function targetsOf(map: ConceptMap | undefined): Map<string, Target[]> {
  const out = new Map<string, Target[]>();
  for (const group of map?.group ?? []) {
    for (const el of group.element ?? []) {
      for (const t of el.target ?? []) {
        if (!el.code || !t.code || (t.equivalence !== 'equivalent' && t.equivalence !== 'equal')) continue;
        const lat = t.product?.find((p) => p.property === SNOMED_LATERALITY);
        const target: Target = { coding: { system: group.target, code: t.code, display: t.display } };
        if (lat?.value) target.laterality = { system: lat.system ?? SNOMED, code: lat.value, display: lat.display };
        out.set(el.code, [...(out.get(el.code) ?? []), target]);
      }
    }
  }
  return out;
}

/** Builds FindingCodes from a loaded terminology (computed once per terminology). */
export function findingCodes(t: Terminology): FindingCodes & { display(code: string): string } {
  const displays = new Map<string, string>();
  for (const url of [CT_ABNORMALITY, CT_LOCATION]) {
    for (const c of t.codeSystems.get(url)?.concept ?? []) displays.set(c.code, c.display ?? c.code);
  }
  const abnTargets = [MAP_ABNORMALITY_SNOMED, MAP_ABNORMALITY_RADLEX, MAP_ABNORMALITY_DICOM].map((u) =>
    targetsOf(t.conceptMaps.get(u)),
  );
  const locTargets = targetsOf(t.conceptMaps.get(MAP_LOCATION_SNOMED));
  const display = (code: string): string => displays.get(code) ?? code;
  return {
    display,
    abnormality: (code) => ({
      coding: [
        { system: CT_ABNORMALITY, code, display: display(code) },
        ...abnTargets.flatMap((m) => (m.get(code) ?? []).map((x) => x.coding)),
      ],
      text: display(code),
    }),
    location: (code) => {
      if (code === 'other_location') return undefined;
      const targets = locTargets.get(code) ?? [];
      const concept: CodeableConcept = {
        coding: [{ system: CT_LOCATION, code, display: display(code) }, ...targets.map((x) => x.coding)],
        text: display(code),
      };
      const laterality = targets.find((x) => x.laterality)?.laterality;
      if (laterality) concept.extension = [{ url: LATERALITY_EXTENSION, valueCoding: laterality }];
      return concept;
    },
    presence: (p) => structuredClone(PRESENCE[p]),
    methodSystem: WORKFLOW_SYSTEM,
    identifierSystem: (kind) => `${CANONICAL_BASE}/identifier/${kind}`,
  };
}
