// terminology/supported-profiles.json: checked when loaded, and every profile it claims is met by what ct-fhir
// writes (findings builders, HL7 v2 ORU mapping): validated where the validator has the profile, otherwise checked for
// the profile's mandatory elements listed in the file and the fixed codes below.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import type {
  Bundle,
  CodeableConcept,
  DiagnosticReport,
  Encounter,
  DocumentReference,
  ImagingStudy,
  Provenance,
  Resource,
  ServiceRequest,
} from 'fhir/r4.js';
import { loadSupportedProfiles } from '../../../src/fhir/capability.js';
import { checkResource, knownProfiles } from '../../../src/fhir/validation.js';
import { aiFindingsBundle } from '../../../src/findings/ai-findings.js';
import { findingCodes, WORKFLOW_SYSTEM } from '../../../src/findings/codes.js';
import { reportFindingsBundle } from '../../../src/findings/report-findings.js';
import { mapMessage } from '../../../src/hl7v2/mapping/index.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { DEFAULT_TERMINOLOGY_DIR, getTerminology } from '../../../src/terminology/load.js';
import { TerminologyError } from '../../../src/terminology/validate.js';
import { fixture } from '../hl7v2/fixtures.js';

interface Entry {
  type: string;
  url: string;
  mandatory?: string[];
}
const FILE = 'supported-profiles.json';
const shipped = JSON.parse(readFileSync(join(DEFAULT_TERMINOLOGY_DIR, FILE), 'utf8')) as { profiles: Entry[] };
const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';

/** A copy of terminology/ whose supported-profiles.json has `profiles` instead. */
function withProfiles(profiles: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctfhir-profiles-'));
  cpSync(DEFAULT_TERMINOLOGY_DIR, dir, { recursive: true });
  writeFileSync(join(dir, FILE), JSON.stringify({ profiles }));
  return dir;
}

it('the shipped file loads: every profile is validatable here or says why not and what is checked instead', () => {
  const loaded = loadSupportedProfiles();
  assert.deepEqual(
    loaded,
    shipped.profiles.map(({ type, url }) => ({ type, url })),
  );
});

it('a profile the validator does not know, without a reason and mandatory elements, stops loading', () => {
  const unknown = { type: 'Observation', url: `${US_CORE}us-core-observation-lab`, conformingOutput: 'x' };
  assert.throws(() => loadSupportedProfiles(withProfiles([unknown])), TerminologyError);
  assert.throws(
    () => loadSupportedProfiles(withProfiles([{ ...unknown, notValidatedHere: 'not shipped' }])),
    /profiles\[0\]\.mandatory/,
  );
});

it('a known profile under another type, or a type the server does not serve, stops loading', () => {
  const patient = { url: `${US_CORE}us-core-patient`, conformingOutput: 'x' };
  assert.ok(knownProfiles().some((p) => p.url === patient.url));
  assert.throws(
    () => loadSupportedProfiles(withProfiles([{ ...patient, type: 'Observation' }])),
    /profiles\[0\]\.type: .*constrains Patient/,
  );
  assert.throws(
    () => loadSupportedProfiles(withProfiles([{ ...patient, type: 'Spaceship' }])),
    /"Spaceship" is not a resource type/,
  );
});

// --- What ct-fhir writes, checked against what it claims ---

const codes = findingCodes(getTerminology());
const algorithm = { name: 'test-model', displayName: 'Test model', version: '1', type: 'test' };
const study: ImagingStudy = {
  resourceType: 'ImagingStudy',
  id: 'is1',
  status: 'available',
  subject: { reference: 'Patient/p1' },
  started: '2024-05-01T09:00:00Z',
};
const report: DiagnosticReport = {
  resourceType: 'DiagnosticReport',
  id: 'dr1',
  status: 'final',
  code: { text: 'CT chest' },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2024-05-01T09:00:00Z',
};

