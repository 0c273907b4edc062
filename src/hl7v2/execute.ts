// Executes a mapping result through the FHIR layer: the transaction Bundle (FHIR R4 http.html#transaction) and the
// patient merges of ADT^A40, all in one repository transaction. Errors keep the HL7 location of the failing entry
// so the ACK's ERR-2 points at the field behind it (e.g. MRG-1 for an unknown prior patient).
import type { DiagnosticReport, Identifier, ImagingStudy, Observation, Patient, Resource } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { identifierToken } from '../fhir/identifier-token.js';
import { transaction, type TransactionOptions } from '../fhir/interactions/bundle.js';
import { findMatches } from '../fhir/interactions/matches.js';
import { notFound, OperationOutcomeError } from '../fhir/outcomes.js';
import { readIfPresent } from '../fhir/repository.js';
import { dispatch } from '../fhir/router.js';
import type { ErrorLocation } from './ack.js';
import { isObxObservationOf } from './mapping/oru.js';
import type { MappingResult, MergeOperation } from './mapping/result.js';
import { place, topElement, unplace, type FieldUse } from './mapping/interpreter.js';
import { topLevelElements } from '../fhir/search/elements.js';
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

type PatientLink = NonNullable<Patient['link']>[number];
const sameLink = (a: PatientLink, b: PatientLink): boolean =>
  a.type === b.type && a.other.reference === b.other.reference;

/** Adds a link unless the patient has it; returns whether the patient changed. */
function addLink(patient: Patient, link: PatientLink): boolean {
  if (patient.link?.some((l) => sameLink(l, link))) return false;
  patient.link = [...(patient.link ?? []), link];
  return true;
}

/**
 * Links the survivor ("replaces") and the prior patient ("replaced-by", inactive); references to the prior patient
 * are left as they are. A replayed merge adds nothing twice.
 */
