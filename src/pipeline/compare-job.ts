// findings.compare: a study's live AI findings against its live report-derived findings -> discrepancy
// DetectedIssues, kept current. Triggered (pipeline/triggers.ts) whenever either side's Observations change, in
// whichever order the model and the radiologist get there, so the comparison always sees both committed sides.
import type { DetectedIssue, ImagingStudy } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { readIfPresent } from '../fhir/repository.js';
import { latestAiRun } from '../findings/ai-findings.js';
import { findingCodes } from '../findings/codes.js';
import { comparedFindings, discrepancyEntries, findDiscrepancies } from '../findings/discrepancy.js';
import { AI_METHOD, REPORT_METHOD } from '../findings/types.js';
import type { JobHandler, JobResult } from '../jobs/types.js';
import type { Terminology } from '../terminology/load.js';
import { CT_ABNORMALITY } from '../terminology/systems.js';
import type { FocusPayload } from './job-types.js';
import { focusId, forRun, searchAll, searchObservations, writeFindings } from './fhir-io.js';

export interface CompareDeps {
  ctx: FhirContext;
  terminology: Terminology;
}

/** The findings.compare handler: re-running with nothing changed writes nothing. */
export function compareHandler(shared: CompareDeps): JobHandler<FocusPayload> {
  const codes = findingCodes(shared.terminology);
  return async (job, run): Promise<JobResult> => {
    const deps = forRun(shared, run);
    const id = focusId(job, 'ImagingStudy');
    const study = await readIfPresent<ImagingStudy>(deps.ctx.repo, 'ImagingStudy', id);
    const side = (method: string) => searchObservations(deps.ctx, { 'part-of': `ImagingStudy/${id}`, method });
    const [aiFindings, reportFindings] = await Promise.all([side(AI_METHOD), side(REPORT_METHOD)]);
    const ai = comparedFindings(latestAiRun(aiFindings, codes), CT_ABNORMALITY);
    const reported = comparedFindings(reportFindings, CT_ABNORMALITY);
    // Both sides are needed: with no report yet (or the report withdrawn) there is nothing to disagree with.
    const discrepancies = study && ai.length > 0 && reported.length > 0 ? findDiscrepancies(ai, reported) : [];
    const existing = await searchAll<DetectedIssue>(deps.ctx, 'DetectedIssue', {
      implicated: `ImagingStudy/${id}`,
      identifier: `${codes.identifierSystem('detected-issue')}|`,
    });
    const entries = discrepancyEntries({
      studyId: id,
      patient: study?.subject,
      discrepancies,
      existing,
      codes,
      display: codes.display,
      now: new Date().toISOString(),
    });
    const summary = `${discrepancies.length} discrepancies between ${ai.length} AI and ${reported.length} report findings`;
    if (entries.length === 0) return { summary };
    const response = await writeFindings(
      deps.ctx,
      { resourceType: 'Bundle', type: 'transaction', entry: entries },
      'discrepancies',
    );
    const output = (response.entry ?? [])
      .map((e) => e.resource)
      .filter((r): r is DetectedIssue => r?.resourceType === 'DetectedIssue')
      .map((r) => ({ reference: `DetectedIssue/${r.id}` }));
    return { output, summary, data: { discrepancies: discrepancies.length } };
  };
}
