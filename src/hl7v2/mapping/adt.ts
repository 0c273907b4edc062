// ADT^A01/A04/A08 -> Patient conditional update (+ Encounter when PV1-19 is valued); ADT^A40 -> merge: the
// surviving patient (PID) gets link "replaces" the prior one (MRG-1), the prior one gets link "replaced-by" and is
// made inactive (FHIR R4 patient.html#links), both by the executor's merge step; references to the prior patient
// are kept, not rewritten.
import type { Identifier } from 'fhir/r4.js';
import { ErrorCode } from '../ack.js';
import { MappingError } from './result.js';
import { encounterEntry, mapSegments, matchTokens, patientEntry, type MapContext } from './common.js';

/** ADT^A01, A04, A08: upsert the patient (and the visit when identified). */
export function mapAdt(ctx: MapContext): void {
  const subject = patientEntry(ctx, ctx.msg.segment('PID')).ref;
  encounterEntry(ctx, ctx.msg.segment('PV1'), subject);
}

/**
 * ADT^A40: for each PID/MRG pair, upsert the survivor from PID and return a merge operation that links the two
 * patients (survivor "replaces", prior "replaced-by" and inactive). The executor applies it after the Bundle, in
 * the same transaction, and fails it when the prior patient is unknown (AE with ERR at MRG-1).
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
  const priors = mrgs.map((mrg, i) => {
    const prior = mapSegments(ctx, 'mrg-patient', { MRG: mrg }).value as { identifier?: Identifier[] };
    const tokens = matchTokens(prior.identifier ?? []);
    const location = { segment: 'MRG', sequence: i + 1, field: 1 };
    if (tokens.length === 0) {
      throw new MappingError('AE', [
        { code: ErrorCode.requiredFieldMissing, location, text: 'MRG-1 prior patient identifier is required' },
      ]);
    }
    return { tokens, location };
  });
  // A survivor is never matched by a prior patient's identifier, which some senders repeat in PID-3.
  const exclude = new Set(priors.flatMap((p) => p.tokens));
  priors.forEach((prior, i) => {
    const survivor = patientEntry(ctx, pids[i] ?? pids[0], { active: true }, exclude);
    // The links are written by the merge step (execute.ts), which fails at MRG-1 when the prior patient is unknown.
    ctx.merges.push({ survivor: survivor.ref.reference!, prior: prior.tokens, location: prior.location });
  });
}