function outputs(): Bundle[] {
  const ai = aiFindingsBundle({
    study,
    findings: [
      { abnormality: 'pneumothorax', location: null, probability: 0.9, positive: true, threshold: 0.5 },
      { abnormality: 'pleural_effusion', location: 'left_lung', probability: 0.1, positive: false, threshold: 0.5 },
    ],
    codes,
    organizationName: 'Test Hospital',
    algorithm,
    now: '2024-05-01T10:00:00Z',
    display: codes.display,
  }).bundle;
  const fromReport = reportFindingsBundle({
    report,
    findings: [
      {
        abnormality: 'pneumothorax',
        location: 'right_lung',
        polarity: 'present',
        evidence: { section: 'findings', sentence: 'Right pneumothorax.', start: 0, end: 19 },
      },
    ],
    existing: [],
    codes,
    organizationName: 'Test Hospital',
    algorithm,
  });
  const oru = ['oru-r01-v23.hl7', 'oru-r01-v251.hl7'].map((f) => mapMessage(Hl7Message.parse(fixture(f))).bundle);
  // A PID with only its identifier: the Patient must still meet us-core-patient (name and gender required).
  const bare = fixture('oru-r01-v251.hl7').replace(/^PID\|[^\r\n]*/m, 'PID|1||MRN-BARE^^^GENHOSP^MR');
  assert.notEqual(bare, fixture('oru-r01-v251.hl7'));
  oru.push(mapMessage(Hl7Message.parse(bare)).bundle);
  // Encounters (PV1): an admission type (PV1-4), and a visit number without CX-4 (the sending facility's, MSH-4).
  const adt = fixture('adt-a01.hl7')
    .replace('|E|ER^1^1||', '|E|ER^1^1|U|')
    .replace('V0009^^^GENHOSP^VN', 'V0009^^^^VN');
  assert.notEqual(adt, fixture('adt-a01.hl7'));
  oru.push(mapMessage(Hl7Message.parse(adt)).bundle);
  return [ai, fromReport, ...oru];
}

it('an Encounter identifier always has a system: CX-4, else the sender (MSH-4, MSH-3); else no Encounter', () => {
  const encounters = (text: string): Encounter[] =>
    (mapMessage(Hl7Message.parse(text)).bundle.entry ?? [])
      .map((e) => e.resource!)
      .filter((r): r is Encounter => r.resourceType === 'Encounter');
  const adt = fixture('adt-a01.hl7');
  const system = (text: string): string | undefined => encounters(text)[0]?.identifier?.[0]?.system;
  assert.equal(
    system(adt.replace('V0009^^^GENHOSP^VN', 'V0009^^^&2.16.840.1.113883.19.9&ISO^VN')),
    'urn:oid:2.16.840.1.113883.19.9',
  );
  const sender = system(adt.replace('V0009^^^GENHOSP^VN', 'V0009^^^^VN'));
  assert.equal(sender, system(adt), 'without CX-4: the sending facility (MSH-4) as when CX-4 names it');
  const byApplication = adt.replace('V0009^^^GENHOSP^VN', 'V0009^^^^VN').replace('|ADT|GENHOSP|', '|ADT||');
  assert.equal(system(byApplication), system(adt.replace('V0009^^^GENHOSP^VN', 'V0009^^^ADT^VN')), 'else MSH-3');
  // No authority anywhere (PID-3 names its own): the visit number could be any facility's. The Patient is written,
  // the Encounter is not, and the ACK warns at PV1-19.4.
  const anonymous = adt
    .replace('V0009^^^GENHOSP^VN', 'V0009^^^^VN')
    .replace('|ADT|GENHOSP|', '|||')
    .replace('MRN900^^^GENHOSP^MR', 'MRN900^^^&2.16.840.1.113883.19.5&ISO^MR');
  const result = mapMessage(Hl7Message.parse(anonymous));
  assert.ok(result.bundle.entry?.some((e) => e.resource?.resourceType === 'Patient'));
  assert.deepEqual(encounters(anonymous), []);
  assert.deepEqual(
    result.warnings.map((w) => [w.severity, w.location]),
    [['W', { segment: 'PV1', sequence: 1, field: 19, component: 4 }]],
  );
});

/** Whether `path` (dot-separated) is present in `node`; through arrays, in every element. */
function present(node: unknown, path: string[]): boolean {
  if (Array.isArray(node)) return node.length > 0 && node.every((n) => present(n, path));
  if (path.length === 0) return node !== undefined && node !== null && node !== '';
  if (!node || typeof node !== 'object') return false;
  return present((node as Record<string, unknown>)[path[0]!], path.slice(1));
}

/**
 * A mandatory element: a top-level one is present; a nested one (`a.b`, 1.. under an optional `a`) is present in
 * every `a` the resource has (statusHistory.status binds only when there is a statusHistory).
 */
function hasMandatory(resource: Resource, path: string[]): boolean {
  if (path.length === 1) return present(resource, path);
  const parent = (resource as unknown as Record<string, unknown>)[path[0]!];
  return parent === undefined || present(parent, path.slice(1));
}

const hasCoding = (concepts: CodeableConcept[] | undefined, system: string, codes: string[]): boolean =>
  !!concepts?.some((c) => c.coding?.some((x) => x.system === system && codes.includes(x.code ?? '')));

