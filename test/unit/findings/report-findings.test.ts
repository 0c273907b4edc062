// Report-derived findings -> transaction Bundle: Observation shape, idempotent identifiers, superseding, Provenance.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Observation, Provenance } from 'fhir/r4.js';
import {
  mergeFindings,
  observationStatus,
  reportFindingsBundle,
  retractFindingsBundle,
} from '../../../src/findings/report-findings.js';
import type { ReportFindingInput } from '../../../src/findings/types.js';
import { CANONICAL_BASE } from '../../../src/terminology/systems.js';
import { testCodes } from './codes-fixture.js';

const report: DiagnosticReport = {
  resourceType: 'DiagnosticReport',
  id: 'dr1',
  meta: { versionId: '2', lastUpdated: '2024-05-01T10:00:00Z' },
  status: 'final',
  code: { text: 'CT chest' },
  subject: { reference: 'Patient/p1' },
  encounter: { reference: 'Encounter/e1' },
  effectiveDateTime: '2024-05-01T09:00:00Z',
  issued: '2024-05-01T10:00:00Z',
  basedOn: [{ reference: 'ServiceRequest/sr1' }],
  imagingStudy: [{ reference: 'ImagingStudy/is1' }],
};
const ev = (sentence: string): ReportFindingInput['evidence'] => ({
  section: 'findings',
  sentence,
  start: 10,
  end: 20,
});
const findings: ReportFindingInput[] = [
  {
    abnormality: 'pleural_effusion',
    location: 'left_lung',
    polarity: 'present',
    evidence: ev('Small left pleural effusion.'),
  },
  { abnormality: 'pneumothorax', location: 'other_location', polarity: 'absent', evidence: ev('No pneumothorax.') },
  { abnormality: 'other_disease', location: 'liver', polarity: 'present', evidence: ev('Liver is seen.') },
];
const algorithm = {
  name: 'report-label-extraction',
  displayName: 'extractor',
  version: '1.0.0',
  type: 'Report label extraction software',
};
const build = (existing: Observation[] = [], f = findings) =>
  reportFindingsBundle({
    report,
    findings: f,
    existing,
    codes: testCodes,
    organizationName: 'Test Hospital',
    algorithm,
  });

describe('report findings to FHIR', () => {
  it('writes one Observation per (abnormality, location), absent ones included, other_disease left out', () => {
    const obs = build()
      .entry!.filter((e) => e.resource?.resourceType === 'Observation')
      .map((e) => e.resource as Observation);
    assert.equal(obs.length, 2);
    const effusion = obs.find((o) => o.code.coding?.[0]?.code === 'pleural_effusion')!;
    assert.equal(effusion.status, 'final');
    assert.equal(effusion.category?.[0]?.coding?.[0]?.code, 'imaging');
    assert.equal(effusion.subject?.reference, 'Patient/p1');
    assert.equal(effusion.encounter?.reference, 'Encounter/e1');
    assert.equal(effusion.effectiveDateTime, '2024-05-01T09:00:00Z');
    assert.deepEqual(effusion.derivedFrom, [{ reference: 'DiagnosticReport/dr1' }]);
    assert.deepEqual(effusion.basedOn, [{ reference: 'ServiceRequest/sr1' }]);
    assert.equal(effusion.interpretation?.[0]?.coding?.[0]?.code, 'POS');
    assert.equal(effusion.bodySite?.coding?.[0]?.code, 'left_lung');
    assert.match(effusion.note?.[0]?.text ?? '', /Small left pleural effusion/);
    const evidence = effusion.extension?.[0]?.extension?.find((e) => e.url === 'start');
    assert.equal(evidence?.valueInteger, 10);
    const pneumo = obs.find((o) => o.code.coding?.[0]?.code === 'pneumothorax')!;
    assert.equal(pneumo.interpretation?.[0]?.coding?.[0]?.code, 'NEG');
    assert.equal(pneumo.bodySite, undefined);
  });

  it("names its evidence extension under the project's canonical base, never a real publisher's domain", () => {
    const obs = build().entry!.filter((e) => e.resource?.resourceType === 'Observation');
    const urls = new Set(obs.flatMap((e) => (e.resource as Observation).extension ?? []).map((x) => x.url));
    assert.deepEqual([...urls], [`${CANONICAL_BASE}/StructureDefinition/finding-evidence`]);
  });

  it('upserts by a stable identifier so the same input gives the same bundle', () => {
    assert.deepEqual(build(), build());
    const put = build().entry!.find((e) => e.resource?.resourceType === 'Observation')!;
    assert.equal(put.request?.method, 'PUT');
    assert.match(put.request?.url ?? '', /^Observation\?identifier=/);
  });

  it('marks findings an amended report no longer has as entered-in-error', () => {
    const old: Observation = {
      resourceType: 'Observation',
      id: 'o-old',
      status: 'final',
      code: { text: 'nodule' },
      identifier: [{ system: testCodes.identifierSystem('finding'), value: 'report/dr1/nodule/right_upper' }],
    };
    const kept: Observation = {
      ...old,
      id: 'o-kept',
      identifier: [{ system: testCodes.identifierSystem('finding'), value: 'report/dr1/pleural_effusion/left_lung' }],
    };
    const superseded = build([old, kept]).entry!.filter(
      (e) => (e.resource as Observation | undefined)?.status === 'entered-in-error',
    );
    assert.equal(superseded.length, 1);
    assert.equal(superseded[0]!.request?.url, 'Observation/o-old');
  });

  it('adds one Provenance with the Device as agent on behalf of the Organization', () => {
    const prov = build().entry!.find((e) => e.resource?.resourceType === 'Provenance')!.resource as Provenance;
    assert.equal(prov.target.length, 2);
    assert.ok(prov.agent[0]!.who?.reference?.startsWith('urn:uuid:'));
    assert.ok(prov.agent[0]!.onBehalfOf?.reference?.startsWith('urn:uuid:'));
    assert.equal(prov.entity?.[0]?.what.reference, 'DiagnosticReport/dr1/_history/2');
  });

  it('writes no Provenance when there is no finding', () => {
    assert.equal(
      build([], []).entry!.some((e) => e.resource?.resourceType === 'Provenance'),
      false,
    );
  });

  it('maps report status to Observation status', () => {
    assert.equal(observationStatus('preliminary'), 'preliminary');
    assert.equal(observationStatus('final'), 'final');
    assert.equal(observationStatus('amended'), 'amended');
    assert.equal(observationStatus('corrected'), 'corrected');
  });

  it('keeps the strongest polarity when a finding is stated twice', () => {
    const merged = mergeFindings([
      { ...findings[1]!, polarity: 'absent' },
      { ...findings[1]!, polarity: 'uncertain' },
    ]);
    assert.equal(merged.length, 1);
    assert.equal(merged[0]!.polarity, 'uncertain');
  });

  it('retracts every live finding of a deleted report', () => {
    const live: Observation = { resourceType: 'Observation', id: 'a', status: 'final', code: {} };
    const dead: Observation = { ...live, id: 'b', status: 'entered-in-error' };
    const b = retractFindingsBundle([live, dead]);
    assert.equal(b.entry?.length, 1);
    assert.equal((b.entry![0]!.resource as Observation).status, 'entered-in-error');
  });
});
