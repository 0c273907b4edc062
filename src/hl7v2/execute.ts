// Executes a mapping result through the FHIR layer: the transaction Bundle (FHIR R4 http.html#transaction) and the
// patient merges of ADT^A40, all in one repository transaction. Errors keep the HL7 location of the failing entry
// so the ACK's ERR-2 points at the field behind it (e.g. MRG-1 for an unknown prior patient).
import type {
  Bundle,
  BundleEntry,
  DiagnosticReport,
  DocumentReference,
  Identifier,
  ImagingStudy,
  Observation,
  Patient,
  Resource,
} from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { identifierToken } from '../fhir/identifier-token.js';
import { transaction, type TransactionOptions } from '../fhir/interactions/bundle.js';
import { conditionKey, findMatches } from '../fhir/interactions/matches.js';
import { notFound, OperationOutcomeError } from '../fhir/outcomes.js';
import { readIfPresent } from '../fhir/repository.js';
import { dispatch } from '../fhir/router.js';
import type { ErrorLocation } from './ack.js';
import { isObxObservationOf } from './mapping/oru.js';
import type { MappingResult } from './mapping/result.js';
import type { PatientWrite } from './mapping/config.js';
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
async function applyMerge(ctx: FhirContext, survivorId: string, priorId: string): Promise<void> {
  const prior = await readIfPresent<Patient>(ctx.repo, 'Patient', priorId);
  const survivor = await readIfPresent<Patient>(ctx.repo, 'Patient', survivorId);
  if (!prior || !survivor) throw notFound(`merge: ${prior ? 'surviving' : 'prior'} patient not found`);
  if (addLink(survivor, { other: { reference: `Patient/${prior.id}` }, type: 'replaces' })) {
    await ctx.repo.update<Patient>(survivor);
  }
  const changed = addLink(prior, { other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' });
  if (changed || prior.active !== false) await ctx.repo.update<Patient>({ ...prior, active: false });
}

/** Most patients one message's identifiers may find before the match counts as a conflict without looking further. */
const MATCH_LIMIT = 16;

/** The live patients with any of the identifier tokens (up to MATCH_LIMIT + 1), as the transaction sees them. */
async function patientsWith(ctx: FhirContext, tokens: string[]): Promise<Patient[]> {
  const query = new URLSearchParams({ identifier: tokens.join(','), _count: String(MATCH_LIMIT + 1) });
  const res = await dispatch(ctx, { method: 'GET', path: 'Patient', query, preferHandling: 'strict' });
  return ((res.body as Bundle | undefined)?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is Patient => r?.resourceType === 'Patient');
}

/** The id in a `Patient/<id>` reference (relative, as the merge step writes it, or absolute). */
const patientIdOf = (reference: string | undefined): string | undefined =>
  /(?:^|\/)Patient\/([A-Za-z0-9.-]{1,64})$/.exec(reference ?? '')?.[1];

/** Where a merge chain ends: replaced-by links followed (FHIR R4 patient.html#links), a loop cut where it closes. */
async function survivorOf(ctx: FhirContext, patient: Patient): Promise<Patient> {
  let current = patient;
  const seen = new Set([patient.id]);
  for (;;) {
    const next = patientIdOf(current.link?.find((l) => l.type === 'replaced-by')?.other.reference);
    const found = next && !seen.has(next) ? await readIfPresent<Patient>(ctx.repo, 'Patient', next) : undefined;
    if (!found) return current;
    seen.add(next);
    current = found;
  }
}

/**
 * The one Patient a PID's identifiers find: none; the only match (`only`); or, when several match and merges link
 * them all to one survivor, that survivor. Unrelated matches are a conflict (their count).
 */
async function resolvePatient(
  ctx: FhirContext,
  tokens: string[],
): Promise<{ patient?: Patient; only?: boolean; conflict?: number }> {
  const found = await patientsWith(ctx, tokens);
  if (found.length <= 1) return { patient: found[0], only: true };
  if (found.length > MATCH_LIMIT) return { conflict: found.length };
  const ends = new Map<string, Patient>();
  for (const p of found) {
    const end = await survivorOf(ctx, p);
    ends.set(end.id!, end);
  }
  return ends.size === 1 ? { patient: [...ends.values()][0] } : { conflict: found.length };
}

/** An entry's condition (conditional update URL query or If-None-Exist), as `transaction()` reads it. */
function conditionOf(entry: BundleEntry): { type: string; query: string } | undefined {
  const { method, url = '', ifNoneExist } = entry.request ?? {};
  const q = url.indexOf('?');
  if (method === 'PUT' && q > 0) return { type: url.slice(0, q), query: url.slice(q + 1) };
  if (method === 'POST' && ifNoneExist) return { type: url, query: ifNoneExist };
  return undefined;
}

/** A message's Patient entries resolved to their matches, and the prior patients of its merges. */
interface ResolvedPatients {
  /** The Bundle with each matched Patient entry made a conditional update of its match. */
  bundle: Bundle;
  /** Per Patient entry that matched: how its PID writes the match. */
  writes: Map<number, PatientWrite>;
  /** Per PatientMatch fullUrl that matched: the patient's id. */
  ids: Map<string, string>;
  /** Per merge: the prior patient's id. */
  priors: string[];
}

/**
 * Resolves the message's patients before the Bundle runs (README "Patient matching"). Every identifier token is
 * locked first, under the key a conditional write `Patient?identifier=<token>` takes, so two messages for one new
 * patient, whatever order or subset of identifiers they send, run one after the other and the second finds the
 * first's Patient. The Bundle's own conditions are taken in the same call, all in one order: `transaction()` then
 * takes them again (already held), so locking in two steps adds no deadlock with other writers. A matched entry
 * keeps its condition (it finds just the match) and becomes an update; only a merged survivor found through its
 * replaced record needs `Patient?_id=`. The result's own Bundle is left as it is (a failed group commit runs it
 * again alone).
 */
async function resolvePatients(ctx: FhirContext, result: MappingResult): Promise<ResolvedPatients> {
  const key = (type: string, query: string): string => conditionKey(ctx, type, new URLSearchParams(query));
  const tokens = [...result.patients.flatMap((p) => p.tokens), ...result.merges.flatMap((m) => m.prior)];
  const entries = [...(result.bundle.entry ?? [])];
  const conditions = entries.map(conditionOf).filter((c) => c !== undefined);
  await ctx.repo.lock([
    ...new Set([
      ...tokens.map((t) => key('Patient', new URLSearchParams([['identifier', t]]).toString())),
      ...conditions.map((c) => key(c.type, c.query)),
    ]),
  ]);
  const writes = new Map<number, PatientWrite>();
  const ids = new Map<string, string>();
  for (const match of result.patients) {
    const { patient, only, conflict } = await resolvePatient(ctx, match.tokens);
    if (conflict) {
      throw new ExecuteError(
        409,
        `PID-3: the identifiers match ${conflict} patients that are not merged`,
        match.location,
      );
    }
    const index = entries.findIndex((e) => e.fullUrl === match.fullUrl);
    const condition = index < 0 ? undefined : conditionOf(entries[index]!);
    if (!patient?.id || !condition) continue;
    let query = condition.query;
    if (!only) {
      query = `_id=${encodeURIComponent(patient.id)}`;
      await ctx.repo.lock([key('Patient', query)]);
    }
    entries[index] = { ...entries[index], request: { method: 'PUT', url: `Patient?${query}` } };
    writes.set(index, match.write);
    ids.set(match.fullUrl, patient.id);
  }
  const priors: string[] = [];
  for (const op of result.merges) {
    const survivor = ids.get(op.survivor);
    const found = (await patientsWith(ctx, op.prior)).filter((p) => p.id !== survivor);
    if (found.length !== 1) {
      const text = found.length ? `MRG-1 matches ${found.length} patients` : 'merge: prior patient not found';
      throw new ExecuteError(found.length ? 409 : 404, text, op.location);
    }
    priors.push(found[0]!.id!);
  }
  return { bundle: { ...result.bundle, entry: entries }, writes, ids, priors };
}

/** A merge's state on a Patient (links; inactive once replaced) carried into a new version written from a PID. */
function keepMergeState(next: Patient, current: Patient): Patient {
  if (!current.link?.length) return next;
  const out: Patient = { ...next };
  for (const link of current.link) addLink(out, link);
  if (current.link.some((l) => l.type === 'replaced-by')) out.active = false;
  return out;
}

/** Both identifier lists, without repeats: `next`'s first, then those only `current` has. */
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

/**
 * A report left without text (every text OBX withdrawn, a cancellation without OBX): the DocumentReference an earlier
 * version's text was exposed as becomes entered-in-error (docStatus too), as the report's text is withdrawn; its
 * Binary is kept for the record, as a withdrawn Observation keeps its value.
 */
async function retireNote(ctx: FhirContext, query: string): Promise<void> {
  const matches = await findMatches(ctx, ctx.repo, 'DocumentReference', new URLSearchParams(query));
  for (const doc of matches as DocumentReference[]) {
    if (doc.status === 'entered-in-error' && doc.docStatus === 'entered-in-error') continue;
    await ctx.repo.update<DocumentReference>({ ...doc, status: 'entered-in-error', docStatus: 'entered-in-error' });
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
 * would otherwise drop the links and reactivate a replaced patient) and every identifier it had (another feed's MRN
 * must stay matchable); a match-or-create PID only adds its new identifiers. The types the message does not own
 * (messages.json keepOnUpdate) keep the elements it does not carry. A report's results that the new version drops
 * are collected in `dropped`.
 */
function reconcile(
  result: MappingResult,
  writes: Map<number, PatientWrite>,
  dropped: DroppedResults[],
): TransactionOptions {
  const keep = new Set(result.keepOnUpdate);
  return {
    beforeUpdate: (index, incoming, current) => {
      if (incoming.resourceType === 'DiagnosticReport') {
        const d = droppedResults(incoming as DiagnosticReport, current as DiagnosticReport);
        if (d) dropped.push(d);
      }
      const fields = result.entryFields[index];
      if (incoming.resourceType === 'Patient') {
        const stored = current as Patient;
        const next =
          writes.get(index) === 'match-or-create'
            ? { ...stored, identifier: identifierUnion(stored, incoming) }
            : (keepAbsent(incoming, current, fields, true) as Patient);
        return keepMergeState(next, stored);
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

/** The id of the resource a transaction-response entry wrote. */
function writtenId(response: Bundle, index: number): string | undefined {
  const entry = response.entry?.[index];
  return entry?.resource?.id ?? /\/([^/]+)\/_history\//.exec(entry?.response?.location ?? '')?.[1];
}

/**
 * Writes one mapping result on a transaction's context: patients resolved, the Bundle, withdrawn results, cancelled
 * stubs, merges.
 */
async function applyResult(txCtx: FhirContext, result: MappingResult): Promise<void> {
  const dropped: DroppedResults[] = [];
  const resolved = await resolvePatients(txCtx, result);
  let response: Bundle;
  try {
    response = await transaction(txCtx, resolved.bundle, dispatch, reconcile(result, resolved.writes, dropped));
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const index = Number(/^Bundle entry (\d+):/.exec(text)?.[1] ?? -1);
    const status = err instanceof OperationOutcomeError ? err.status : 500;
    throw new ExecuteError(status, text, result.entryLocations[index], { cause: err });
  }
  await retireDropped(txCtx, dropped);
  for (const query of result.cancelStudies) await cancelStub(txCtx, query);
  for (const query of result.retireNotes) await retireNote(txCtx, query);
  for (const [i, op] of result.merges.entries()) {
    const index = resolved.bundle.entry!.findIndex((e) => e.fullUrl === op.survivor);
    const survivor = resolved.ids.get(op.survivor) ?? writtenId(response, index);
    try {
      if (!survivor) throw notFound('merge: surviving patient not found');
      await applyMerge(txCtx, survivor, resolved.priors[i]!);
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
