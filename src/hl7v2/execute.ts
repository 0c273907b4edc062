// Executes a mapping result through the FHIR layer: the transaction Bundle (FHIR R4 http.html#transaction) and the
// patient merges of ADT^A40, all in one repository transaction. Errors keep the HL7 location of the failing entry
// so the ACK's ERR-2 points at the field behind it (e.g. MRG-1 for an unknown prior patient).
import type { Patient } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { transaction } from '../fhir/interactions/bundle.js';
import { findMatches } from '../fhir/interactions/matches.js';
import { notFound, OperationOutcomeError } from '../fhir/outcomes.js';
import { dispatch } from '../fhir/router.js';
import type { ErrorLocation } from './ack.js';
import type { MappingResult, MergeOperation } from './mapping/result.js';
import type { BatchExecutor, Executor, Finish } from './inbound.js';

/** An error from executing a mapping result, carrying the HL7 location to report. */
export class ExecuteError extends Error {
  override name = 'ExecuteError';
  constructor(
    readonly status: number,
    message: string,
    readonly location: ErrorLocation | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

async function onePatient(ctx: FhirContext, query: string): Promise<Patient | undefined> {
  const found = await findMatches(ctx, ctx.repo, 'Patient', new URLSearchParams(query));
  return found.length === 1 ? (found[0] as Patient) : undefined;
}

/** Marks the prior patient replaced-by the survivor and inactive; references to it are left as they are. */
async function applyMerge(ctx: FhirContext, op: MergeOperation): Promise<void> {
  const prior = await onePatient(ctx, op.prior);
  const survivor = await onePatient(ctx, op.survivor);
  if (!prior || !survivor) throw notFound(`merge: ${prior ? 'surviving' : 'prior'} patient not found`);
  const other = `Patient/${survivor.id}`;
  const links = (prior.link ?? []).filter((l) => !(l.type === 'replaced-by' && l.other.reference === other));
  await ctx.repo.update<Patient>({
    ...prior,
    active: false,
    link: [...links, { other: { reference: other }, type: 'replaced-by' }],
  });
}

/** Writes one mapping result on a transaction's context: the Bundle, then the merges. */
async function applyResult(txCtx: FhirContext, result: MappingResult): Promise<void> {
  try {
    await transaction(txCtx, result.bundle, dispatch);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const index = Number(/^Bundle entry (\d+):/.exec(text)?.[1] ?? -1);
    const status = err instanceof OperationOutcomeError ? err.status : 500;
    throw new ExecuteError(status, text, result.entryLocations[index], { cause: err });
  }
  for (const op of result.merges) {
    try {
      await applyMerge(txCtx, op);
    } catch (err) {
      const status = err instanceof OperationOutcomeError ? err.status : 500;
      throw new ExecuteError(status, err instanceof Error ? err.message : String(err), op.location, { cause: err });
    }
  }
}

/**
 * The Executor that writes mapping results through the FHIR transaction interaction and the repository; `finish`
 * (marking the message processed) runs last inside the same transaction.
 */
export function fhirExecutor(ctx: FhirContext): Executor {
  return async (result: MappingResult, _messageId, finish?: Finish) => {
    await ctx.repo.transaction(async (repo) => {
      await applyResult({ ...ctx, repo }, result);
      await finish?.(repo);
    });
  };
}

/**
 * Group commit: writes several messages' results one after another in ONE repository transaction (one commit for
 * all). All or nothing: the first failure rolls every one back and is thrown; the caller then runs each message on
 * its own to learn which failed and why.
 */
export function fhirBatchExecutor(ctx: FhirContext): BatchExecutor {
  return async (items, finish) => {
    await ctx.repo.transaction(async (repo) => {
      const txCtx: FhirContext = { ...ctx, repo };
      for (const { result } of items) await applyResult(txCtx, result);
      await finish?.(repo);
    });
  };
}