/** Fixed codes and constraints of the profiles checked by hand (US Core 5.0.1), beyond their mandatory elements. */
const FIXED: Record<string, (r: Resource, isPatient: (ref?: string) => boolean) => string | undefined> = {
  [`${US_CORE}us-core-observation-imaging`]: (r, isPatient) => {
    const o = r as { category?: CodeableConcept[]; subject?: { reference?: string } };
    if (!hasCoding(o.category, 'http://terminology.hl7.org/CodeSystem/observation-category', ['imaging']))
      return 'category imaging';
    return isPatient(o.subject?.reference) ? undefined : 'subject is a Patient';
  },
  [`${US_CORE}us-core-diagnosticreport-note`]: (r, isPatient) => {
    const d = r as DiagnosticReport;
    if (!hasCoding(d.category, 'http://loinc.org', ['LP29684-5', 'LP29708-2', 'LP7839-6']))
      return 'category from us-core-diagnosticreport-category';
    return isPatient(d.subject?.reference) ? undefined : 'subject is a Patient';
  },
  [`${US_CORE}us-core-servicerequest`]: (r, isPatient) => {
    const sr = r as ServiceRequest;
    if (!hasCoding(sr.category, 'http://snomed.info/sct', ['363679005'])) return 'category Imaging';
    return isPatient(sr.subject.reference) ? undefined : 'subject is a Patient';
  },
  [`${US_CORE}us-core-documentreference`]: (r, isPatient) => {
    const d = r as DocumentReference;
    const noteCategory = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category';
    if (!hasCoding(d.category, noteCategory, ['clinical-note'])) return 'category clinical-note';
    // type: required binding to LOINC document codes; 18748-4 Diagnostic imaging study is one.
    if (!hasCoding([d.type!], 'http://loinc.org', ['18748-4'])) return 'type a LOINC document code';
    if (!d.content.every((c) => c.attachment.url || c.attachment.data)) return 'us-core-6 attachment url or data';
    return isPatient(d.subject?.reference) ? undefined : 'subject is a Patient';
  },
  [`${US_CORE}us-core-encounter`]: (r, isPatient) => {
    const e = r as Encounter;
    // identifier.system is 1..1 under an identifier; ct-fhir's Encounters are keyed by theirs, so they all have one.
    if (!e.identifier?.length) return 'identifier (PV1-19)';
    return isPatient(e.subject?.reference) ? undefined : 'subject is a Patient';
  },
  [`${US_CORE}us-core-provenance`]: (r) => {
    const p = r as Provenance;
    // provenance-1: onBehalfOf when who is a Practitioner or Device.
    const ok = p.agent.every((a) => !/^(Device|Practitioner)\/|urn:/.test(a.who.reference ?? '') || a.onBehalfOf);
    return ok ? undefined : 'provenance-1 onBehalfOf';
  },
};

/**
 * The set a claim is about (conformingOutput in the file): for Observation, the findings (method in the workflow
 * system); Observations mapped from HL7 v2 OBX have no category and are outside it.
 */
const inClaimedSet = (r: Resource): boolean =>
  r.resourceType !== 'Observation' ||
  !!(r as { method?: CodeableConcept }).method?.coding?.some((c) => c.system === WORKFLOW_SYSTEM);

it('what ct-fhir writes meets every profile it claims for that type', () => {
  const validatable = new Set(knownProfiles().map((p) => p.url));
  const bundles = outputs();
  for (const entry of shipped.profiles) {
    let checked = 0;
    for (const bundle of bundles) {
      const byUrl = new Map((bundle.entry ?? []).map((e) => [e.fullUrl, e.resource?.resourceType]));
      const isPatient = (ref?: string): boolean =>
        !!ref && (ref.startsWith('Patient/') || byUrl.get(ref) === 'Patient');
      for (const resource of (bundle.entry ?? []).map((e) => e.resource!)) {
        if (resource.resourceType !== entry.type || !inClaimedSet(resource)) continue;
        const what = `${entry.type} ${JSON.stringify(resource).slice(0, 120)} against ${entry.url}`;
        if (validatable.has(entry.url)) {
          const result = checkResource(resource, entry.url);
          assert.ok(result.valid, `${what}: ${JSON.stringify(result.outcome.issue)}`);
        } else {
          for (const path of entry.mandatory!) assert.ok(hasMandatory(resource, path.split('.')), `${what}: ${path}`);
          const problem = FIXED[entry.url]?.(resource, isPatient);
          assert.equal(problem, undefined, `${what}: ${problem}`);
        }
        checked++;
      }
    }
    assert.ok(checked > 0, `ct-fhir writes no ${entry.type}, yet claims ${entry.url}`);
  }
});
