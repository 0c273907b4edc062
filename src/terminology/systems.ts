// Canonical URLs of the product's own terminology and of the external systems it maps to. All own resources live
// under one base, https://ct-fhir.example/fhir (".example" is reserved by RFC 2606, so it can never clash with a
// real publisher); a deployment serves them at its own BASE_URL with these canonical URLs unchanged.

/** Base of every canonical URL ct-fhir publishes. */
export const CANONICAL_BASE = 'https://ct-fhir.example/fhir';

/** CodeSystem: the 83 RAD-ChestCT abnormalities + other_disease. */
export const CT_ABNORMALITY = `${CANONICAL_BASE}/CodeSystem/ct-abnormality`;
/** CodeSystem: the 51 RAD-ChestCT locations + other_location. */
export const CT_LOCATION = `${CANONICAL_BASE}/CodeSystem/ct-location`;
/** CodeSystem: the 18 CT-RATE labels. */
export const CT_RATE_18 = `${CANONICAL_BASE}/CodeSystem/ct-rate-18`;
/** CodeSystem: workflow codes on what ct-fhir writes (Observation.method, Task.code/statusReason, DetectedIssue.code). */
export const CT_FHIR_WORKFLOW = `${CANONICAL_BASE}/CodeSystem/ct-fhir-workflow`;

/** ConceptMaps (canonical URLs). */
export const MAP_ABNORMALITY_SNOMED = `${CANONICAL_BASE}/ConceptMap/ct-abnormality-to-snomed`;
export const MAP_ABNORMALITY_RADLEX = `${CANONICAL_BASE}/ConceptMap/ct-abnormality-to-radlex`;
export const MAP_ABNORMALITY_DICOM = `${CANONICAL_BASE}/ConceptMap/ct-abnormality-to-dicom`;
export const MAP_LOCATION_SNOMED = `${CANONICAL_BASE}/ConceptMap/ct-location-to-snomed`;
export const MAP_ABNORMALITY_CT_RATE = `${CANONICAL_BASE}/ConceptMap/ct-abnormality-to-ct-rate-18`;

/** External systems. */
export const SNOMED = 'http://snomed.info/sct';
export const RADLEX = 'http://radlex.org';
export const DICOM_DCM = 'http://dicom.nema.org/resources/ontology/DCM';
/** SNOMED CT attributes used as ConceptMap properties: finding site and laterality. */
export const SNOMED_FINDING_SITE = 'http://snomed.info/id/363698007';
export const SNOMED_LATERALITY = 'http://snomed.info/id/272741003';
