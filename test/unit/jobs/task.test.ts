import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { focusOf, JOB_IDENTIFIER_SYSTEM, jobToTask } from '../../../src/jobs/task.js';
import type { Job } from '../../../src/jobs/types.js';

const base: Job = {
  id: '7',
  type: 'labels.extract',
  payload: { focus: 'DiagnosticReport/r1' },
  status: 'queued',
  priority: 0,
  runAt: new Date('2025-01-01T00:00:00Z'),
  attempts: 0,
  maxAttempts: 3,
  rerun: false,
  createdAt: new Date('2025-01-01T00:00:00Z'),
  updatedAt: new Date('2025-01-01T00:00:01Z'),
};

describe('jobToTask', () => {
  it('maps a queued job to a requested Task with a stable id and the job identifier', () => {
    const task = jobToTask(base);
    assert.equal(task.resourceType, 'Task');
    assert.equal(task.id, 'job-7');
    assert.deepEqual(task.identifier, [{ system: JOB_IDENTIFIER_SYSTEM, value: '7' }]);
    assert.equal(task.status, 'requested');
    assert.equal(task.intent, 'order');
    assert.equal(task.priority, 'routine');
    assert.equal(task.code?.coding?.[0]?.code, 'labels.extract');
    assert.deepEqual(task.focus, { reference: 'DiagnosticReport/r1' });
    assert.equal(task.businessStatus?.coding?.[0]?.code, 'queued');
    assert.equal(task.authoredOn, '2025-01-01T00:00:00.000Z');
    assert.equal(task.lastModified, '2025-01-01T00:00:01.000Z');
    assert.equal(task.statusReason, undefined);
    assert.equal(task.output, undefined);
  });

  it('maps running to in-progress with the execution start', () => {
    const task = jobToTask({ ...base, status: 'running', attempts: 1, startedAt: new Date('2025-01-01T00:00:02Z') });
    assert.equal(task.status, 'in-progress');
    assert.deepEqual(task.executionPeriod, { start: '2025-01-01T00:00:02.000Z' });
    assert.match(task.businessStatus?.text ?? '', /attempt 1 of 3/);
  });

  it('maps completed with output references and the summary; invalid references are left out', () => {
    const task = jobToTask({
      ...base,
      status: 'completed',
      attempts: 1,
      startedAt: new Date('2025-01-01T00:00:02Z'),
      finishedAt: new Date('2025-01-01T00:00:03Z'),
      result: {
        output: [
          { reference: 'Observation/o1' },
          { reference: 'Observation/o2', display: 'nodule' },
          { reference: 'not a ref' },
        ],
        summary: '2 findings',
      },
    });
    assert.equal(task.status, 'completed');
    assert.deepEqual(
      task.output?.map((o) => o.valueReference),
      [{ reference: 'Observation/o1' }, { reference: 'Observation/o2', display: 'nodule' }],
    );
    assert.equal(task.output?.[0]?.type.text, 'produced');
    assert.deepEqual(task.note, [{ text: '2 findings' }]);
    assert.equal(task.executionPeriod?.end, '2025-01-01T00:00:03.000Z');
  });

  it('maps dead and failed to failed with the last error as statusReason', () => {
    const dead = jobToTask({ ...base, status: 'dead', attempts: 3, lastError: 'model missing' });
    assert.equal(dead.status, 'failed');
    assert.deepEqual(dead.statusReason, { text: 'model missing' });
    assert.equal(dead.businessStatus?.coding?.[0]?.code, 'dead-letter');
    const failed = jobToTask({ ...base, status: 'failed', attempts: 1, lastError: 'PermanentJobError: bad' });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.businessStatus?.coding?.[0]?.code, 'failed');
  });

  it('shows a scheduled retry as requested with the error that caused it', () => {
    const task = jobToTask({ ...base, status: 'queued', attempts: 1, lastError: 'PACS timeout' });
    assert.equal(task.status, 'requested');
    assert.equal(task.businessStatus?.coding?.[0]?.code, 'retry-scheduled');
    assert.deepEqual(task.statusReason, { text: 'PACS timeout' });
  });

  it('maps the priority bands to Task.priority', () => {
    assert.deepEqual(
      [0, 10, 20, 30, -5].map((priority) => jobToTask({ ...base, priority }).priority),
      ['routine', 'urgent', 'asap', 'stat', 'routine'],
    );
  });

  it('gives the same Task identity on every transition (re-mirroring is an update)', () => {
    const a = jobToTask(base);
    const b = jobToTask({ ...base, status: 'completed' });
    assert.equal(a.id, b.id);
    assert.deepEqual(a.identifier, b.identifier);
  });
});

describe('focusOf', () => {
  it('reads a relative reference string or a Reference object', () => {
    assert.deepEqual(focusOf({ focus: 'ImagingStudy/s1' }), { reference: 'ImagingStudy/s1' });
    assert.deepEqual(focusOf({ focus: { reference: 'DiagnosticReport/r1', display: 'CT chest' } }), {
      reference: 'DiagnosticReport/r1',
      display: 'CT chest',
    });
  });

  it('ignores a missing, malformed or non-string focus', () => {
    for (const payload of [
      null,
      'x',
      {},
      { focus: 42 },
      { focus: 'no-slash' },
      { focus: 'lowercase/1' },
      { focus: { reference: 7 } },
      { focus: 'Patient/has space' },
    ]) {
      assert.equal(focusOf(payload), undefined, JSON.stringify(payload));
    }
  });
});
