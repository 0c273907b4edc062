// ADT^A01/A04/A08 -> Patient conditional update (+ Encounter when PV1-19 is valued); ADT^A40 -> merge: the
// surviving patient (PID) gets link "replaces" the prior one (MRG-1), the prior one gets link "replaced-by"
// (FHIR R4 patient.html#links); references to the prior patient are kept, not rewritten.
import type { Identifier, Patient } from 'fhir/r4.js';
import { ErrorCode } from '../ack.js';
import { MappingError } from './result.js';
import { encounterEntry, mapSegments, patientEntry, patientQuery, type MapContext } from './common.js';

/** ADT^A01, A04, A08: upsert the patient (and the visit when identified). */
export function mapAdt(ctx: MapContext): void {
  const subject = patientEntry(ctx, ctx.msg.segment('PID')).ref;
  encounterEntry(ctx, ctx.msg.segment('PV1'), subject);
}

/**
 * ADT^A40: for each PID/MRG pair, upsert the survivor from PID with a "replaces" link to the prior patient (a
 * conditional reference, so the transaction fails when the prior patient is unknown: AE with ERR at MRG-1) and
 * return a merge operation that marks the prior patient "replaced-by" and inactive (applied by the executor after
 * the Bundle, in the same transaction, since a conditional PUT would overwrite the prior patient's content).
 */
export function mapMerge(ctx: MapContext): void {
  const { msg } = ctx;
  const pids = msg.all('PID');
  const mrgs = msg.all('MRG');
  if (pids.length === 0 || mrgs.length === 0) {
    throw new MappingError('AE', [
      {
        code: ErrorCode.segmentSequence,
        location: { segment: pids.length === 0 ? 'PID' : 'MRG' },
        text: 'ADT^A40 needs PID and MRG segments',
      },
    ]);
  }
  mrgs.forEach((mrg, i) => {
    const prior = mapSegments(ctx, 'mrg-patient', { MRG: mrg }, i + 1) as { identifier?: Identifier[] };
    const priorMatch = patientQuery(ctx, prior.identifier ?? []);
    if (!priorMatch) {
      throw new MappingError('AE', [
        {
          code: ErrorCode.requiredFieldMissing,
          location: { segment: 'MRG', sequence: i + 1, field: 1 },
          text: 'MRG-1 prior patient identifier is required',
        },
      ]);
    }
    const link: Patient['link'] = [{ other: { reference: `Patient?${priorMatch.query}` }, type: 'replaces' }];
    const at = { segment: 'MRG', sequence: i + 1, field: 1 };
    // The conditional reference in the survivor's link fails when the prior patient is unknown: report MRG-1.
    const survivor = patientEntry(ctx, pids[i] ?? pids[0], { link, active: true }, at);
    ctx.merges.push({ survivor: survivor.query, prior: priorMatch.query, location: at });
  });
}
