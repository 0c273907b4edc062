// The US Core 5.0.1 groups of Inferno's test kit for the profiles ct-fhir claims (metadata.yml of each
// lib/us_core_test_kit/generated/v5.0.1 group: search parameters, the searches in test order, must-support elements
// and references; comparators are the SHALL ones), what ct-fhir's output lacks of them and why, and profile
// conformance: the project's validator where it ships the profile, the profile's rules otherwise.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from 'fhir/r4.js';
import { checkResource } from '../../../src/fhir/validation.js';
import { DEFAULT_TERMINOLOGY_DIR } from '../../../src/terminology/load.js';
import {
  children,
  codingIn,
  emptyElements,
  present,
  resolvePath,
  type GroupSpec,
  type Json,
  type ParamDef,
} from './matching.js';

const TERM = 'http://terminology.hl7.org/CodeSystem/';
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const DR_CATEGORIES = ['LP29684-5', 'LP29708-2', 'LP7839-6'];
const SR_CATEGORIES = [
  ...['sdoh', '386053000', '410606002', '108252007', '363679005', '409063005', '409073007', '387713003'],
];
const patientParam: ParamDef = { path: 'subject', type: 'Reference' };
const status = (values: string[]): ParamDef => ({ path: 'status', type: 'token', values });
const profile = (name: string): string => `http://hl7.org/fhir/us/core/StructureDefinition/us-core-${name}`;

export const PATIENT: GroupSpec = {
  id: 'us_core_v501_patient',
  type: 'Patient',
  profile: profile('patient'),
  params: {
    _id: { path: 'id', type: 'token' },
    identifier: { path: 'identifier', type: 'Identifier' },
    name: { path: 'name', type: 'HumanName' },
    birthdate: { path: 'birthDate', type: 'date' },
    family: { path: 'name.family', type: 'string' },
    gender: { path: 'gender', type: 'token' },
  },
  searches: [
    { id: 'us_core_v501_patient__id_search_test', names: ['_id'], first: true, post: true, perPatient: true },
    { id: 'us_core_v501_patient_identifier_search_test', names: ['identifier'], tokens: ['identifier'] },
    { id: 'us_core_v501_patient_name_search_test', names: ['name'] },
    { id: 'us_core_v501_patient_birthdate_family_search_test', names: ['birthdate', 'family'] },
    { id: 'us_core_v501_patient_birthdate_name_search_test', names: ['birthdate', 'name'] },
    { id: 'us_core_v501_patient_family_gender_search_test', names: ['family', 'gender'] },
    { id: 'us_core_v501_patient_gender_name_search_test', names: ['gender', 'name'] },
  ],
  provenanceExpected: false,
  mustSupport: [
    ...['identifier', 'identifier.system', 'identifier.value', 'name', 'name.family', 'name.given', 'gender'],
    ...['birthDate', 'address', 'address.line', 'address.city', 'address.state', 'address.postalCode'],
  ],
  slices: [],
  gaps: {},
  references: [],
  unconfirmed: {},
};

