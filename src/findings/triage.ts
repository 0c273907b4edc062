// Triage: positive AI findings on the critical-findings list -> one Task per study (code triage, the highest
// priority among its critical findings, focus the ImagingStudy), so a worklist can ask
// Task?code=triage&status=requested&_sort=-priority. Task: http://hl7.org/fhir/R4/task.html
import type { BundleEntry, ImagingStudy, Task } from 'fhir/r4.js';
import { stableUrn, upsertByIdentifier } from './bundle-entries.js';
import type { AiFindingInput, FindingCodes } from './types.js';

export type TriagePriority = 'stat' | 'asap' | 'urgent' | 'routine';
/** request-priority order, most pressing first (http://hl7.org/fhir/R4/valueset-request-priority.html). */
export const PRIORITY_ORDER: readonly TriagePriority[] = ['stat', 'asap', 'urgent', 'routine'];

/** Abnormality code -> triage priority (terminology/critical-findings.json). */
export type CriticalFindings = ReadonlyMap<string, TriagePriority>;

export const TRIAGE_CODE = 'triage';

/** The triage Task for a study, or undefined when no positive finding is critical. */
export function triageEntry(
  study: ImagingStudy,
  positives: readonly AiFindingInput[],
  critical: CriticalFindings,
  codes: FindingCodes,
  display: (code: string) => string,
  now: string,
): BundleEntry | undefined {
  const flagged = positives.filter((f) => critical.has(f.abnormality));
  if (flagged.length === 0) return undefined;
  const priority = PRIORITY_ORDER.find((p) => flagged.some((f) => critical.get(f.abnormality) === p)) ?? 'routine';
  const task: Task = {
    resourceType: 'Task',
    identifier: [{ system: codes.identifierSystem('task'), value: `triage/${study.id}` }],
    basedOn: study.basedOn,
    status: 'requested',
    intent: 'order',
    priority,
    code: { coding: [{ system: codes.methodSystem, code: TRIAGE_CODE, display: 'Triage' }], text: 'Triage CT study' },
    description: `Critical AI findings: ${flagged.map((f) => display(f.abnormality)).join(', ')}`,
    focus: { reference: `ImagingStudy/${study.id}` },
    for: study.subject,
    authoredOn: now,
    lastModified: now,
    reasonCode: {
      coding: flagged.flatMap((f) => codes.abnormality(f.abnormality).coding?.slice(0, 1) ?? []),
      text: flagged.map((f) => `${display(f.abnormality)} (p=${f.probability.toFixed(2)})`).join('; '),
    },
  };
  if (!task.basedOn?.length) delete task.basedOn;
  return upsertByIdentifier(task, stableUrn(`triage/${study.id}`));
}
