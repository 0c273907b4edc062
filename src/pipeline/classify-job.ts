// imaging.classify: ImagingStudy -> retrieve (DICOMweb or file://) -> assemble the HU volume slice by slice ->
// preprocess and infer (the model manifest drives both) -> AI Observations, summary DiagnosticReport, Provenance and
// triage Task, written in one FHIR transaction (the Observations then trigger findings.compare for discrepancies).
// Data problems fail the job at once with the reason; PACS outages and timeouts are retried.
import type { Endpoint, ImagingStudy, Task } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { readIfPresent } from '../fhir/repository.js';
import { aiFindingsBundle } from '../findings/ai-findings.js';
import { findingCodes } from '../findings/codes.js';
import { triageEntry, triageIdentifier, type CriticalFindings } from '../findings/triage.js';
import type { AiFindingInput } from '../findings/types.js';
import { DicomParseError, PixelDataError } from '../imaging/dicom/errors.js';
import { DicomwebError } from '../imaging/dicomweb/errors.js';
import type { PacsAuth } from '../imaging/dicomweb/http.js';
import { openStudy } from '../imaging/dicomweb/retrieve.js';
import { ModelError } from '../imaging/model/errors.js';
import type { ModelRegistry } from '../imaging/model/registry.js';
import { classifyVolume } from '../imaging/model/series-input.js';
import { assembleVolume } from '../imaging/volume/assemble.js';
import { parseInstances } from '../imaging/volume/instances.js';
import { VolumeError } from '../imaging/volume/types.js';
import type { JobHandler, JobResult } from '../jobs/types.js';
import { PermanentJobError } from '../jobs/types.js';
import type { Terminology } from '../terminology/load.js';
import { IMAGING_CLASSIFY, type FocusPayload } from './job-types.js';
import { retractAiOutputs, studyOutputsLock } from './ai-retract-job.js';
import { focusId, forRun, searchAll, writeFindings } from './fhir-io.js';
import { identifierToken } from '../fhir/identifier-token.js';
import { isWithdrawn } from './triggers.js';

export { IMAGING_CLASSIFY };

export interface ClassifyDeps {
  ctx: FhirContext;
  terminology: Terminology;
  organization: string;
  models: ModelRegistry;
  dicomwebUrl?: string;
  /** Credentials for DICOMWEB_URL (config.dicomwebAuth); sent to that origin only. */
  dicomwebAuth?: PacsAuth;
  /** Called after AI findings of a study were written (e.g. to send them to the RIS). */
  onFindings?: (focus: string) => Promise<void>;
}

/**
 * Data problems that a retry cannot fix become PermanentJobError; outages stay retryable, and so does a series with
 * fewer or more instances than the PACS listed: it may still be arriving (QIDO counted what WADO did not send yet).
 */
export function classifyError(err: unknown): unknown {
  if (err instanceof DicomwebError) return err.retryable ? err : new PermanentJobError(err.message, { cause: err });
  if (err instanceof VolumeError && err.code === 'instance-count') return err;
  if (err instanceof VolumeError || err instanceof DicomParseError || err instanceof PixelDataError) {
    return new PermanentJobError(`unusable series: ${err.message}`, { cause: err });
  }
  if (err instanceof ModelError) return new PermanentJobError(`model: ${err.message}`, { cause: err });
  return err;
}

/** The job handler (one model run per job; the per-type limit keeps one inference per device). */
export function classifyHandler(shared: ClassifyDeps): JobHandler<FocusPayload> {
  const codes = findingCodes(shared.terminology);
  const critical: CriticalFindings = new Map([...shared.terminology.criticalFindings].map(([k, v]) => [k, v.priority]));
  return async (job, run): Promise<JobResult> => {
    const deps = forRun(shared, run);
    const id = focusId(job, 'ImagingStudy');
    // Deleted since it was queued: nothing to classify (the deletion queued the retraction), and no failure to retry.
    const study = await readIfPresent<ImagingStudy>(deps.ctx.repo, 'ImagingStudy', id);
    if (!study) return { summary: `ImagingStudy/${id} is deleted; not classified` };
    if (isWithdrawn(study)) return { summary: `ImagingStudy/${study.id} is ${study.status}; not classified` };
    const started = performance.now();
    let findings: AiFindingInput[];
    let algorithm: { name: string; displayName: string; version: string; type: string; notes: string[] };
    let series: string;
    try {
      const retrieval = await openStudy(study, {
        dicomwebUrl: deps.dicomwebUrl,
        dicomwebAuth: deps.dicomwebAuth,
        // A deleted or unknown Endpoint is "not found", so DICOMWEB_URL is tried (study-ref.ts), not an error.
        resolveEndpoint: async (ref) => {
          const id = /^Endpoint\/([A-Za-z0-9\-.]{1,64})$/.exec(ref)?.[1];
          return id ? readIfPresent<Endpoint>(deps.ctx.repo, 'Endpoint', id) : undefined;
        },
      });
      series = retrieval.choice.reason;
      const volume = await assembleVolume(parseInstances(retrieval.instances()), {
        expectedSlices: retrieval.choice.series.instanceCount,
      });
      const run = await deps.models.use(async (model) => {
        const prediction = await classifyVolume(model, volume);
        const thresholds = model.manifest.labels.map((l) => l.threshold);
        return { prediction, thresholds, manifest: model.manifest };
      });
      findings = run.prediction.findings.map((f, i) => ({ ...f, threshold: run.thresholds[i] ?? 0.5 }));
      algorithm = {
        name: run.manifest.name,
        displayName: run.manifest.description,
        version: run.manifest.version,
        type: `CT image classifier (${run.manifest.architecture})`,
        notes: [run.manifest.intendedUse, ...run.manifest.limitations, `Training data: ${run.manifest.training.data}`],
      };
    } catch (err) {
      throw classifyError(err);
    }
    const now = new Date().toISOString();
    const { bundle } = aiFindingsBundle({
      study,
      findings,
      codes,
      organizationName: deps.organization,
      algorithm,
      now,
      display: codes.display,
    });
    const positives = findings.filter((f) => f.positive);
    const [raised] = await searchAll<Task>(deps.ctx, 'Task', {
      identifier: identifierToken(triageIdentifier(codes, study.id!)),
    });
    const triage = triageEntry(study, positives, critical, codes, codes.display, now, raised);
    if (triage) bundle.entry!.push(triage);
    const response = await writeFindings(deps.ctx, bundle, 'AI findings', studyOutputsLock(study.id!));
    // Withdrawn while the model ran, after its retraction looked: withdraw what was just written as well.
    const latest = await readIfPresent<ImagingStudy>(deps.ctx.repo, 'ImagingStudy', study.id!);
    if (!latest || isWithdrawn(latest)) return retractAiOutputs(deps, study.id!);
    await deps.onFindings?.(`ImagingStudy/${study.id}`);
    const output = (response.entry ?? [])
      .map((e) => e.resource)
      .filter((r) => r && ['Observation', 'DiagnosticReport', 'Task', 'DetectedIssue'].includes(r.resourceType))
      .map((r) => ({ reference: `${r!.resourceType}/${r!.id}` }));
    return {
      output,
      summary: `${algorithm.name} ${algorithm.version}: ${positives.length} of ${findings.length} outputs positive${triage ? ', triage Task raised' : ''}; ${series}`,
      data: { positives: positives.length, outputs: findings.length, ms: Math.round(performance.now() - started) },
    };
  };
}
