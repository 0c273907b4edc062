// The outbox triggers: which jobs a resource change enqueues (jobs/outbox.ts enqueues them in the resource's own
// database transaction, so a crash keeps both or neither). Reports with text -> extraction; deleted or withdrawn
// (entered-in-error, cancelled) -> retraction; studies likewise (classification, or retraction of the AI outputs);
// a study's AI or report findings changing -> comparison.
import type { DiagnosticReport, ImagingStudy, Observation } from 'fhir/r4.js';
import type { ResourceChange } from '../fhir/repository.js';
import { canonicalJson } from '../store/rows.js';
import { WORKFLOW_SYSTEM } from '../findings/codes.js';
import { AI_METHOD, REPORT_METHOD } from '../findings/types.js';
import { CANONICAL_BASE } from '../terminology/systems.js';
import {
  FINDINGS_COMPARE,
  IMAGING_CLASSIFY,
  IMAGING_RETRACT,
  REPORT_EXTRACT,
  REPORT_RETRACT,
  type FocusPayload,
} from './job-types.js';

/** Reports ct-fhir wrote itself (the AI summary) are never fed back into extraction. */
export function isOwnReport(report: DiagnosticReport): boolean {
  return (report.identifier ?? []).some((i) => i.system?.startsWith(`${CANONICAL_BASE}/identifier/`));
}

/**
 * A report or study withdrawn by its source (DiagnosticReport or ImagingStudy status entered-in-error or cancelled):
 * what was derived from it is withdrawn as if it were deleted, whether or not its text or images are still there.
 */
export function isWithdrawn(resource: DiagnosticReport | ImagingStudy): boolean {
  return resource.status === 'entered-in-error' || resource.status === 'cancelled';
}

/** True when a report carries text the extractor can read. */
export function hasReportText(report: DiagnosticReport): boolean {
  return (report.presentedForm?.length ?? 0) > 0 || Boolean(report.conclusion);
}

/** The report jobs a change triggers (pure): a JobTrigger for jobs/outbox.ts outboxHook. */
export function reportTriggers(change: ResourceChange): { type: string; payload: FocusPayload; dedupeKey: string }[] {
  if (change.resourceType !== 'DiagnosticReport') return [];
  const focus = `DiagnosticReport/${change.id}`;
  const retract = [{ type: REPORT_RETRACT, payload: { focus }, dedupeKey: `${REPORT_RETRACT}:${focus}` }];
  if (change.kind === 'delete') return change.previous ? retract : [];
  const report = change.resource as DiagnosticReport;
  const before = change.previous as DiagnosticReport | undefined;
  if (isOwnReport(report)) return [];
  if (isWithdrawn(report)) return before && !isWithdrawn(before) ? retract : [];
  // A version without text extracts nothing, but after one with text it must supersede that text's findings.
  if (!hasReportText(report) && !(before && hasReportText(before))) return [];
  // A new version needs a new extraction when its text or status changed, or anything the findings copy from it
  // (report-findings.ts): a report linked to its study or order later must link its findings too.
  const relevant = (r: DiagnosticReport): string =>
    canonicalJson([
      r.presentedForm,
      r.conclusion,
      r.status,
      r.subject,
      r.imagingStudy,
      r.basedOn,
      r.encounter,
      r.effectiveDateTime,
      r.effectivePeriod,
      r.issued,
    ]);
  if (before && relevant(before) === relevant(report)) return [];
  return [
    { type: REPORT_EXTRACT, payload: { focus, versionId: change.versionId }, dedupeKey: `${REPORT_EXTRACT}:${focus}` },
  ];
}

/** An ImagingStudy with pixels to fetch: available (not a registered order stub) and carrying a study UID. */
export function isClassifiable(study: ImagingStudy): boolean {
  return study.status === 'available' && (study.identifier ?? []).some((i) => i.system === 'urn:dicom:uid' && i.value);
}

/**
 * The job an ImagingStudy change triggers (pure): classification when it becomes classifiable or its series change;
 * retraction of its AI outputs when it is withdrawn or deleted.
 */
export function imagingTriggers(change: ResourceChange): { type: string; payload: FocusPayload; dedupeKey: string }[] {
  if (change.resourceType !== 'ImagingStudy') return [];
  const focus = `ImagingStudy/${change.id}`;
  const before = change.previous as ImagingStudy | undefined;
  const retract = [{ type: IMAGING_RETRACT, payload: { focus }, dedupeKey: `${IMAGING_RETRACT}:${focus}` }];
  if (change.kind === 'delete') return before && !isWithdrawn(before) ? retract : [];
  const study = change.resource as ImagingStudy;
  if (isWithdrawn(study)) return before && !isWithdrawn(before) ? retract : [];
  if (!isClassifiable(study)) return [];
  // The pixels (series, where to fetch them) and what the AI outputs copy from the study (ai-findings.ts, triage.ts):
  // a study refiled under the right patient must take its findings and triage Task along.
  const relevant = (s: ImagingStudy): string =>
    canonicalJson([
      s.status,
      s.identifier,
      s.series?.map((x) => [x.uid, x.numberOfInstances]),
      s.endpoint,
      s.subject,
      s.basedOn,
      s.encounter,
      s.started,
    ]);
  if (before && isClassifiable(before) && relevant(before) === relevant(study)) return [];
  return [{ type: IMAGING_CLASSIFY, payload: { focus }, dedupeKey: `${IMAGING_CLASSIFY}:${focus}` }];
}

const COMPARED_METHODS = new Set([AI_METHOD, REPORT_METHOD]);

/** The studies an AI or report-derived finding belongs to (Observation.partOf), or none for other Observations. */
function comparedStudies(obs: Observation | undefined): string[] {
  if (!obs?.method?.coding?.some((c) => c.system === WORKFLOW_SYSTEM && COMPARED_METHODS.has(c.code ?? ''))) return [];
  return (obs.partOf ?? []).map((r) => r.reference ?? '').filter((r) => /^ImagingStudy\/[A-Za-z0-9\-.]{1,64}$/.test(r));
}

/**
 * The comparison a finding's change triggers (pure): one findings.compare job per study, coalesced per study, when
 * what the comparison reads or copies (status, code, interpretation, patient, study) changed, or when it was issued
 * (a model run again: the comparison takes the latest run, so going back to an earlier model with unchanged results
 * must compare again). Whoever comes second, the model or the report, the comparison runs after both are committed.
 */
export function comparisonTriggers(
  change: ResourceChange,
): { type: string; payload: FocusPayload; dedupeKey: string }[] {
  if (change.resourceType !== 'Observation') return [];
  const now = change.resource as Observation | undefined;
  const before = change.previous as Observation | undefined;
  const [studiesNow, studiesBefore] = [comparedStudies(now), comparedStudies(before)];
  // Most Observations are neither kind of finding: nothing to compare, and no need to serialise them.
  if (studiesNow.length === 0 && studiesBefore.length === 0) return [];
  const relevant = (o: Observation | undefined, studies: string[]): string =>
    canonicalJson([o?.status, o?.code, o?.interpretation, o?.subject, o?.issued, studies]);
  if (now && before && relevant(now, studiesNow) === relevant(before, studiesBefore)) return [];
  return [...new Set([...studiesNow, ...studiesBefore])].map((focus) => ({
    type: FINDINGS_COMPARE,
    payload: { focus },
    dedupeKey: `${FINDINGS_COMPARE}:${focus}`,
  }));
}
