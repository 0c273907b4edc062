// Job handlers for report-label extraction: read the report, extract findings (reports/, pure), build the findings
// transaction (findings/, pure) and run it through the FHIR transaction interaction in one database transaction.
import type { Bundle, DiagnosticReport, Observation } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { lastLiveVersion, readIfPresent } from '../fhir/repository.js';
import { basePrefix, onBase } from '../fhir/search/values.js';
import { findingCodes } from '../findings/codes.js';
import { reportFindingsBundle, retractFindingsBundle } from '../findings/report-findings.js';
import type { JobHandler, JobResult, OutputReference } from '../jobs/types.js';
import { extractFindings } from '../reports/extract.js';
import { EXTRACTOR_NAME, EXTRACTOR_VERSION } from '../reports/version.js';
import type { Terminology } from '../terminology/load.js';
import { REPORT_EXTRACT, REPORT_RETRACT, type FocusPayload } from './job-types.js';
import { reportText } from './report-text.js';
import { isWithdrawn } from './triggers.js';
import { focusId, forRun, searchObservations, writeFindings, type WriteGuard } from './fhir-io.js';

export interface ReportJobDeps {
  ctx: FhirContext;
  terminology: Terminology;
  organization: string;
  /**
   * Called after findings of a report linked to an ImagingStudy were written (e.g. to send them to the RIS); with
   * `study`, the report's findings are withdrawn from that study (the report now names another study, or none).
   */
  onFindings?: (focus: string, study?: string) => Promise<void>;
}

export const EXTRACTOR_ALGORITHM = {
  name: 'report-label-extraction',
  displayName: EXTRACTOR_NAME,
  version: EXTRACTOR_VERSION,
  type: 'Report label extraction software (rule-based, SARLE-style)',
};

/** Observations the extractor derived from a report earlier (all statuses). */
function existingFindings(ctx: FhirContext, id: string, identifierSystem: string): Promise<Observation[]> {
  return searchObservations(ctx, { 'derived-from': `DiagnosticReport/${id}`, identifier: `${identifierSystem}|` });
}

function outputs(response: Bundle): OutputReference[] {
  return (response.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is Observation => r?.resourceType === 'Observation')
    .map((o) => ({ reference: `Observation/${o.id}` }));
}

/**
 * Studies the report's findings were sent for that it no longer names: what its findings were part of before this
 * run, and what its previous version named (a retry after the findings moved still finds the old study there).
 */
async function formerStudies(ctx: FhirContext, report: DiagnosticReport, existing: Observation[]): Promise<string[]> {
  const prefix = basePrefix(ctx.baseUrl);
  const local = (ref: string | undefined): string | undefined => (ref ? onBase(ref, prefix) : undefined);
  const named = existing.map((o) => o.partOf?.[0]?.reference);
  const version = Number(report.meta?.versionId);
  if (version > 1) {
    const page = await ctx.repo.history({ resourceType: 'DiagnosticReport', id: report.id!, count: 2, offset: 0 });
    const previous = page.entries.find((e) => e.resource.meta?.versionId === String(version - 1));
    if (previous && !previous.deleted) named.push((previous.resource as DiagnosticReport).imagingStudy?.[0]?.reference);
  }
  const now = local(report.imagingStudy?.[0]?.reference);
  const former = new Set(named.map(local).filter((r): r is string => r?.startsWith('ImagingStudy/') === true));
  former.delete(now ?? '');
  return [...former];
}

/**
 * The writes of a report's findings (extraction, retraction) run one at a time per report, across processes: two jobs
 * of one report (report.extract, report.retract) may run at once, and each decides from what it read before writing.
 */
const reportFindingsLock =
  (id: string): WriteGuard =>
  (tx) =>
    tx.lock([`findings:DiagnosticReport/${id}`]);

/** Thrown inside a retraction's transaction when the report is live again: nothing is withdrawn. */
class Restored extends Error {
  constructor(readonly status: string) {
    super(`report restored (${status})`);
  }
}

/**
 * Marks every finding derived from a report entered-in-error: the report (its last version, if deleted) is withdrawn
 * or deleted. When it names a study, the withdrawal is sent on (the RIS was sent these findings). The report is read
 * again under the report's findings lock: restored since (entered-in-error, then final again), the restored version's
 * extraction may have written its findings after this run searched them, and they must stay.
 */
