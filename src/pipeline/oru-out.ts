// hl7.oru-out: sends the findings of a study to the RIS (HL7_OUTBOUND) as ORU^R01 over MLLP, as a durable job.
// The ACK is matched by MSA-2; AA ends the job, AE dead-letters it (the receiver would refuse it again), AR and
// timeouts retry with backoff. Study identity (accession, study UID) and patient come from FHIR. Every send of one
// delivery (focus, study) sends the same MSH-10 while the findings are unchanged, whichever job sends it, so the RIS
// can recognise a resend; an abort of the job (lease lost, worker stopping) ends the send at once.
import type {
  DiagnosticReport,
  Identifier,
  ImagingStudy,
  Observation,
  Patient,
  Reference,
  Resource,
  ServiceRequest,
} from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { lastLiveVersion } from '../fhir/repository.js';
import { buildOruR01, stableControlId, type FindingsMessageInput, type OutboundFinding } from '../hl7v2/oru-out.js';
import { MllpSender, outboundDisposition, type SendResult } from '../hl7v2/sender.js';
import type { JobHandler, JobResult } from '../jobs/types.js';
import { PermanentJobError } from '../jobs/types.js';
import type { Logger } from '../log.js';
import { CT_ABNORMALITY, SNOMED } from '../terminology/systems.js';
import { latestAiRun } from '../findings/ai-findings.js';
import { identifierSystem } from '../findings/codes.js';
import { AI_METHOD } from '../findings/types.js';
import type { FocusPayload } from './job-types.js';
import { searchObservations } from './fhir-io.js';
import { basePrefix, onBase } from '../fhir/search/values.js';

export const HL7_ORU_OUT = 'hl7.oru-out';

export interface OruOutDeps {
  ctx: FhirContext;
  outbound: { host: string; port: number };
  logger: Logger;
  ackTimeoutMs?: number;
}

const isAccession = (i: Identifier): boolean => i.type?.coding?.some((c) => c.code === 'ACSN') ?? false;

/** A reference as this server reads it (`Type/id` for its own absolute URLs). */
const readsAs = (ctx: FhirContext, ref: string | undefined): string | undefined =>
  ref === undefined ? undefined : onBase(ref, basePrefix(ctx.baseUrl));

/** The referenced resource, or its last version when it was deleted: a withdrawal still needs the accession, study UID
 * and patient identifier of what it withdraws. */
async function readRef<T extends Resource>(
  ctx: FhirContext,
  ref: Reference | undefined,
  type: string,
): Promise<T | undefined> {
  const local = readsAs(ctx, ref?.reference);
  const m = local ? new RegExp(`^${type}/([A-Za-z0-9\\-.]{1,64})$`).exec(local) : null;
  return m ? (await lastLiveVersion<T>(ctx.repo, type, m[1]!))?.resource : undefined;
}

/** Observation.status -> OBX-11 (HL7 table 0085); final and anything else -> F. */
const OBX_STATUS: Partial<Record<Observation['status'], OutboundFinding['status']>> = {
  registered: 'P',
  preliminary: 'P',
  amended: 'C',
  corrected: 'C',
  'entered-in-error': 'D',
};

/** OBX content of one Observation: own code, SNOMED alternate, SNOMED body site, present/absent, probability. */
export function outboundFinding(o: Observation): OutboundFinding | undefined {
  const own = o.code.coding?.find((c) => c.system === CT_ABNORMALITY);
  if (!own?.code) return undefined;
  const snomed = o.code.coding?.find((c) => c.system === SNOMED);
  const site = o.bodySite?.coding?.find((c) => c.system === SNOMED);
  const interp = o.interpretation?.[0]?.coding?.[0]?.code;
  const f: OutboundFinding = {
    code: { code: own.code, display: own.display ?? own.code },
    present: interp === 'POS' || interp === 'IND',
    status: OBX_STATUS[o.status] ?? 'F',
  };
  if (snomed?.code) f.snomed = { code: snomed.code, display: snomed.display ?? snomed.code };
  if (site?.code) f.bodySite = { code: site.code, display: site.display ?? site.code };
  if (o.valueQuantity?.value !== undefined) f.probability = o.valueQuantity.value;
  return f;
}

async function studyOf(
  ctx: FhirContext,
  { focus, study: former }: FocusPayload,
): Promise<{ study: ImagingStudy; findings: Observation[] }> {
  const [type, id] = focus.split('/');
  if (type === 'DiagnosticReport' && id) {
    // A deleted report's last version still names the study its withdrawn findings belong to.
    const report = (await lastLiveVersion<DiagnosticReport>(ctx.repo, 'DiagnosticReport', id))?.resource;
    if (!report) throw new PermanentJobError(`${focus} does not exist`);
    const own = report.imagingStudy?.[0];
    const study = await readRef<ImagingStudy>(ctx, former ? { reference: former } : own, 'ImagingStudy');
    if (!study)
      throw new PermanentJobError(
        `${former ?? focus} names no ImagingStudy: the RIS needs the study UID and accession`,
      );
    const findings = await searchObservations(ctx, { 'derived-from': focus });
    // The report was moved to another study (or none): every finding it was sent with for this one is withdrawn.
    const moved = former !== undefined && readsAs(ctx, own?.reference) !== readsAs(ctx, former);
    return { study, findings: moved ? findings.map((o) => ({ ...o, status: 'entered-in-error' })) : findings };
  }
  if (type === 'ImagingStudy' && id) {
    // A deleted study's last version still names its accession, UID and patient.
    const study = (await lastLiveVersion<ImagingStudy>(ctx.repo, 'ImagingStudy', id))?.resource;
    if (!study) throw new PermanentJobError(`${focus} does not exist`);
    if (former) throw new PermanentJobError(`payload.study applies to a DiagnosticReport focus, not ${focus}`);
    const findings = await searchObservations(ctx, { 'part-of': focus, method: AI_METHOD });
    return { study, findings: latestAiRun(findings, { identifierSystem }) };
  }
  throw new PermanentJobError(`payload.focus must be DiagnosticReport/<id> or ImagingStudy/<id>, got ${focus}`);
}