async function applyMerge(ctx: FhirContext, op: MergeOperation): Promise<void> {
  const prior = await onePatient(ctx, op.prior);
  const survivor = await onePatient(ctx, op.survivor);
  if (!prior || !survivor) throw notFound(`merge: ${prior ? 'surviving' : 'prior'} patient not found`);
  if (addLink(survivor, { other: { reference: `Patient/${prior.id}` }, type: 'replaces' })) {
    await ctx.repo.update<Patient>(survivor);
  }
  const changed = addLink(prior, { other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' });
  if (changed || prior.active !== false) await ctx.repo.update<Patient>({ ...prior, active: false });
}

/** A merge's state on a Patient (links; inactive once replaced) carried into a new version written from a PID. */
function keepMergeState(next: Patient, current: Patient): Patient {
  if (!current.link?.length) return next;
  const out: Patient = { ...next };
  for (const link of current.link) addLink(out, link);
  if (current.link.some((l) => l.type === 'replaced-by')) out.active = false;
  return out;
}

/** Both identifier lists, without repeats. */
function identifierUnion(next: Resource, current: Resource): Identifier[] {
  const ids = [...((next as { identifier?: Identifier[] }).identifier ?? [])];
  for (const id of (current as { identifier?: Identifier[] }).identifier ?? []) {
    if (!ids.some((i) => identifierToken(i) === identifierToken(id))) ids.push(id);
  }
  return ids;
}

/** The choice element (`deceased` of deceased[x]) a top-level key of `resourceType` is one type of, if any. */
function choiceOf(resourceType: string, key: string): string | undefined {
  for (const [name, facts] of topLevelElements(resourceType)) {
    if (facts.types.length < 2 || !key.startsWith(name)) continue;
    if (facts.types.some((t) => `${name}${t[0]!.toUpperCase()}${t.slice(1)}` === key)) return name;
  }
  return undefined;
}

/** Whether `out` already has another type of the choice element `key` is one type of. */
function choiceTaken(out: Record<string, unknown>, resourceType: string, key: string): boolean {
  const base = choiceOf(resourceType, key);
  return base !== undefined && Object.keys(out).some((k) => k !== key && choiceOf(resourceType, k) === base);
}

/** Removes the defaults (`omittedOnly`: those applied for empty fields) a mapping may have put in `out`. */
function removeDefaults(out: Record<string, unknown>, fields: FieldUse, omittedOnly: boolean): void {
  for (const d of fields.defaults) {
    if (omittedOnly && !d.omitted) continue;
    for (const [path, value] of Object.entries(d.values)) unplace(out, path, value);
  }
}

/**
 * The incoming version over the current one with HL7 v2 update semantics (v2.5.1 2.5.3): an element the message
 * left empty keeps its current value, one it cleared (sent as "") does not; defaults (data-absent name, gender
 * unknown, Encounter.type unknown) apply to the result, so they neither overwrite a stored value nor outlive one.
 * With `unionIdentifiers`, both identifier lists are kept (a result's thin ORC/OBR lacks the order's OBR-19/20).
 */
function keepAbsent(next: Resource, current: Resource, fields: FieldUse | undefined, unionIdentifiers: boolean) {
  const use: FieldUse = fields ?? { cleared: [], defaults: [] };
  const out: Record<string, unknown> = { ...next };
  removeDefaults(out, use, true);
  for (const [key, value] of Object.entries(current)) {
    if (key === 'meta' || key === 'text' || key === 'id' || use.cleared.includes(key)) continue;
    // A kept deceasedBoolean must not sit beside an incoming deceasedDateTime (one type per choice element).
    if (out[key] === undefined && !choiceTaken(out, current.resourceType, key)) out[key] = value;
  }
  if (unionIdentifiers) {
    const ids = identifierUnion(next, current);
    if (ids.length) out.identifier = ids;
  }
  removeDefaults(out, use, false);
  for (const d of use.defaults) {
    if (out[topElement(d.to)] !== undefined) continue;
    for (const [path, value] of Object.entries(d.values)) place(out, path, structuredClone(value));
  }
  return out as unknown as Resource;
}

/** A cancelled order's ImagingStudy stub: `registered` (no images yet) becomes `cancelled`; anything else stays. */
async function cancelStub(ctx: FhirContext, query: string): Promise<void> {
  const matches = await findMatches(ctx, ctx.repo, 'ImagingStudy', new URLSearchParams(query));
  for (const study of matches as ImagingStudy[]) {
    if (study.status === 'registered') await ctx.repo.update<ImagingStudy>({ ...study, status: 'cancelled' });
  }
}

/** A report version replaced by a message, and the results the new version no longer lists. */
interface DroppedResults {
  report: DiagnosticReport;
  references: string[];
}

function droppedResults(incoming: DiagnosticReport, current: DiagnosticReport): DroppedResults | undefined {
  const kept = new Set((incoming.result ?? []).map((r) => r.reference));
  const references = (current.result ?? []).map((r) => r.reference).filter((r): r is string => !!r && !kept.has(r));
  return references.length ? { report: current, references } : undefined;
}

/**
 * What a message's conditional updates keep of the versions they replace: a Patient keeps its merge state (a PID
 * would otherwise drop the links and reactivate a replaced patient), and the types the message does not own
 * (messages.json keepOnUpdate) keep the elements it does not carry. A report's results that the new version drops
 * are collected in `dropped`.
 */
function reconcile(result: MappingResult, dropped: DroppedResults[]): TransactionOptions {
  const keep = new Set(result.keepOnUpdate);
  return {
    beforeUpdate: (index, incoming, current) => {
      if (incoming.resourceType === 'DiagnosticReport') {
        const d = droppedResults(incoming as DiagnosticReport, current as DiagnosticReport);
        if (d) dropped.push(d);
      }
      const fields = result.entryFields[index];
      // A PID that updates a Patient (messages.json patientWrite) replaces what it sends, PID-3 included.
      if (incoming.resourceType === 'Patient') {
        return keepMergeState(keepAbsent(incoming, current, fields, false) as Patient, current as Patient);
      }
      return keep.has(incoming.resourceType) ? keepAbsent(incoming, current, fields, true) : incoming;
    },
  };
}

/**
 * A corrected report that no longer carries an OBX: the Observation written from it becomes entered-in-error (as
 * OBX-11 "D" would make it), so a search for the patient's results no longer finds a value the RIS withdrew.
 * Only Observations written from this report's OBX segments are touched; others a client linked stay as they are.
 */
async function retireDropped(ctx: FhirContext, dropped: DroppedResults[]): Promise<void> {
  for (const { report, references } of dropped) {
    for (const reference of references) {
      const [type, id] = reference.split('/');
      if (type !== 'Observation' || !id) continue;
      const obs = await readIfPresent<Observation>(ctx.repo, type, id);
      if (!obs || obs.status === 'entered-in-error' || !isObxObservationOf(report, obs)) continue;
      await ctx.repo.update<Observation>({ ...obs, status: 'entered-in-error' });
    }
  }
}

/** Writes one mapping result on a transaction's context: the Bundle, withdrawn results, cancelled stubs, merges. */
async function applyResult(txCtx: FhirContext, result: MappingResult): Promise<void> {
  const dropped: DroppedResults[] = [];
  try {
    await transaction(txCtx, result.bundle, dispatch, reconcile(result, dropped));
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const index = Number(/^Bundle entry (\d+):/.exec(text)?.[1] ?? -1);
    const status = err instanceof OperationOutcomeError ? err.status : 500;
    throw new ExecuteError(status, text, result.entryLocations[index], { cause: err });
  }
  await retireDropped(txCtx, dropped);
  for (const query of result.cancelStudies) await cancelStub(txCtx, query);
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
