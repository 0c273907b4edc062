// AI findings -> Observations, summary DiagnosticReport, Provenance; triage Task; discrepancies with the report.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectedIssue, DiagnosticReport, ImagingStudy, Observation, Provenance, Task } from 'fhir/r4.js';
import { aiFindingsBundle, latestAiRun } from '../../../src/findings/ai-findings.js';
import {
  comparedFindings,
  discrepancyEntries,
  findDiscrepancies,
  type Discrepancy,
} from '../../../src/findings/discrepancy.js';
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

const entriesFor = (discrepancies: Discrepancy[], existing: DetectedIssue[], now = '2024-05-02T00:00:00Z') =>
  discrepancyEntries({
    studyId: 'is1',
    patient: study.subject,
    discrepancies,
    existing,
    codes: testCodes,
    display,
    now,
  });

/** One study's discrepancy for an abnormality: the model says `ai`, the report the opposite. */
const discrepancyOf = (abnormality: string, ai: boolean): Discrepancy[] =>
  findDiscrepancies(
    [{ abnormality, positive: ai, observation: { reference: 'Observation/a1' } }],
    [{ abnormality, positive: !ai, observation: { reference: 'Observation/r1' } }],
  );

/** The issue first raised for `d` (stored with `id`), and the same issue as a radiologist decided it. */
function review(
  d: Discrepancy[],
  id: string,
  status: DetectedIssue['status'],
  action: string,
): { first: DetectedIssue; decided: DetectedIssue } {
  const [first] = entriesFor(d, []).map((e) => ({ ...(e.resource as DetectedIssue), id }));
  const decided = {
    ...first!,
    status,
    author: { reference: 'Practitioner/rad1' },
    mitigation: [{ action: { text: action } }],
  };
  return { first: first!, decided };
}

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

  it('bases the Observations and the summary on the study orders only (not its Appointment or Task)', () => {
    const withAppointment = { ...study, basedOn: [...study.basedOn!, { reference: 'Appointment/ap1' }] };
    const { bundle } = aiFindingsBundle({
      study: withAppointment,
      findings: outputs,
      codes: testCodes,
      organizationName: 'Test Hospital',
      algorithm,
      now: '2024-05-01T10:00:00Z',
      display,
    });
    for (const type of ['Observation', 'DiagnosticReport']) {
      for (const e of bundle.entry!.filter((x) => x.resource?.resourceType === type)) {
        assert.deepEqual((e.resource as Observation | DiagnosticReport).basedOn, [{ reference: 'ServiceRequest/sr1' }]);
      }
    }
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

  it("re-runs keep the worklist's progress on the triage Task and cancel it only while nobody has started", () => {
    const critical: CriticalFindings = new Map([['pneumothorax', 'stat']]);
    const positives = outputs.filter((o) => o.abnormality === 'pneumothorax');
    const raise = (existing: Task | undefined, found: AiFindingInput[], now: string) =>
      triageEntry(study, found, critical, testCodes, display, now, existing);
    const first = { ...(raise(undefined, positives, 't1')!.resource as Task), id: 'tk1' };
    // Unchanged re-run: the same Task, dates included (so the store writes nothing).
    assert.deepEqual({ ...raise(first, positives, 't2')!.resource, id: 'tk1' }, first);
    // A radiologist has taken it: a re-run keeps status and owner, whatever the model says now.
    const taken: Task = { ...first, status: 'in-progress', owner: { reference: 'Practitioner/rad1' } };
    const rerun = raise(taken, positives, 't3')!.resource as Task;
    assert.equal(rerun.status, 'in-progress');
    assert.deepEqual(rerun.owner, taken.owner);
    assert.equal(raise(taken, [], 't3'), undefined, 'a Task in progress is not cancelled under the reader');
    // Nobody started it and the finding is gone: cancelled, with the reason; the finding back: requested again.
    const cancel = raise(first, [], 't4')!;
    assert.equal(cancel.request?.url, 'Task/tk1');
    const cancelled = cancel.resource as Task;
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.statusReason?.coding?.[0]?.code, 'no-critical-finding');
    const back = raise(cancelled, positives, 't5')!.resource as Task;
    assert.equal(back.status, 'requested');
    assert.equal(back.statusReason, undefined);
    // Cancelled by a person: a re-run does not resurrect it.
    const byPerson: Task = { ...first, status: 'cancelled', statusReason: { text: 'duplicate order' } };
    assert.equal((raise(byPerson, positives, 't6')!.resource as Task).status, 'cancelled');
    // A write over a Task read earlier names its version: if the worklist changed it since, the write fails (412)
    // and the job runs again on the new version instead of overwriting the worklist's change.
    const stored: Task = { ...first, meta: { versionId: '4' } };
    assert.equal(raise(stored, positives, 't7')!.request?.ifMatch, 'W/"4"');
    assert.equal(raise(stored, [], 't7')!.request?.ifMatch, 'W/"4"', 'the cancellation too');
    assert.equal(raise(undefined, positives, 't7')!.request?.ifMatch, undefined, 'a new Task');
  });

  it("keeps only the latest run's findings when the study was classified by more than one model", () => {
    const finding = (model: string | undefined, issued: string): Observation => ({
      resourceType: 'Observation',
      status: 'preliminary',
      code: { text: 'x' },
      issued,
      identifier: model ? [{ system: testCodes.identifierSystem('finding'), value: `ai/is1/${model}/x/any` }] : [],
    });
    const old = [finding('ctnet-phantom', '2024-05-01T10:00:00Z'), finding('ctnet-phantom', '2024-05-01T10:00:00Z')];
    const next = [finding('ctnet-site', '2024-06-01T10:00:00Z')];
    assert.deepEqual(latestAiRun([...old, ...next], testCodes), next);
    assert.deepEqual(latestAiRun(old, testCodes), old, 'one model: all of it');
    const other = [finding(undefined, '2024-07-01T10:00:00Z')];
    assert.deepEqual(latestAiRun([...old, ...other], testCodes), other, 'another AI writing the same shape, later');
    assert.deepEqual(latestAiRun([], testCodes), []);
    const undated = [finding(undefined, ''), finding(undefined, '')];
    assert.deepEqual(latestAiRun(undated, testCodes), undated, 'findings without an issued time still count');
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
    const issues = entriesFor(d, []).map((e) => e.resource as DetectedIssue);
    assert.deepEqual(issues[0]!.implicated, [
      { reference: 'Observation/a1' },
      { reference: 'Observation/r1' },
      { reference: 'ImagingStudy/is1' },
    ]);
    assert.equal(issues[0]!.status, 'preliminary');
    assert.equal(issues[0]!.identifiedDateTime, '2024-05-02T00:00:00Z');
  });

  it('keeps discrepancies current: a reviewer keeps their status, resolved ones are cancelled, cancelled ones reopen', () => {
    const pneumothorax = discrepancyOf('pneumothorax', true);
    // A reviewer confirms it and says what was done.
    const { first, decided: reviewed } = review(pneumothorax, 'd1', 'final', 'Report addendum requested');
    const [again] = entriesFor(pneumothorax, [reviewed], '2024-06-01T00:00:00Z');
    const kept = again!.resource as DetectedIssue;
    assert.equal(kept.status, 'final');
    assert.deepEqual(kept.mitigation, reviewed.mitigation);
    assert.deepEqual(kept.author, reviewed.author);
    assert.equal(kept.identifiedDateTime, first.identifiedDateTime, 'first identified, not re-identified');
    // The report is amended to agree: the issue no longer holds.
    const resolved = entriesFor([], [reviewed]);
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]!.request?.url, 'DetectedIssue/d1');
    assert.equal((resolved[0]!.resource as DetectedIssue).status, 'cancelled');
    // Cancelled ones stay cancelled, and come back as new when the discrepancy returns.
    const cancelled = resolved[0]!.resource as DetectedIssue;
    assert.deepEqual(entriesFor([], [cancelled]), []);
    const reopened = entriesFor(pneumothorax, [cancelled], '2024-07-01T00:00:00Z')[0]!.resource as DetectedIssue;
    assert.equal(reopened.status, 'preliminary');
    assert.equal(reopened.identifiedDateTime, '2024-07-01T00:00:00Z');
    assert.equal(reopened.mitigation, undefined);
  });

  it("keeps a reviewer's dismissal (entered-in-error) while the same discrepancy holds; a flipped one is new", () => {
    const aiPositive = discrepancyOf('nodule', true);
    const { first, decided: dismissed } = review(aiPositive, 'd2', 'entered-in-error', 'False positive: vessel');
    // The model runs again with the same result: the dismissal stands.
    const [again] = entriesFor(aiPositive, [dismissed], '2024-06-01T00:00:00Z');
    const kept = again!.resource as DetectedIssue;
    assert.equal(kept.status, 'entered-in-error');
    assert.deepEqual(kept.mitigation, dismissed.mitigation);
    assert.equal(kept.identifiedDateTime, first.identifiedDateTime);
    // Both sides change before one comparison: now the report has it and the model does not. A new discrepancy,
    // for review again, whatever was decided about the old one.
    const flipped = discrepancyOf('nodule', false);
    for (const before of [dismissed, { ...dismissed, status: 'final' as const }]) {
      const issue = entriesFor(flipped, [before], '2024-07-01T00:00:00Z')[0]!.resource as DetectedIssue;
      assert.equal(issue.status, 'preliminary', before.status);
      assert.equal(issue.code?.coding?.[0]?.code, 'report-positive-ai-negative');
      assert.equal(issue.identifiedDateTime, '2024-07-01T00:00:00Z');
      assert.equal(issue.mitigation, undefined);
      assert.equal(issue.author, undefined);
    }
  });

  it('reads Observations back as compared findings (uncertain counts as positive, withdrawn ones are left out)', () => {
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
    assert.deepEqual(comparedFindings(obs, 'urn:a'), [
      { abnormality: 'nodule', positive: true, observation: { reference: 'Observation/x' } },
    ]);
  });
});
