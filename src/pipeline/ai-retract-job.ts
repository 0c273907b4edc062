// imaging.retract: a study withdrawn by the PACS or the order system (ImagingStudy.status entered-in-error or
// cancelled, e.g. images filed under the wrong patient) takes its AI outputs with it: the AI Observations and summary
// reports become entered-in-error and an unstarted triage Task is cancelled, so no worklist keeps a critical flag
// for images that are not the patient's. The Observations' change then re-runs the comparison, which cancels the
// study's discrepancies. Report-derived findings belong to the report and stay as they are.
import type { Bundle, BundleEntry, DiagnosticReport, ImagingStudy, Observation, Task } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { readIfPresent } from '../fhir/repository.js';
import { aiFindingModel, aiReportIdentifier } from '../findings/ai-findings.js';
import { replace } from '../findings/bundle-entries.js';
import { findingCodes } from '../findings/codes.js';
import { cancelTriage, triageIdentifier } from '../findings/triage.js';
import { AI_METHOD } from '../findings/types.js';
import type { JobHandler, JobResult } from '../jobs/types.js';
import type { Terminology } from '../terminology/load.js';
import type { FocusPayload } from './job-types.js';
import { focusId, forRun, searchAll, searchObservations, writeFindings, type WriteGuard } from './fhir-io.js';
import { identifierToken } from '../fhir/identifier-token.js';
import { isWithdrawn } from './triggers.js';

export interface AiRetractDeps {
  ctx: FhirContext;
  terminology: Terminology;
  /** Called after AI findings of a withdrawn or deleted study were withdrawn, to send that on to the RIS. */
  onFindings?: (focus: string) => Promise<void>;
}

function withdrawn(r: Observation | DiagnosticReport): BundleEntry {
  const next: Observation | DiagnosticReport = { ...r, status: 'entered-in-error' };
  return replace(next);
}

/**
 * The writes of a study's AI outputs (classification, retraction) run one at a time per study, across processes: the
 * two jobs may run at once, and each decides from what it read before writing.
 */
export const studyOutputsLock =
  (id: string): WriteGuard =>
  (tx) =>
    tx.lock([`ai-outputs:ImagingStudy/${id}`]);

/** Thrown inside a retraction's transaction when the study is live again: nothing is withdrawn. */
class Restored extends Error {
  constructor(readonly status: string) {
    super(`study restored (${status})`);
  }
}

/**
 * Withdraws the AI outputs of a study that is withdrawn or deleted now; a study available again is left alone. The
 * study is read again under its outputs lock: made available again since, its new classification may have written
 * after this run searched, and what it wrote must stay.
 */
export async function retractAiOutputs(deps: AiRetractDeps, id: string): Promise<JobResult> {
  const codes = findingCodes(deps.terminology);
  const study = await readIfPresent<ImagingStudy>(deps.ctx.repo, 'ImagingStudy', id);
  // Available again since: the classification that change queued rewrites the findings.
  if (study && !isWithdrawn(study)) return { summary: `ImagingStudy/${id} is ${study.status}; nothing retracted` };
  const all = await searchObservations(deps.ctx, { 'part-of': `ImagingStudy/${id}`, method: AI_METHOD });
  const findings = all.filter((o) => o.status !== 'entered-in-error');
  const models = new Set(findings.map((o) => aiFindingModel(o, codes)).filter((m): m is string => !!m));
  const reports: DiagnosticReport[] = [];
  for (const model of models) {
    const found = await searchAll<DiagnosticReport>(deps.ctx, 'DiagnosticReport', {
      identifier: identifierToken(aiReportIdentifier(codes, id, model)),
    });
    reports.push(...found.filter((r) => r.status !== 'entered-in-error'));
  }
  const [triage] = await searchAll<Task>(deps.ctx, 'Task', {
    identifier: identifierToken(triageIdentifier(codes, id)),
  });
  const cancelled = cancelTriage(triage, 'study-withdrawn', codes, new Date().toISOString());
  const entries = [...findings.map(withdrawn), ...reports.map(withdrawn), ...(cancelled ? [cancelled] : [])];
  const summary =
    `ImagingStudy/${id} ${study ? study.status : 'deleted'}: ${findings.length} AI findings and ` +
    `${reports.length} AI reports entered-in-error${cancelled ? ', triage Task cancelled' : ''}`;
  let response: Bundle | undefined;
  try {
    response =
      entries.length > 0
        ? await writeFindings(
            deps.ctx,
            { resourceType: 'Bundle', type: 'transaction', entry: entries },
            'AI retraction',
            async (tx) => {
              await studyOutputsLock(id)(tx);
              const now = await readIfPresent<ImagingStudy>(tx, 'ImagingStudy', id);
              if (now && !isWithdrawn(now)) throw new Restored(now.status);
            },
          )
        : undefined;
  } catch (err) {
    if (!(err instanceof Restored)) throw err;
    return { summary: `ImagingStudy/${id} is ${err.status} again; nothing retracted` };
  }
  // Sent whenever the study had AI findings, not only when this run withdrew them: a retry after the commit finds
  // nothing left to withdraw but must still queue the delivery the first run may not have reached.
  if (all.length > 0) await deps.onFindings?.(`ImagingStudy/${id}`);
  const output = (response?.entry ?? [])
    .map((e) => e.resource)
    .filter((r) => r !== undefined)
    .map((r) => ({ reference: `${r.resourceType}/${r.id}` }));
  return { output, summary };
}

/** The imaging.retract job handler. */
export function aiRetractHandler(deps: AiRetractDeps): JobHandler<FocusPayload> {
  return (job, run) => retractAiOutputs(forRun(deps, run), focusId(job, 'ImagingStudy'));
}
