// The outbox triggers: which jobs a resource change enqueues (jobs/outbox.ts enqueues them in the resource's own
// database transaction, so a crash keeps both or neither). Reports with text -> extraction; deleted -> retraction.
import type { DiagnosticReport } from 'fhir/r4.js';
import type { ResourceChange } from '../fhir/repository.js';
import { canonicalJson } from '../store/rows.js';
import { CANONICAL_BASE } from '../terminology/systems.js';
import { REPORT_EXTRACT, REPORT_RETRACT, type FocusPayload } from './job-types.js';

/** Reports ct-fhir wrote itself (the AI summary) are never fed back into extraction. */
export function isOwnReport(report: DiagnosticReport): boolean {
  return (report.identifier ?? []).some((i) => i.system?.startsWith(`${CANONICAL_BASE}/identifier/`));
}

/** True when a report carries text the extractor can read. */
export function hasReportText(report: DiagnosticReport): boolean {
  return (report.presentedForm?.length ?? 0) > 0 || Boolean(report.conclusion);
}

/** The report jobs a change triggers (pure): a JobTrigger for jobs/outbox.ts outboxHook. */
export function reportTriggers(change: ResourceChange): { type: string; payload: FocusPayload; dedupeKey: string }[] {
  if (change.resourceType !== 'DiagnosticReport') return [];
  const focus = `DiagnosticReport/${change.id}`;
  if (change.kind === 'delete') {
    return change.previous
      ? [{ type: REPORT_RETRACT, payload: { focus }, dedupeKey: `${REPORT_RETRACT}:${focus}` }]
      : [];
  }
  const report = change.resource as DiagnosticReport;
  if (isOwnReport(report) || !hasReportText(report)) return [];
  const before = change.previous as DiagnosticReport | undefined;
  // A new version whose text, status and subject are unchanged needs no new extraction.
  const relevant = (r: DiagnosticReport): string => canonicalJson([r.presentedForm, r.conclusion, r.status, r.subject]);
  if (before && relevant(before) === relevant(report)) return [];
  return [
    { type: REPORT_EXTRACT, payload: { focus, versionId: change.versionId }, dedupeKey: `${REPORT_EXTRACT}:${focus}` },
  ];
}