/**
 * The ORU^R01 for a study's findings; throws PermanentJobError when FHIR lacks what the RIS needs. Its MSH-10 is
 * stable for this delivery (focus and study) and content (see stableControlId), not for the job: a pipeline job that
 * runs again after its findings were sent (killed before its completion was recorded, retried after the commit)
 * queues a new delivery job for the same unchanged findings, and the RIS must recognise that as a resend too.
 */
async function oruMessage(ctx: FhirContext, payload: FocusPayload): Promise<{ message: string; findings: number }> {
  const { study, findings } = await studyOf(ctx, payload);
  const uid = study.identifier?.find((i) => i.system === 'urn:dicom:uid')?.value?.replace(/^urn:oid:/, '');
  if (!uid) throw new PermanentJobError(`ImagingStudy/${study.id} has no urn:dicom:uid identifier`);
  const order = await readRef<ServiceRequest>(ctx, study.basedOn?.[0], 'ServiceRequest');
  const accession = [...(study.identifier ?? []), ...(order?.identifier ?? [])].find(isAccession)?.value;
  if (!accession)
    throw new PermanentJobError(`ImagingStudy/${study.id} has no accession number (identifier type ACSN)`);
  const patient = await readRef<Patient>(ctx, study.subject, 'Patient');
  const pid = patient?.identifier?.[0];
  if (!pid?.value) throw new PermanentJobError(`the study's patient has no identifier for PID-3`);
  // Withdrawn findings go too, as OBX-11 D, so the RIS drops what it was sent before.
  const outbound = findings.map(outboundFinding).filter((f) => f !== undefined);
  const name = patient?.name?.[0];
  const input: FindingsMessageInput = {
    patient: {
      id: pid.value,
      assigningAuthority: pid.system?.replace(/^urn:oid:/, ''),
      family: name?.family,
      given: name?.given?.[0],
    },
    accession,
    studyInstanceUid: uid,
    findings: outbound,
  };
  const versions = findings.map((o) => `${o.id}/${o.meta?.versionId}`);
  const delivery = `${payload.focus}|${payload.study ?? ''}`;
  const message = buildOruR01({ ...input, controlId: stableControlId(delivery, { input, versions }) });
  return { message, findings: outbound.length };
}

/**
 * Why a delivery did not end in AA, for the job's error: an ACK's structured reason (ERR-3 code, ERR-2 location), or
 * for no ACK our own text (timeout, connection error, abort), never the RIS's free text.
 */
function risAnswer(result: SendResult): string {
  if (!result.ack) return `RIS answered ${result.outcome}: ${result.text ?? ''}`.trim();
  const { code, location } = result.error ?? {};
  const why = [code && `error ${code}`, location && `at ${location}`].filter(Boolean).join(' ');
  return `RIS answered ${result.outcome}${why ? ` (${why})` : ''}`;
}

/** The job handler: build the ORU^R01 from FHIR and deliver it, retrying by the ACK's disposition. */
export function oruOutHandler(deps: OruOutDeps): JobHandler<FocusPayload> {
  return async (job, run): Promise<JobResult> => {
    const { message, findings } = await oruMessage(deps.ctx, job.payload);
    const sender = new MllpSender({ ...deps.outbound, ackTimeoutMs: deps.ackTimeoutMs, logger: deps.logger });
    try {
      const result = await sender.send(message, { signal: run.signal });
      // Aborted: end with the signal's reason as the job runtime expects (the run is released or retried).
      run.signal.throwIfAborted();
      const disposition = outboundDisposition(result);
      const answer = risAnswer(result);
      // The RIS's own words (ERR-8, MSA-3) may name the patient: the operator's debug log only, not the job's error,
      // which becomes Task.statusReason for any FHIR client to read.
      if (disposition !== 'done' && result.ack && result.text)
        deps.logger.debug('RIS answer text', { controlId: result.controlId, text: result.text });
      if (disposition === 'dead-letter') throw new PermanentJobError(answer);
      if (disposition === 'retry') throw new Error(answer);
      return {
        summary: `ORU^R01 ${result.controlId} with ${findings} findings acknowledged AA`,
        data: { controlId: result.controlId, findings },
      };
    } finally {
      await sender.close();
    }
  };
}