async function retractFindings(
  deps: ReportJobDeps,
  id: string,
  report: DiagnosticReport | undefined,
  why: string,
): Promise<JobResult> {
  const codes = findingCodes(deps.terminology);
  const existing = await existingFindings(deps.ctx, id, codes.identifierSystem('finding'));
  let response: Bundle;
  try {
    response = await writeFindings(deps.ctx, retractFindingsBundle(existing), 'findings', async (tx) => {
      await reportFindingsLock(id)(tx);
      const now = await readIfPresent<DiagnosticReport>(tx, 'DiagnosticReport', id);
      if (now && !isWithdrawn(now)) throw new Restored(now.status);
    });
  } catch (err) {
    if (!(err instanceof Restored)) throw err;
    return { summary: `DiagnosticReport/${id} is ${err.status} again; nothing retracted` };
  }
  const output = outputs(response);
  // Sent whenever there were findings, not only when this run withdrew them: a retry after the commit finds nothing
  // left to withdraw but must still queue the delivery the first run may not have reached.
  if (existing.length > 0 && report?.imagingStudy?.length) await deps.onFindings?.(`DiagnosticReport/${id}`);
  return { output, summary: `${output.length} findings of DiagnosticReport/${id} (${why}) marked entered-in-error` };
}

/**
 * report.extract: findings of the report's current version; re-running changes nothing. A report withdrawn since the
 * job was queued (entered-in-error, cancelled), or withdrawn or deleted while it ran, gets its findings retracted.
 */
export function extractHandler(shared: ReportJobDeps): JobHandler<FocusPayload> {
  const codes = findingCodes(shared.terminology);
  return async (job, run): Promise<JobResult> => {
    const deps = forRun(shared, run);
    const id = focusId(job, 'DiagnosticReport');
    const report = await readIfPresent<DiagnosticReport>(deps.ctx.repo, 'DiagnosticReport', id);
    if (!report) return { summary: `DiagnosticReport/${id} no longer exists; nothing extracted` };
    if (isWithdrawn(report)) return retractFindings(deps, id, report, report.status);
    const text = await reportText(report, deps.ctx.repo);
    const findings = text.trim() ? extractFindings(text, deps.terminology.vocabulary) : [];
    const existing = await existingFindings(deps.ctx, id, codes.identifierSystem('finding'));
    const former = await formerStudies(deps.ctx, report, existing);
    const bundle = reportFindingsBundle({
      report,
      findings,
      existing,
      codes,
      organizationName: deps.organization,
      algorithm: EXTRACTOR_ALGORITHM,
    });
    const response = await writeFindings(deps.ctx, bundle, 'findings', reportFindingsLock(id));
    // Withdrawn or deleted while this ran, after its retraction looked: withdraw what was just written as well.
    const latest = await readIfPresent<DiagnosticReport>(deps.ctx.repo, 'DiagnosticReport', id);
    if (!latest || isWithdrawn(latest)) return retractFindings(deps, id, report, latest?.status ?? 'deleted');
    const output = outputs(response);
    if (output.length > 0 && report.imagingStudy?.length) await deps.onFindings?.(`DiagnosticReport/${id}`);
    // Re-linked to another study (or none): the RIS was sent these findings for the old study and must drop them.
    for (const study of former) await deps.onFindings?.(`DiagnosticReport/${id}`, study);
    const present = findings.filter((f) => f.polarity === 'present').length;
    return {
      output,
      summary: `${output.length} findings written (${present} present) from version ${report.meta?.versionId}`,
      data: { findings: output.length, present },
    };
  };
}

/** report.retract: the findings of a deleted or withdrawn report become entered-in-error. */
export function retractHandler(shared: ReportJobDeps): JobHandler<FocusPayload> {
  return async (job, run): Promise<JobResult> => {
    const deps = forRun(shared, run);
    const id = focusId(job, 'DiagnosticReport');
    const found = await lastLiveVersion<DiagnosticReport>(deps.ctx.repo, 'DiagnosticReport', id);
    const current = found && !found.deleted ? found.resource : undefined;
    // Restored since (no longer withdrawn): the extraction its new version queued writes its findings.
    if (current && !isWithdrawn(current))
      return { summary: `DiagnosticReport/${id} is ${current.status}; nothing retracted` };
    return retractFindings(deps, id, found?.resource, current ? current.status : 'deleted');
  };
}

/** Handlers of the report pipeline by job type. */
export function reportHandlers(deps: ReportJobDeps): Record<string, JobHandler<FocusPayload>> {
  return { [REPORT_EXTRACT]: extractHandler(deps), [REPORT_RETRACT]: retractHandler(deps) };
}
