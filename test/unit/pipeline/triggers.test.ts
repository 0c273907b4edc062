// Which resource changes enqueue report jobs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, ImagingStudy, Observation, Resource } from 'fhir/r4.js';
import type { ResourceChange } from '../../../src/fhir/repository.js';
import { WORKFLOW_SYSTEM } from '../../../src/findings/codes.js';
import { comparisonTriggers, imagingTriggers, reportTriggers } from '../../../src/pipeline/triggers.js';
import { CANONICAL_BASE } from '../../../src/terminology/systems.js';

const dr = (extra: Partial<DiagnosticReport> = {}): DiagnosticReport => ({
  resourceType: 'DiagnosticReport',
  id: 'r1',
  status: 'final',
  code: { text: 'CT' },
  conclusion: 'Small left pleural effusion.',
  ...extra,
});

/** A change of one resource: created (no previous), updated, or deleted (no resource). */
const changeOf = (resourceType: string, resource: Resource | undefined, previous?: Resource): ResourceChange => ({
  kind: resource ? (previous ? 'update' : 'create') : 'delete',
  resourceType,
  id: 'x1',
  versionId: '2',
  resource,
  previous,
});

describe('report triggers', () => {
  it('enqueues extraction for a created report with text, deduplicated per report', () => {
    const jobs = reportTriggers({
      kind: 'create',
      resourceType: 'DiagnosticReport',
      id: 'r1',
      versionId: '1',
      resource: dr(),
    });
    assert.deepEqual(jobs, [
      {
        type: 'report.extract',
        payload: { focus: 'DiagnosticReport/r1', versionId: '1' },
        dedupeKey: 'report.extract:DiagnosticReport/r1',
      },
    ]);
  });

  it('ignores reports without text, other types, and reports ct-fhir wrote itself', () => {
    assert.deepEqual(
      reportTriggers({
        kind: 'create',
        resourceType: 'DiagnosticReport',
        id: 'r1',
        versionId: '1',
        resource: dr({ conclusion: undefined }),
      }),
      [],
    );
    assert.deepEqual(
      reportTriggers({
        kind: 'create',
        resourceType: 'Patient',
        id: 'p',
        versionId: '1',
        resource: { resourceType: 'Patient' },
      }),
      [],
    );
    // An amendment that removes the text: extraction of nothing supersedes the earlier findings.
    const emptied = reportTriggers({
      kind: 'update',
      resourceType: 'DiagnosticReport',
      id: 'r1',
      versionId: '2',
      resource: dr({ conclusion: undefined }),
      previous: dr(),
    });
    assert.deepEqual(
      emptied.map((j) => j.type),
      ['report.extract'],
    );
    const own = dr({ identifier: [{ system: `${CANONICAL_BASE}/identifier/finding`, value: 'ai-report/x' }] });
    assert.deepEqual(
      reportTriggers({ kind: 'create', resourceType: 'DiagnosticReport', id: 'r1', versionId: '1', resource: own }),
      [],
    );
  });

  it('re-extracts when the text, status or what the findings copy changes, not for other edits, whatever the key order', () => {
    const before = dr();
    const reordered = JSON.parse(
      JSON.stringify({
        conclusion: before.conclusion,
        status: before.status,
        resourceType: 'DiagnosticReport',
        id: 'r1',
        code: before.code,
        performer: [{ display: 'Radiology' }],
      }),
    ) as DiagnosticReport;
    assert.deepEqual(
      reportTriggers({
        kind: 'update',
        resourceType: 'DiagnosticReport',
        id: 'r1',
        versionId: '2',
        resource: reordered,
        previous: before,
      }),
      [],
    );
    const amended = dr({ status: 'amended' });
    assert.equal(
      reportTriggers({
        kind: 'update',
        resourceType: 'DiagnosticReport',
        id: 'r1',
        versionId: '2',
        resource: amended,
        previous: before,
      }).length,
      1,
    );
    // Linked to its study (or order) later: the findings must follow, so extraction runs again.
    const linked = dr({ imagingStudy: [{ reference: 'ImagingStudy/s1' }] });
    assert.equal(
      reportTriggers({
        kind: 'update',
        resourceType: 'DiagnosticReport',
        id: 'r1',
        versionId: '3',
        resource: linked,
        previous: before,
      })[0]?.type,
      'report.extract',
    );
  });

  it('retracts findings when a report is deleted', () => {
    const jobs = reportTriggers({
      kind: 'delete',
      resourceType: 'DiagnosticReport',
      id: 'r1',
      versionId: '3',
      previous: dr(),
    });
    assert.equal(jobs[0]?.type, 'report.retract');
  });

  it('retracts findings when a report is withdrawn (entered-in-error, cancelled), even without its text', () => {
    const update = (resource: DiagnosticReport, previous: DiagnosticReport) =>
      reportTriggers({
        kind: 'update',
        resourceType: 'DiagnosticReport',
        id: 'r1',
        versionId: '2',
        resource,
        previous,
      });
    for (const status of ['entered-in-error', 'cancelled'] as const) {
      assert.deepEqual(update(dr({ status }), dr()), [
        {
          type: 'report.retract',
          payload: { focus: 'DiagnosticReport/r1' },
          dedupeKey: 'report.retract:DiagnosticReport/r1',
        },
      ]);
      assert.equal(update(dr({ status, conclusion: undefined }), dr())[0]?.type, 'report.retract');
    }
    // Already withdrawn: nothing more to do; created withdrawn: nothing was derived from it.
    assert.deepEqual(update(dr({ status: 'cancelled' }), dr({ status: 'entered-in-error' })), []);
    const created = reportTriggers({
      kind: 'create',
      resourceType: 'DiagnosticReport',
      id: 'r1',
      versionId: '1',
      resource: dr({ status: 'entered-in-error' }),
    });
    assert.deepEqual(created, []);
    // Restored: extraction again.
    assert.equal(update(dr(), dr({ status: 'entered-in-error' }))[0]?.type, 'report.extract');
  });

  it('compares a study once its AI or report findings change in what the comparison reads', () => {
    const finding = (extra: Partial<Observation> = {}): Observation => ({
      resourceType: 'Observation',
      id: 'o1',
      status: 'preliminary',
      code: { text: 'pneumothorax' },
      partOf: [{ reference: 'ImagingStudy/s1' }],
      method: { coding: [{ system: WORKFLOW_SYSTEM, code: 'ai-image-classification' }] },
      interpretation: [{ coding: [{ code: 'POS' }] }],
      ...extra,
    });
    const change = (resource: Observation | undefined, previous?: Observation) =>
      comparisonTriggers(changeOf('Observation', resource, previous));
    assert.deepEqual(change(finding()), [
      {
        type: 'findings.compare',
        payload: { focus: 'ImagingStudy/s1' },
        dedupeKey: 'findings.compare:ImagingStudy/s1',
      },
    ]);
    assert.equal(change(finding({ interpretation: [{ coding: [{ code: 'NEG' }] }] }), finding()).length, 1);
    assert.equal(change(finding({ status: 'entered-in-error' }), finding()).length, 1);
    assert.equal(change(undefined, finding()).length, 1, 'a deleted finding');
    assert.deepEqual(change(finding({ valueQuantity: { value: 0.91 } }), finding()), [], 'not what is compared');
    // A model run again (e.g. back to an earlier model) with unchanged results: which run is latest changed.
    const ran = (issued: string) => finding({ issued });
    assert.equal(change(ran('2026-02-01T00:00:00Z'), ran('2026-01-01T00:00:00Z')).length, 1, 'a new run (issued)');
    const other = finding({ method: { coding: [{ system: 'http://loinc.org', code: 'x' }] } });
    assert.deepEqual(change(other), [], 'an Observation that is neither AI nor report finding');
    assert.deepEqual(change(finding({ partOf: [{ reference: 'Procedure/p1' }] })), [], 'no study');
  });

  it('classifies an available study and retracts its AI outputs when it is withdrawn or deleted', () => {
    const study = (status: ImagingStudy['status']): ImagingStudy => ({
      resourceType: 'ImagingStudy',
      id: 's1',
      status,
      identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' }],
      subject: { reference: 'Patient/p1' },
    });
    const types = (resource: ImagingStudy | undefined, previous?: ImagingStudy) =>
      imagingTriggers(changeOf('ImagingStudy', resource, previous)).map((j) => j.type);
    assert.deepEqual(types(study('available')), ['imaging.classify']);
    assert.deepEqual(types(study('entered-in-error'), study('available')), ['imaging.retract']);
    assert.deepEqual(types(study('cancelled'), study('registered')), ['imaging.retract']);
    assert.deepEqual(types(undefined, study('available')), ['imaging.retract']);
    assert.deepEqual(types(study('cancelled'), study('entered-in-error')), [], 'already withdrawn');
    assert.deepEqual(types(study('entered-in-error')), [], 'created withdrawn: nothing to withdraw');
    assert.deepEqual(types(study('available'), study('entered-in-error')), ['imaging.classify'], 'refiled');
    const moved = { ...study('available'), subject: { reference: 'Patient/p2' } };
    assert.deepEqual(types(moved, study('available')), ['imaging.classify'], 'filed under another patient');
    const described = { ...study('available'), description: 'CT chest' };
    assert.deepEqual(types(described, study('available')), [], 'nothing the findings are made from');
  });
});
