// Triage: positive AI findings on the critical-findings list -> one Task per study (code triage, the highest
// priority among its critical findings, focus the ImagingStudy), so a worklist can ask
// Task?code=triage&status=requested&_sort=-priority. Task: http://hl7.org/fhir/R4/task.html
// A re-run (new series, new model) updates what the model says but never the worklist's progress on the Task, and
// cancels a Task nobody has started when the study no longer has a critical finding.
import type { BundleEntry, Identifier, ImagingStudy, Task } from 'fhir/r4.js';
import { canonicalJson } from '../store/rows.js';
import { replace, stableUrn, upsertByIdentifier } from './bundle-entries.js';
import type { AiFindingInput, FindingCodes } from './types.js';

export type TriagePriority = 'stat' | 'asap' | 'urgent' | 'routine';
/** request-priority order, most pressing first (http://hl7.org/fhir/R4/valueset-request-priority.html). */
export const PRIORITY_ORDER: readonly TriagePriority[] = ['stat', 'asap', 'urgent', 'routine'];

/** Abnormality code -> triage priority (terminology/critical-findings.json). */
export type CriticalFindings = ReadonlyMap<string, TriagePriority>;

export const TRIAGE_CODE = 'triage';
/** Why ct-fhir cancelled a triage Task: Task.statusReason codes (FindingCodes.methodSystem) and their text. */
const CANCEL_REASONS = {
  'no-critical-finding': 'A later classification of the study found no critical finding',
  'study-withdrawn': 'The study was withdrawn (entered-in-error or cancelled)',
} as const;
export type TriageCancelReason = keyof typeof CANCEL_REASONS;

/** Task statuses before anyone has taken the Task up: ct-fhir may still cancel these. */
const NOT_STARTED = new Set<Task['status']>(['draft', 'requested', 'received', 'accepted', 'ready']);

const cancelledByUs = (task: Task): boolean =>
  task.status === 'cancelled' && !!task.statusReason?.coding?.some((c) => Object.hasOwn(CANCEL_REASONS, c.code ?? ''));

/** The identifier of a study's triage Task (one per study). */
export const triageIdentifier = (codes: FindingCodes, studyId: string): Identifier => ({
  system: codes.identifierSystem('task'),
  value: `triage/${studyId}`,
});

/** The earlier triage Task cancelled for a reason; nothing when there is none or someone has started on it. */
export function cancelTriage(
  existing: Task | undefined,
  reason: TriageCancelReason,
  codes: FindingCodes,
  now: string,
): BundleEntry | undefined {
  if (!existing || !NOT_STARTED.has(existing.status)) return undefined;
  const cancelled: Task = {
    ...existing,
    status: 'cancelled',
    statusReason: { coding: [{ system: codes.methodSystem, code: reason }], text: CANCEL_REASONS[reason] },
    lastModified: now,
  };
  return readAt(replace(cancelled), existing);
}

/**
 * The entry made conditional on the version it was computed from (If-Match): a worklist that took or changed the Task
 * in between makes the write fail (412) and the job run again on the new version, instead of being overwritten.
 */
function readAt(entry: BundleEntry, existing: Task | undefined): BundleEntry {
  const version = existing?.meta?.versionId;
  if (version) entry.request = { ...entry.request!, ifMatch: `W/"${version}"` };
  return entry;
}

/** What the model decides on a triage Task; the rest (status, owner, notes, dates) belongs to the worklist. */
const modelPart = (t: Task): string => canonicalJson([t.priority, t.description, t.reasonCode, t.basedOn, t.for]);

/**
 * The triage Task entry for a study given its current positive findings and the Task an earlier run raised (if any):
 * a new or updated Task while a finding is critical; the earlier Task cancelled if no finding is critical any more
 * and nobody has started on it; otherwise nothing.
 */
export function triageEntry(
  study: ImagingStudy,
  positives: readonly AiFindingInput[],
  critical: CriticalFindings,
  codes: FindingCodes,
  display: (code: string) => string,
  now: string,
  existing?: Task,
): BundleEntry | undefined {
  const flagged = positives.filter((f) => critical.has(f.abnormality));
  if (flagged.length === 0) return cancelTriage(existing, 'no-critical-finding', codes, now);
  const rank = (f: AiFindingInput): number => PRIORITY_ORDER.indexOf(critical.get(f.abnormality) ?? 'routine');
  // Task.reasonCode is one concept (0..1, and a CodeableConcept's codings are alternatives for one concept, not a
  // list): the most pressing finding, the likeliest among equals; the description names every flagged finding.
  const reason = [...flagged].sort((a, b) => rank(a) - rank(b) || b.probability - a.probability)[0]!;
  const priority = PRIORITY_ORDER[rank(reason)] ?? 'routine';
  const task: Task = {
    resourceType: 'Task',
    identifier: [triageIdentifier(codes, study.id!)],
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
      coding: codes.abnormality(reason.abnormality).coding,
      text: `${display(reason.abnormality)} (p=${reason.probability.toFixed(2)})`,
    },
  };
  if (!task.basedOn?.length) delete task.basedOn;
  if (existing && !cancelledByUs(existing)) {
    // The worklist's progress stays; dates move only when what the model says changes.
    const { status, businessStatus, owner, executionPeriod, note, output, statusReason } = existing;
    Object.assign(task, { status, businessStatus, owner, executionPeriod, note, output, statusReason });
    task.authoredOn = existing.authoredOn ?? now;
    if (modelPart(task) === modelPart(existing)) task.lastModified = existing.lastModified ?? now;
    for (const key of Object.keys(task) as (keyof Task)[]) if (task[key] === undefined) delete task[key];
  }
  return readAt(upsertByIdentifier(task, stableUrn(`triage/${study.id}`)), existing);
}
