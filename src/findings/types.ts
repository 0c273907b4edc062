// Inputs of the finding builders: what the report extractor and the image classifier produce, and the coded
// concepts the terminology supplies. Kept here so findings/ depends on neither extractor nor model internals.
import type { CodeableConcept, Coding, Reference } from 'fhir/r4.js';

export type Polarity = 'present' | 'absent' | 'uncertain';

/** One report-derived finding (reports/extract.ts Finding). */
export interface ReportFindingInput {
  abnormality: string;
  location: string;
  polarity: Polarity;
  evidence: { section: string; sentence: string; start: number; end: number };
}

/** One model output (imaging/model runtime). */
export interface AiFindingInput {
  abnormality: string;
  location: string | null;
  probability: number;
  positive: boolean;
  threshold: number;
}

/** Coded concepts for the product's own codes (CodeSystems + confirmed ConceptMap targets). */
export interface FindingCodes {
  /** Observation.code for an abnormality: own coding first, then confirmed SNOMED CT / RadLex / DICOM codings. */
  abnormality(code: string): CodeableConcept;
  /** Observation.bodySite for a location (undefined for other_location). */
  location(code: string): CodeableConcept | undefined;
  /** Codings for present / absent / uncertain (valueCodeableConcept). */
  presence(polarity: Polarity): CodeableConcept;
  /** Canonical URL of the product's Observation.method CodeSystem. */
  methodSystem: string;
  /** Namespace for stable identifiers (finding, device, provenance, organization). */
  identifierSystem(kind: 'finding' | 'device' | 'organization' | 'task' | 'detected-issue'): string;
}

/** The Organization running ct-fhir (Provenance.agent.onBehalfOf) and the Device that authored the findings. */
export interface Authorship {
  organization: Reference;
  device: Reference;
}

export const OBSERVATION_CATEGORY: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/observation-category',
  code: 'imaging',
  display: 'Imaging',
};

export const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** Observation.method codes (FindingCodes.methodSystem) telling the two kinds of findings apart. */
export const AI_METHOD = 'ai-image-classification';
export const REPORT_METHOD = 'report-label-extraction';
