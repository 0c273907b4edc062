// AI findings -> Observations, summary DiagnosticReport, Provenance; triage Task; discrepancies with the report.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectedIssue, DiagnosticReport, ImagingStudy, Observation, Provenance, Task } from 'fhir/r4.js';
import { aiFindingsBundle } from '../../../src/findings/ai-findings.js';
import { discrepancyEntries, findDiscrepancies, reportCompared } from '../../../src/findings/discrepancy.js';
import { triageEntry, type CriticalFindings } from '../../../src/findings/triage.js';
import type { AiFindingInput } from '../../../src/findings/types.js';
import { testCodes } from './codes-fixture.js';

const study: ImagingStudy = {
  resourceType: 'ImagingStudy',
  id: 'is1',
  status: 'available',
  subject: { reference: 'Patient/p1' },
  started: '2024-05-01T09:00:00Z',
  basedOn: [{ reference: 'ServiceRequest/sr1' }],
};
const outputs: AiFindingInput[] = [
  { abnormality: 'pneumothorax', location: null, probability: 0.93, positive: true, threshold: 0.5 },
  { abnormality: 'pleural_effusion', location: 'left_lung', probability: 0.12, positive: false, threshold: 0.4 },
  { abnormality: 'nodule', location: null, probability: 0.71, positive: true, threshold: 0.6 },
];
const algorithm = {
  name: 'ctnet-phantom',
  displayName: 'CT-Net phantom demo',
  version: '0.1.0',
  type: 'CT image classifier',
};
const display = (c: string): string => c.replace(/_/g, ' ');
const build = () =>
  aiFindingsBundle({
    study,
    findings: outputs,
    codes: testCodes,
    organizationName: 'Test Hospital',
    algorithm,
    now: '2024-05-01T10:00:00Z',
    display,
  });

describe('AI findings to FHIR', () => {
  it('writes one preliminary Observation per output with probability, interpretation and study links', () => {
    const obs = build()
      .bundle.entry!.filter((e) => e.resource?.resourceType === 'Observation')
      .map((e) => e.resource as Observation);
    assert.equal(obs.length, 3);
    const p = obs.find((o) => o.code.coding?.[0]?.code === 'pneumothorax')!;
    assert.equal(p.status, 'preliminary');
    assert.deepEqual(p.valueQuantity, { value: 0.93, unit: '1', system: 'http://unitsofmeasure.org', code: '1' });
    assert.equal(p.interpretation?.[0]?.coding?.[0]?.code, 'POS');
    assert.deepEqual(p.partOf, [{ reference: 'ImagingStudy/is1' }]);
    assert.deepEqual(p.derivedFrom, [{ reference: 'ImagingStudy/is1' }]);
    assert.deepEqual(p.basedOn, [{ reference: 'ServiceRequest/sr1' }]);
    const e = obs.find((o) => o.code.coding?.[0]?.code === 'pleural_effusion')!;
    assert.equal(e.interpretation?.[0]?.coding?.[0]?.code, 'NEG');
    assert.equal(e.bodySite?.coding?.[0]?.code, 'left_lung');
  });

  it('summarises positive findings in a preliminary DiagnosticReport that references them', () => {
    const { bundle, observationUrns } = build();
    const dr = bundle.entry!.find((e) => e.resource?.resourceType === 'DiagnosticReport')!.resource as DiagnosticReport;
    assert.equal(dr.status, 'preliminary');
    assert.equal(dr.result?.length, 2);
    assert.ok(dr.result?.some((r) => r.reference === observationUrns.get('pneumothorax/')));
    assert.match(dr.conclusion ?? '', /pneumothorax: probability 0\.93/);
    assert.match(dr.conclusion ?? '', /not reviewed/);
    assert.deepEqual(dr.imagingStudy, [{ reference: 'ImagingStudy/is1' }]);
  });

  it('targets every Observation and the report from one Provenance with a stable id', () => {
    const prov = build().bundle.entry!.find((e) => e.resource?.resourceType === 'Provenance')!.resource as Provenance;
    assert.equal(prov.target.length, 4);
    assert.equal(
      prov.id,
      (build().bundle.entry!.find((e) => e.resource?.resourceType === 'Provenance')!.resource as Provenance).id,
    );
    assert.ok(prov.agent[0]!.onBehalfOf);
  });

  it('creates a triage Task with the highest priority among critical positives', () => {
    const critical: CriticalFindings = new Map([
      ['pneumothorax', 'stat'],
      ['nodule', 'routine'],
      ['pleural_effusion', 'urgent'],
    ]);
    const entry = triageEntry(
      study,
      outputs.filter((o) => o.positive),
      critical,
      testCodes,
      display,
      '2024-05-01T10:00:00Z',
    )!;
    const task = entry.resource as Task;
    assert.equal(task.priority, 'stat');
    assert.equal(task.status, 'requested');
    assert.equal(task.code?.coding?.[0]?.code, 'triage');
    assert.deepEqual(task.focus, { reference: 'ImagingStudy/is1' });
    assert.equal(triageEntry(study, [], critical, testCodes, display, 'x'), undefined);
  });

  it('finds both kinds of discrepancy and ignores agreements', () => {
    const ai = [
      { abnormality: 'pneumothorax', positive: true, observation: { reference: 'Observation/a1' } },
      { abnormality: 'pleural_effusion', positive: false, observation: { reference: 'Observation/a2' } },
      { abnormality: 'nodule', positive: true, observation: { reference: 'Observation/a3' } },
    ];
    const report = [
      { abnormality: 'pneumothorax', positive: false, observation: { reference: 'Observation/r1' } },
      { abnormality: 'pleural_effusion', positive: true, observation: { reference: 'Observation/r2' } },
      { abnormality: 'nodule', positive: true, observation: { reference: 'Observation/r3' } },
    ];
    const d = findDiscrepancies(ai, report);
    assert.deepEqual(
      d.map((x) => [x.abnormality, x.kind]),
      [
        ['pneumothorax', 'ai-positive-report-negative'],
        ['pleural_effusion', 'report-positive-ai-negative'],
      ],
    );
    const issues = discrepancyEntries('is1', study.subject, d, testCodes, display, 'now').map(
      (e) => e.resource as DetectedIssue,
    );
    assert.deepEqual(issues[0]!.implicated, [{ reference: 'Observation/a1' }, { reference: 'Observation/r1' }]);
  });

  it('reads report Observations back as compared findings (uncertain counts as positive)', () => {
    const obs: Observation[] = [
      {
        resourceType: 'Observation',
        id: 'x',
        status: 'final',
        code: { coding: [{ system: 'urn:a', code: 'nodule' }] },
        interpretation: [{ coding: [{ code: 'IND' }] }],
      },
      {
        resourceType: 'Observation',
        id: 'y',
        status: 'entered-in-error',
        code: { coding: [{ system: 'urn:a', code: 'mass' }] },
      },
    ];
    assert.deepEqual(reportCompared(obs, 'urn:a'), [
      { abnormality: 'nodule', positive: true, observation: { reference: 'Observation/x' } },
    ]);
  });
});
