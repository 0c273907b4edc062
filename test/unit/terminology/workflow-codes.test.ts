// The ct-fhir-workflow CodeSystem ships every workflow code the builders write (Observation.method, Task.code and
// statusReason, DetectedIssue.code), each with a definition and the display it is written with, and no other code:
// a code added to a builder without a definition in terminology/codesystem-ct-fhir-workflow.json fails here.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { BundleEntry, Coding, DiagnosticReport, ImagingStudy, Parameters, Task } from 'fhir/r4.js';
import { aiFindingsBundle } from '../../../src/findings/ai-findings.js';
import { findingCodes, WORKFLOW_SYSTEM } from '../../../src/findings/codes.js';
import { discrepancyEntries, type Discrepancy } from '../../../src/findings/discrepancy.js';
import { reportFindingsBundle } from '../../../src/findings/report-findings.js';
import { cancelTriage, TRIAGE_CODE, triageEntry, type TriageCancelReason } from '../../../src/findings/triage.js';
import { AI_METHOD, REPORT_METHOD } from '../../../src/findings/types.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { validateCode } from '../../../src/terminology/operations.js';

// Typed records: a new cancel reason or discrepancy kind does not compile (npm test type-checks) until listed here.
const CANCEL_REASONS: Record<TriageCancelReason, true> = { 'no-critical-finding': true, 'study-withdrawn': true };
const DISCREPANCY_KINDS: Record<Discrepancy['kind'], true> = {
  'ai-positive-report-negative': true,
  'report-positive-ai-negative': true,
};
const DECLARED = [
  AI_METHOD,
  REPORT_METHOD,
  TRIAGE_CODE,
  ...Object.keys(CANCEL_REASONS),
  ...Object.keys(DISCREPANCY_KINDS),
].sort();

const terminology = getTerminology();
const codes = findingCodes(terminology);
const now = '2024-05-01T10:00:00Z';
const algorithm = { name: 'test-model', displayName: 'Test model', version: '1', type: 'test' };
const study: ImagingStudy = {
  resourceType: 'ImagingStudy',
  id: 'is1',
  status: 'available',
  subject: { reference: 'Patient/p1' },
};
const report: DiagnosticReport = {
  resourceType: 'DiagnosticReport',
  id: 'dr1',
  status: 'final',
  code: { text: 'CT chest' },
  subject: { reference: 'Patient/p1' },
};

/** Everything the builders write, one run through each path that sets a workflow code. */
function builderOutputs(): unknown[] {
  const ai = aiFindingsBundle({
    study,
    findings: [{ abnormality: 'pneumothorax', location: null, probability: 0.9, positive: true, threshold: 0.5 }],
    codes,
    organizationName: 'Test Hospital',
    algorithm,
    now,
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
  const positives = [{ abnormality: 'pneumothorax', location: null, probability: 0.9, positive: true, threshold: 0.5 }];
  const task = triageEntry(study, positives, new Map([['pneumothorax', 'stat']]), codes, codes.display, now);
  const requested = { ...(task?.resource as Task), id: 't1' };
  const cancelled = (Object.keys(CANCEL_REASONS) as TriageCancelReason[]).map((r) =>
    cancelTriage(requested, r, codes, now),
  );
  const issues = discrepancyEntries({
    studyId: 'is1',
    patient: study.subject,
    discrepancies: (Object.keys(DISCREPANCY_KINDS) as Discrepancy['kind'][]).map((kind, i) => ({
      abnormality: ['pneumothorax', 'nodule'][i] ?? kind,
      kind,
      ai: { reference: 'Observation/a1' },
      report: { reference: 'Observation/r1' },
    })),
    existing: [],
    codes,
    display: codes.display,
    now,
  });
  const entries: (BundleEntry | undefined)[] = [...ai.entry!, ...fromReport.entry!, task, ...cancelled, ...issues];
  return entries.map((e) => e?.resource);
}

/** Every Coding in the workflow system anywhere in `value`. */
function workflowCodings(value: unknown, out: Coding[] = []): Coding[] {
  if (Array.isArray(value)) for (const v of value) workflowCodings(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.system === WORKFLOW_SYSTEM && typeof o.code === 'string') out.push(o as Coding);
    for (const v of Object.values(o)) workflowCodings(v, out);
  }
  return out;
}

it('every workflow code the builders write is in the shipped ct-fhir-workflow CodeSystem, with a definition', () => {
  const cs = terminology.codeSystems.get(WORKFLOW_SYSTEM);
  assert.ok(cs, `${WORKFLOW_SYSTEM} is not shipped in terminology/`);
  const emitted = workflowCodings(builderOutputs());
  assert.deepEqual([...new Set(emitted.map((c) => c.code))].sort(), DECLARED, 'each declared code is exercised');
  for (const coding of emitted) {
    const concept = cs.concept?.find((c) => c.code === coding.code);
    assert.ok(concept?.definition, `${coding.code} has no definition`);
    // What a receiver does: $validate-code with the coding as written (display included).
    const input: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: WORKFLOW_SYSTEM },
        { name: 'coding', valueCoding: coding },
      ],
    };
    const result = validateCode(terminology, input).parameter?.find((p) => p.name === 'result');
    assert.equal(result?.valueBoolean, true, `$validate-code ${JSON.stringify(coding)}`);
  }
});

it('the ct-fhir-workflow CodeSystem holds exactly the codes ct-fhir writes', () => {
  const cs = terminology.codeSystems.get(WORKFLOW_SYSTEM);
  assert.deepEqual((cs?.concept ?? []).map((c) => c.code).sort(), DECLARED);
  assert.equal(cs?.count, DECLARED.length);
});
