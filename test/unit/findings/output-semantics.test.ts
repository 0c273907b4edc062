// What the written resources say, checked on the builders' output over the shipped terminology: external codes carry
// their own code system's display, the triage Task's reason is one concept, the AI summary claims no more than the
// model assessed, a discrepancy tells a report that denies a finding from one that omits it, and a report of unknown
// status does not make its findings final.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Coding, DetectedIssue, DiagnosticReport, ImagingStudy, Task } from 'fhir/r4.js';
import { aiFindingsBundle } from '../../../src/findings/ai-findings.js';
import { findingCodes } from '../../../src/findings/codes.js';
import { discrepancyEntries, findDiscrepancies } from '../../../src/findings/discrepancy.js';
import { observationStatus, reportFindingsBundle } from '../../../src/findings/report-findings.js';
import { triageEntry } from '../../../src/findings/triage.js';
import type { AiFindingInput } from '../../../src/findings/types.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { CT_ABNORMALITY, SNOMED } from '../../../src/terminology/systems.js';

const codes = findingCodes(getTerminology());
const LOINC = 'http://loinc.org';
const algorithm = { name: 'ctnet-test', displayName: 'CT-Net test', version: '1.0', type: 'CT image classifier' };
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
  meta: { versionId: '1', lastUpdated: '2024-05-01T11:00:00Z' },
  status: 'final',
  code: { text: 'CT chest' },
  subject: { reference: 'Patient/p1' },
};
const output = (abnormality: string, probability: number, threshold: number): AiFindingInput => ({
  abnormality,
  location: null,
  probability,
  threshold,
  positive: probability >= threshold,
});
const aiBundle = (findings: AiFindingInput[]): Bundle =>
  aiFindingsBundle({
    study,
    findings,
    codes,
    organizationName: 'Test Hospital',
    algorithm,
    now: '2024-05-01T10:00:00Z',
    display: codes.display,
  }).bundle;
const summary = (findings: AiFindingInput[]): string =>
  (aiBundle(findings).entry!.find((e) => e.resource?.resourceType === 'DiagnosticReport')!.resource as DiagnosticReport)
    .conclusion ?? '';

/** Every Coding in a resource tree. */
function codings(node: unknown, out: Coding[] = []): Coding[] {
  if (Array.isArray(node)) for (const n of node) codings(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.system === 'string' && typeof o.code === 'string') out.push(o as Coding);
    for (const v of Object.values(o)) codings(v, out);
  }
  return out;
}

describe('what the findings resources say', () => {
  it('names the SNOMED CT and LOINC codes the builders fix with those code systems displays', () => {
    // SNOMED CT 272519000 is "Absence findings" ("Absent" is 2667000); LOINC 24627-2 is "CT Chest".
    const expected: Record<string, string> = {
      [`${SNOMED}|52101004`]: 'Present',
      [`${SNOMED}|272519000`]: 'Absence findings',
      [`${LOINC}|24627-2`]: 'CT Chest',
      [`${LOINC}|LP29684-5`]: 'Radiology',
    };
    const fromReport = reportFindingsBundle({
      report,
      findings: ['present', 'absent'].map((polarity, i) => ({
        abnormality: i ? 'pneumothorax' : 'pleural_effusion',
        location: 'lung',
        polarity: polarity as 'present' | 'absent',
        evidence: { section: 'findings', sentence: 'x', start: 0, end: 1 },
      })),
      existing: [],
      codes,
      organizationName: 'Test Hospital',
      algorithm,
    });
    const written = codings([aiBundle([output('pneumothorax', 0.9, 0.5)]), fromReport]);
    for (const [key, display] of Object.entries(expected)) {
      const found = written.filter((c) => `${c.system}|${c.code}` === key);
      assert.ok(found.length > 0, `${key} is written`);
      for (const c of found) assert.equal(c.display, display, key);
    }
  });

  it('gives the triage Task one reason: the most pressing critical finding, with all its codings', () => {
    const critical = new Map([
      ['pneumothorax', 'stat' as const],
      ['pleural_effusion', 'urgent' as const],
    ]);
    const positives = [output('pleural_effusion', 0.95, 0.2), output('pneumothorax', 0.8, 0.7)];
    const task = triageEntry(study, positives, critical, codes, codes.display, '2024-05-01T10:00:00Z')!
      .resource as Task;
    assert.equal(task.priority, 'stat');
    assert.deepEqual(task.reasonCode?.coding, codes.abnormality('pneumothorax').coding);
    assert.ok(task.reasonCode?.coding?.some((c) => c.system === CT_ABNORMALITY && c.code === 'pneumothorax'));
    assert.ok(task.reasonCode?.coding?.some((c) => c.system === SNOMED && c.code === '36118008'));
    assert.match(task.description ?? '', /Pneumothorax/);
    assert.match(task.description ?? '', /Pleural effusion/);
  });

  it('summarises a run by what the model assessed, not as "no abnormality", with each threshold', () => {
    const none = summary([output('pneumothorax', 0.2, 0.72), output('nodule', 0.05, 0.12)]);
    assert.doesNotMatch(none, /no abnormality/i);
    assert.match(none, /not reviewed by a radiologist/);
    assert.match(none, /2 findings assessed/);
    assert.match(none, /does not exclude/);
    const some = summary([output('pneumothorax', 0.996, 0.72), output('nodule', 0.05, 0.12)]);
    assert.match(some, /1 of 2 findings assessed/);
    assert.match(some, /Pneumothorax: probability >0\.99 \(threshold 0\.72\)/);
    assert.doesNotMatch(some, /Nodule/);
  });

  it('tells a report that denies what the model flags from one that does not mention it', () => {
    const ai = (abnormality: string) => ({ abnormality, positive: true, observation: { reference: 'Observation/a' } });
    const denied = { abnormality: 'pneumothorax', positive: false, observation: { reference: 'Observation/r' } };
    const issues = discrepancyEntries({
      studyId: 'is1',
      patient: study.subject,
      discrepancies: findDiscrepancies([ai('pneumothorax'), ai('nodule')], [denied]),
      existing: [],
      codes,
      display: codes.display,
      now: '2024-05-01T10:00:00Z',
    }).map((e) => e.resource as DetectedIssue);
    const of = (code: string) => issues.find((i) => i.identifier?.[0]?.value?.endsWith(`/${code}`))!;
    assert.deepEqual(of('pneumothorax').implicated?.slice(0, 2), [
      { reference: 'Observation/a' },
      { reference: 'Observation/r' },
    ]);
    assert.match(of('pneumothorax').detail ?? '', /report states it is absent/);
    assert.match(of('nodule').detail ?? '', /report does not mention it/);
  });

  it('keeps the findings of a report of unknown status from reading as final', () => {
    assert.equal(observationStatus('unknown'), 'unknown');
  });
});
