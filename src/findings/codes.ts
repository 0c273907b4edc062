// FindingCodes from the product's terminology: own codings first, then the ConceptMap targets that are equivalent
// (never a wider or narrower code presented as the same concept). Laterality, which SNOMED CT expresses as a
// qualifier (272741003), rides on bodySite as an extension next to the lateral-neutral structure code.
import type { CodeableConcept } from 'fhir/r4.js';
import { abnormalityConcept, locationConcept } from '../terminology/codings.js';
import type { Terminology } from '../terminology/load.js';
import {
  CANONICAL_BASE,
  CT_ABNORMALITY,
  CT_FHIR_WORKFLOW,
  CT_LOCATION,
  RADLEX,
  SNOMED,
} from '../terminology/systems.js';
import type { FindingCodes, Polarity } from './types.js';

export const LATERALITY_EXTENSION = `${CANONICAL_BASE}/StructureDefinition/body-site-laterality`;
/** Shipped as terminology/codesystem-ct-fhir-workflow.json, so receivers can $lookup and $validate-code its codes. */
export const WORKFLOW_SYSTEM = CT_FHIR_WORKFLOW;
/** The identifier system of the resources ct-fhir writes, by kind (finding, task, detected-issue). */
export const identifierSystem = (kind: string): string => `${CANONICAL_BASE}/identifier/${kind}`;

/**
 * SNOMED CT present/absent and RadLex present/absent (../shared/reference/fhir-and-codes.md), with the code systems'
 * own displays: SNOMED CT 272519000 is "Absence findings" (DICOM CID 241 says "Absent"; SNOMED's "Absent" is 2667000).
 */
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
      { system: SNOMED, code: '272519000', display: 'Absence findings' },
      { system: RADLEX, code: 'RID28473', display: 'absent' },
    ],
    text: 'Absent',
  },
  // No confirmed SNOMED/RadLex code for "uncertain": the text carries it, interpretation IND codes it.
  uncertain: { text: 'Uncertain (hedged in the report)' },
};

/** Builds FindingCodes from a loaded terminology (computed once per terminology). */
export function findingCodes(t: Terminology): FindingCodes & { display(code: string): string } {
  const displays = new Map<string, string>();
  for (const url of [CT_ABNORMALITY, CT_LOCATION]) {
    for (const c of t.codeSystems.get(url)?.concept ?? []) displays.set(c.code, c.display ?? c.code);
  }
  const display = (code: string): string => displays.get(code) ?? code;
  return {
    display,
    abnormality: (code) => abnormalityConcept(t, code),
    location: (code) => {
      if (code === 'other_location') return undefined;
      const { site, laterality } = locationConcept(t, code);
      const lat = laterality?.coding?.[0];
      if (lat) site.extension = [{ url: LATERALITY_EXTENSION, valueCoding: lat }];
      return site;
    },
    presence: (p) => structuredClone(PRESENCE[p]),
    methodSystem: WORKFLOW_SYSTEM,
    identifierSystem,
  };
}