export const OBSERVATION: GroupSpec = {
  id: 'us_core_v501_observation_imaging',
  type: 'Observation',
  profile: profile('observation-imaging'),
  params: {
    patient: patientParam,
    category: { path: 'category', type: 'CodeableConcept', values: ['imaging'] },
    date: { path: 'effective', type: 'date' },
    code: { path: 'code', type: 'CodeableConcept' },
    status: status([
      ...['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'],
    ]),
  },
  searches: [
    {
      id: 'us_core_v501_observation_imaging_patient_category_search_test',
      names: ['patient', 'category'],
      first: true,
      fixed: true,
      post: true,
      referenceVariants: true,
      tokens: ['category'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_observation_imaging_patient_category_date_search_test',
      names: ['patient', 'category', 'date'],
      tokens: ['category'],
      comparators: ['date'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_observation_imaging_patient_code_search_test',
      names: ['patient', 'code'],
      tokens: ['code'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_observation_imaging_patient_code_date_search_test',
      names: ['patient', 'code', 'date'],
      tokens: ['code'],
      comparators: ['date'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_observation_imaging_patient_category_status_search_test',
      names: ['patient', 'category', 'status'],
      tokens: ['category'],
      multipleOr: ['status'],
      perPatient: true,
    },
  ],
  provenanceExpected: true,
  mustSupport: [
    ...['status', 'category', 'code', 'subject', 'effectiveDateTime', 'valueQuantity', 'valueCodeableConcept'],
    'valueString',
  ],
  slices: [
    {
      name: 'Observation.category:imaging',
      path: 'category',
      match: codingIn(`${TERM}observation-category`, ['imaging']),
    },
  ],
  gaps: {
    valueString: 'findings are a probability (valueQuantity) or present/absent (valueCodeableConcept), never text',
  },
  references: [{ path: 'subject', targets: [profile('patient')] }],
  unconfirmed: {},
};

export const DIAGNOSTIC_REPORT: GroupSpec = {
  id: 'us_core_v501_diagnostic_report_note',
  type: 'DiagnosticReport',
  profile: profile('diagnosticreport-note'),
  params: {
    patient: patientParam,
    category: { path: 'category', type: 'CodeableConcept', values: DR_CATEGORIES },
    date: { path: 'effective', type: 'date' },
    status: status([
      ...['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled'],
      ...['entered-in-error', 'unknown'],
    ]),
    code: { path: 'code', type: 'CodeableConcept' },
  },
  searches: [
    {
      id: 'us_core_v501_diagnostic_report_note_patient_category_search_test',
      names: ['patient', 'category'],
      first: true,
      fixed: true,
      post: true,
      referenceVariants: true,
      tokens: ['category'],
      perPatient: true,
    },
    { id: 'us_core_v501_diagnostic_report_note_patient_search_test', names: ['patient'], perPatient: true },
    {
      id: 'us_core_v501_diagnostic_report_note_patient_category_date_search_test',
      names: ['patient', 'category', 'date'],
      tokens: ['category'],
      comparators: ['date'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_diagnostic_report_note_patient_status_search_test',
      names: ['patient', 'status'],
      multipleOr: ['status'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_diagnostic_report_note_patient_code_search_test',
      names: ['patient', 'code'],
      tokens: ['code'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_diagnostic_report_note_patient_code_date_search_test',
      names: ['patient', 'code', 'date'],
      tokens: ['code'],
      comparators: ['date'],
      perPatient: true,
    },
  ],
  provenanceExpected: true,
  mustSupport: [
    ...['status', 'category', 'code', 'subject', 'encounter', 'effectiveDateTime', 'issued', 'performer', 'result'],
    ...['media', 'media.link', 'presentedForm'],
  ],
  slices: [{ name: 'DiagnosticReport.category:us-core', path: 'category', match: codingIn(LOINC, DR_CATEGORIES) }],
  gaps: {
    media: 'reports carry no key images',
    'media.link': 'reports carry no key images',
  },
  references: [
    { path: 'subject', targets: [profile('patient')] },
    { path: 'encounter', targets: [profile('encounter')] },
    { path: 'performer', targets: [profile('practitioner'), profile('organization')] },
    {
      path: 'result',
      targets: [profile('observation-lab'), profile('observation-clinical-test'), profile('observation-imaging')],
    },
  ],
  unconfirmed: {
    [`performer(${profile('practitioner')})`]: 'the AI summary report is performed by the Organization',
    [`result(${profile('observation-lab')})`]: 'results are imaging findings, not lab results',
    [`result(${profile('observation-clinical-test')})`]: 'results are imaging findings, not clinical tests',
  },
};

export const SERVICE_REQUEST: GroupSpec = {
  id: 'us_core_v501_service_request',
  type: 'ServiceRequest',
  profile: profile('servicerequest'),
  params: {
    patient: patientParam,
    _id: { path: 'id', type: 'token' },
    category: { path: 'category', type: 'CodeableConcept', values: SR_CATEGORIES },
    authored: { path: 'authoredOn', type: 'dateTime' },
    status: status(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']),
    code: { path: 'code', type: 'CodeableConcept' },
  },
  searches: [
    {
      id: 'us_core_v501_service_request_patient_search_test',
      names: ['patient'],
      first: true,
      post: true,
      referenceVariants: true,
      perPatient: true,
    },
    { id: 'us_core_v501_service_request__id_search_test', names: ['_id'] },
    {
      id: 'us_core_v501_service_request_patient_category_authored_search_test',
      names: ['patient', 'category', 'authored'],
      tokens: ['category'],
      comparators: ['authored'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_service_request_patient_status_search_test',
      names: ['patient', 'status'],
      multipleOr: ['status'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_service_request_patient_code_search_test',
      names: ['patient', 'code'],
      tokens: ['code'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_service_request_patient_code_authored_search_test',
      names: ['patient', 'code', 'authored'],
      tokens: ['code'],
      comparators: ['authored'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_service_request_patient_category_search_test',
      names: ['patient', 'category'],
      tokens: ['category'],
      perPatient: true,
    },
  ],
  provenanceExpected: false,
  mustSupport: ['status', 'intent', 'category', 'code', 'subject', 'occurrencePeriod', 'authoredOn', 'requester'],
  slices: [
    {
      name: 'ServiceRequest.category:us-core',
      path: 'category',
      match: (c) => codingIn(SCT, SR_CATEGORIES)(c) || codingIn(undefined, ['sdoh'])(c),
    },
  ],
  gaps: { occurrencePeriod: 'the HL7 v2 order mapping sets no occurrence (ORC/OBR give no requested period)' },
  references: [
    { path: 'subject', targets: [profile('patient')] },
    { path: 'requester', targets: [profile('practitioner')] },
  ],
  unconfirmed: {
    [`requester(${profile('practitioner')})`]:
      'ORC-12/OBR-16 become a logical reference (identifier and display), which Inferno cannot read',
  },
};

const NOTE_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category';

/** The report texts of HL7 v2 ORU^R01 reports (US Core clinical notes guidance; src/hl7v2/mapping/clinical-note.ts). */
export const DOCUMENT_REFERENCE: GroupSpec = {
  id: 'us_core_v501_document_reference',
  type: 'DocumentReference',
  profile: profile('documentreference'),
  params: {
    _id: { path: 'id', type: 'token' },
    patient: patientParam,
    category: { path: 'category', type: 'CodeableConcept' },
    date: { path: 'date', type: 'date' },
    status: status(['current', 'superseded', 'entered-in-error']),
    type: { path: 'type', type: 'CodeableConcept' },
    period: { path: 'context.period', type: 'date' },
  },
  searches: [
    {
      id: 'us_core_v501_document_reference_patient_search_test',
      names: ['patient'],
      first: true,
      post: true,
      referenceVariants: true,
      perPatient: true,
    },
    { id: 'us_core_v501_document_reference__id_search_test', names: ['_id'] },
    {
      id: 'us_core_v501_document_reference_patient_category_date_search_test',
      names: ['patient', 'category', 'date'],
      tokens: ['category'],
      comparators: ['date'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_document_reference_patient_status_search_test',
      names: ['patient', 'status'],
      multipleOr: ['status'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_document_reference_patient_category_search_test',
      names: ['patient', 'category'],
      tokens: ['category'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_document_reference_patient_type_period_search_test',
      names: ['patient', 'type', 'period'],
      tokens: ['type'],
      comparators: ['period'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_document_reference_patient_type_search_test',
      names: ['patient', 'type'],
      tokens: ['type'],
      perPatient: true,
    },
  ],
  provenanceExpected: false,
  mustSupport: [
    ...['identifier', 'status', 'type', 'category', 'subject', 'date', 'author', 'content', 'content.attachment'],
    ...['content.attachment.contentType', 'content.attachment.data', 'content.attachment.url', 'content.format'],
    ...['context', 'context.encounter', 'context.period'],
  ],
  slices: [
    { name: 'DocumentReference.category:us-core', path: 'category', match: codingIn(NOTE_CATEGORY, ['clinical-note']) },
  ],
  gaps: {
    // Inferno's must-support test takes the choice data | url as met by either.
    'content.attachment.data': 'the attachment points at the Binary (url), the choice data | url Inferno accepts',
  },
  references: [
    { path: 'subject', targets: [profile('patient')] },
    { path: 'author', targets: [profile('practitioner')] },
    { path: 'context.encounter', targets: [profile('encounter')] },
  ],
  unconfirmed: {
    [`author(${profile('practitioner')})`]:
      'OBR-32 becomes a logical reference (identifier and display), which Inferno cannot read',
  },
};

const ENCOUNTER_CLASSES = ['AMB', 'EMER', 'FLD', 'HH', 'IMP', 'ACUTE', 'NONAC', 'OBSENC', 'PRENC', 'SS', 'VR'];
/** Must-support elements the HL7 v2 PV1 mapping does not fill (PV1-3, PV1-36, DG1 and PV1-7's role are not mapped). */
const PV1_UNMAPPED = 'the HL7 v2 PV1 mapping (mappings/segments/pv1-encounter.json) does not map it';

export const ENCOUNTER: GroupSpec = {
  id: 'us_core_v501_encounter',
  type: 'Encounter',
  profile: profile('encounter'),
  params: {
    _id: { path: 'id', type: 'token' },
    identifier: { path: 'identifier', type: 'Identifier' },
    patient: patientParam,
    'discharge-disposition': { path: 'hospitalization.dischargeDisposition', type: 'CodeableConcept' },
    class: { path: 'class', type: 'Coding', values: ENCOUNTER_CLASSES },
    location: { path: 'location.location', type: 'Reference' },
    date: { path: 'period', type: 'date' },
    status: status([
      ...['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error'],
      'unknown',
    ]),
    type: { path: 'type', type: 'CodeableConcept' },
  },
  searches: [
    {
      id: 'us_core_v501_encounter_patient_search_test',
      names: ['patient'],
      first: true,
      post: true,
      referenceVariants: true,
      perPatient: true,
    },
    { id: 'us_core_v501_encounter__id_search_test', names: ['_id'] },
    { id: 'us_core_v501_encounter_identifier_search_test', names: ['identifier'], tokens: ['identifier'] },
    {
      id: 'us_core_v501_encounter_patient_discharge_disposition_search_test',
      names: ['patient', 'discharge-disposition'],
      tokens: ['discharge-disposition'],
      perPatient: true,
      skip: `no Encounter has hospitalization.dischargeDisposition: ${PV1_UNMAPPED} (PV1-36)`,
    },
    {
      id: 'us_core_v501_encounter_class_patient_search_test',
      names: ['class', 'patient'],
      tokens: ['class'],
      perPatient: true,
    },
    {
      id: 'us_core_v501_encounter_patient_location_search_test',
      names: ['patient', 'location'],
      perPatient: true,
      skip: `no Encounter has location.location: ${PV1_UNMAPPED} (PV1-3)`,
    },
    {
      id: 'us_core_v501_encounter_date_patient_search_test',
      names: ['date', 'patient'],
      comparators: ['date'],
      perPatient: true,
    },
    { id: 'us_core_v501_encounter_patient_status_search_test', names: ['patient', 'status'], perPatient: true },
    {
      id: 'us_core_v501_encounter_patient_type_search_test',
      names: ['patient', 'type'],
      tokens: ['type'],
      perPatient: true,
    },
  ],
  provenanceExpected: false,
  mustSupport: [
    ...['identifier', 'identifier.system', 'identifier.value', 'status', 'class', 'type', 'subject', 'participant'],
    ...['participant.type', 'participant.period', 'participant.individual', 'period', 'reasonCode'],
    ...['reasonReference', 'hospitalization', 'hospitalization.dischargeDisposition', 'location'],
    ...['location.location', 'serviceProvider'],
  ],
  slices: [],
  gaps: {
    'participant.type': `${PV1_UNMAPPED} (PV1-7 gives the attending doctor, not a participant type)`,
    'participant.period': PV1_UNMAPPED,
    reasonCode: `${PV1_UNMAPPED} (PV2-3, DG1)`,
    reasonReference: `${PV1_UNMAPPED} (PV2-3, DG1)`,
    hospitalization: `${PV1_UNMAPPED} (PV1-36)`,
    'hospitalization.dischargeDisposition': `${PV1_UNMAPPED} (PV1-36)`,
    location: `${PV1_UNMAPPED} (PV1-3)`,
    'location.location': `${PV1_UNMAPPED} (PV1-3)`,
    serviceProvider: `${PV1_UNMAPPED} (PV1-3)`,
  },
  references: [
    { path: 'subject', targets: [profile('patient')] },
    { path: 'participant.individual', targets: [profile('practitioner')] },
    {
      path: 'reasonReference',
      targets: [profile('condition-problems-health-concerns'), profile('condition-encounter-diagnosis')],
    },
    { path: 'location.location', targets: [] },
    { path: 'serviceProvider', targets: [] },
  ],
  unconfirmed: {
    [`participant.individual(${profile('practitioner')})`]:
      'PV1-7 becomes a logical reference (identifier and display), which Inferno cannot read',
  },
};

export const PROVENANCE: GroupSpec = {
  id: 'us_core_v501_provenance',
  type: 'Provenance',
  profile: profile('provenance'),
  params: {},
  searches: [],
  provenanceExpected: false,
  mustSupport: [
    ...['target', 'target.reference', 'recorded', 'agent', 'agent.type', 'agent.who', 'agent.onBehalfOf'],
    ...['agent:ProvenanceAuthor.type', 'agent:ProvenanceTransmitter.type'],
  ],
  slices: [
    {
      name: 'Provenance.agent:ProvenanceAuthor',
      path: 'agent',
      match: (a) => codingIn(`${TERM}provenance-participant-type`, ['author'])(a.type as Json | undefined),
    },
    {
      name: 'Provenance.agent:ProvenanceTransmitter',
      path: 'agent',
      match: (a) =>
        codingIn('http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type', ['transmitter'])(
          a.type as Json | undefined,
        ),
    },
  ],
  gaps: {
    'agent:ProvenanceTransmitter.type': 'ct-fhir records who made the findings (author, assembler), not a transmitter',
    'Provenance.agent:ProvenanceTransmitter': 'ct-fhir records who made the findings (author, assembler)',
  },
  references: [
    { path: 'agent.who', targets: [profile('organization')] },
    { path: 'agent.onBehalfOf', targets: [profile('organization')] },
  ],
  unconfirmed: {
    [`agent.who(${profile('organization')})`]: 'the agent is the algorithm (a Device), on behalf of the Organization',
  },
};

export const ORGANIZATION_GROUP: GroupSpec = {
  id: 'us_core_v501_organization',
  type: 'Organization',
  profile: profile('organization'),
  params: {
    name: { path: 'name', type: 'string' },
    address: { path: 'address', type: 'Address' },
  },
  searches: [
    { id: 'us_core_v501_organization_name_search_test', names: ['name'], first: true, post: true },
    {
      id: 'us_core_v501_organization_address_search_test',
      names: ['address'],
      skip: 'ORGANIZATION configures only the name of the organization running ct-fhir',
    },
  ],
  provenanceExpected: false,
  mustSupport: [
    ...['identifier', 'identifier.system', 'identifier.value', 'active', 'name', 'telecom', 'telecom.system'],
    ...['telecom.value', 'address', 'address.line', 'address.city', 'address.state', 'address.postalCode'],
    'address.country',
  ],
  slices: [
    {
      name: 'Organization.identifier:NPI',
      path: 'identifier',
      match: (i) => i.system === 'http://hl7.org/fhir/sid/us-npi',
    },
  ],
  gaps: Object.fromEntries(
    [
      ...['telecom', 'telecom.system', 'telecom.value', 'address', 'address.line', 'address.city', 'address.state'],
      ...['address.postalCode', 'address.country', 'Organization.identifier:NPI'],
    ].map((p) => [p, 'ORGANIZATION configures only the name of the organization running ct-fhir']),
  ),
  references: [],
  unconfirmed: {},
};

// --- Profile conformance ---

export const claimed = JSON.parse(readFileSync(join(DEFAULT_TERMINOLOGY_DIR, 'supported-profiles.json'), 'utf8')) as {
  profiles: { type: string; url: string; mandatory?: string[] }[];
};

/** When a parent element is present, every instance of it has the child (cardinality 1..). */
function hasMandatory(resource: Resource, path: string): boolean {
  const parts = path.split('.');
  const parents = parts.length === 1 ? [resource] : resolvePath(resource, parts.slice(0, -1).join('.'));
  return (parts.length > 1 || parents.length > 0) && parents.every((p) => present(children(p, parts.at(-1)!)[0]));
}

const isPatientRef = (ref: unknown): boolean => typeof ref === 'string' && /^Patient\/[^/]+$/.test(ref);

/** Rules of the US Core 5.0.1 profiles the validator here does not ship, beyond their mandatory elements. */
const PROFILE_RULES: Record<string, (r: Json) => string[]> = {
  [profile('observation-imaging')]: (r) => [
    ...((r.category as Json[]).some(OBSERVATION.slices[0]!.match) ? [] : ['no imaging category']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  [profile('diagnosticreport-note')]: (r) => [
    ...((r.category as Json[]).some(codingIn(LOINC, DR_CATEGORIES)) ? [] : ['no us-core category']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  [profile('servicerequest')]: (r) => [
    ...((r.category as Json[]).some((c) => SERVICE_REQUEST.slices[0]!.match(c)) ? [] : ['no us-core category']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  // provenance-1: onBehalfOf when the agent is a Practitioner or a Device.
  [profile('provenance')]: (r) =>
    (r.agent as Json[])
      .filter((a) => /^(Device|Practitioner)\//.test(((a.who as Json).reference as string) ?? '') && !a.onBehalfOf)
      .map(() => 'provenance-1: agent.onBehalfOf missing'),
  [profile('organization')]: () => [],
  [profile('documentreference')]: (r) => [
    ...((r.category as Json[]).some(DOCUMENT_REFERENCE.slices[0]!.match) ? [] : ['no us-core category']),
    ...(codingIn(LOINC, ['18748-4'])(r.type as Json) ? [] : ['type is not a LOINC document code']),
    ...((r.content as Json[]).every((c) => present((c.attachment as Json).url) || present((c.attachment as Json).data))
      ? []
      : ['us-core-6: attachment has neither url nor data']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  [profile('encounter')]: (r) => (isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
};

export function conformance(g: GroupSpec, resource: Resource): string[] {
  const entry = claimed.profiles.find((p) => p.url === g.profile);
  assert.ok(entry, `${g.profile} is not claimed`);
  const validated = !entry.mandatory; // listed without mandatory elements: the validator has the profile
  const outcome = checkResource(resource, validated ? g.profile : undefined).outcome;
  const errors = outcome.issue
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.expression?.join(',') ?? ''} ${i.diagnostics ?? ''}`);
  errors.push(...emptyElements(resource, resource.resourceType));
  for (const path of entry.mandatory ?? []) if (!hasMandatory(resource, path)) errors.push(`${path} missing`);
  if (!validated) errors.push(...PROFILE_RULES[g.profile]!(resource as unknown as Json));
  return errors.map((e) => `${resource.resourceType}/${resource.id}: ${e}`);
}
