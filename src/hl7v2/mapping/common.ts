// Builders shared by the message handlers: Patient from PID, Encounter from PV1, ServiceRequest from ORC/OBR,
// the ImagingStudy stub, all as conditional entries keyed by identifiers so reprocessing never duplicates.
import type { Encounter, Identifier, ImagingStudy, Patient, Reference, ServiceRequest } from 'fhir/r4.js';
import type { Hl7Message, Segment } from '../message.js';
import { ErrorCode, type AckError, type ErrorLocation } from '../ack.js';
import type { MappingConfig } from './config.js';
import { applySegmentMap, type FieldUse, type MappedElements } from './interpreter.js';
import { authoritySystem, ei, lookup } from './datatypes.js';
import { identifierQuery, identifierToken } from '../../fhir/identifier-token.js';
import type { TransactionBuilder } from './bundle.js';
import { MappingError, locationOf, type MergeOperation, type PatientMatch } from './result.js';

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
/** DICOM Study Instance UID identifier system (FHIR R4 ImagingStudy.identifier notes). */
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
/** A DICOM Study Instance UID as an identifier (urn:dicom:uid | urn:oid:<uid>). */
export const studyUidIdentifier = (uid: string): Identifier => ({ system: DICOM_UID_SYSTEM, value: `urn:oid:${uid}` });

/** Shared state of one message being mapped. */
export interface MapContext {
  cfg: MappingConfig;
  msg: Hl7Message;
  tx: TransactionBuilder;
  warnings: AckError[];
  patients: PatientMatch[];
  merges: MergeOperation[];
  cancelStudies: string[];
  /** DocumentReference searches to set entered-in-error (MappingResult.retireNotes). */
  retireNotes: string[];
  /** Default assigning authority for identifiers without one: MSH-4 (facility) or MSH-3. */
  authority: string;
  /** Offset for times sent without one: MSH-7's (the sender's time zone, HL7 v2.5.1 2.A.22), else the default. */
  timezone: string;
}

/**
 * Runs a segment map and turns its problems into AE (required) or warnings (optional), each located at the
 * segment's occurrence in the message (ERL.2).
 */
export function mapSegments(
  ctx: MapContext,
  mapName: string,
  segs: Record<string, Segment | undefined>,
): { value: Record<string, unknown>; fields: FieldUse } {
  const map = ctx.cfg.segments[mapName];
  if (!map) throw new Error(`no segment map ${mapName}`);
  const env = { timezone: ctx.timezone, authority: ctx.authority };
  const out: MappedElements = applySegmentMap(ctx.cfg, map, segs, env);
  const fatal: AckError[] = [];
  for (const p of out.problems) {
    const seg = segs[p.field.slice(0, 3)];
    const err: AckError = {
      code:
        p.kind === 'missing'
          ? ErrorCode.requiredFieldMissing
          : p.kind === 'unknown-code'
            ? ErrorCode.tableValueNotFound
            : ErrorCode.dataType,
      location: locationOf(p.field, seg && ctx.msg.occurrence(seg)),
      text: `${p.field} ${p.kind === 'missing' ? 'is required' : p.kind === 'unknown-code' ? 'has a code not in the table' : 'has a bad value'}`,
      severity: p.required ? 'E' : 'W',
    };
    (p.required ? fatal : ctx.warnings).push(err);
  }
  if (fatal.length) throw new MappingError('AE', fatal);
  return { value: out.value, fields: out.fields };
}

/**
 * The tokens (`system|value`) a Patient is matched on: its identifiers that have a system. One without a system (no
 * CX-4 and no sending facility, or another institution's PID-2/PID-4) could be anyone's, so it is stored, not matched.
 */
export function matchTokens(ids: Identifier[]): string[] {
  return [...new Set(ids.filter((i) => i.system && i.value).map(identifierToken))];
}

/** One identifier per token; one without a system goes when another has its value (a PID-2 repeating PID-3). */
function distinctIdentifiers(ids: Identifier[]): Identifier[] {
  const out: Identifier[] = [];
  for (const id of ids) {
    if (!out.some((o) => identifierToken(o) === identifierToken(id) || (!id.system && o.value === id.value))) {
      out.push(id);
    }
  }
  return out;
}

/**
 * PID -> Patient: an entry whose condition is any of the identifiers with a system (PID-3, with the sending facility
 * for those without CX-4, and PID-2/PID-4 with their own CX-4), registered in `ctx.patients` so the executor resolves
 * it first (README "Patient matching"). A conditional update, or a conditional create for the message types
 * messages.json `patientWrite` marks match-or-create. `exclude`: tokens not to match on (ADT^A40: the prior
 * patients'). AE at PID-3 without an identifier (101) or without one that can be matched.
 */
export function patientEntry(
  ctx: MapContext,
  pid: Segment | undefined,
  extra: Partial<Patient> = {},
  exclude: ReadonlySet<string> = new Set(),
): { ref: Reference } {
  if (!pid) {
    throw new MappingError('AE', [
      { code: ErrorCode.segmentSequence, location: { segment: 'PID' }, text: 'PID segment is required' },
    ]);
  }
  const { value, fields } = mapSegments(ctx, 'pid-patient', { PID: pid });
  const mapped = value as Partial<Patient>;
  // ADT^A40 carries one PID per merge: the location names which one.
  const location: ErrorLocation = { segment: 'PID', sequence: ctx.msg.occurrence(pid), field: 3 };
  const fail = (code: string, text: string, at: ErrorLocation = location): never => {
    throw new MappingError('AE', [{ code, location: at, text }]);
  };
  if (!pid.reps(3).some((r) => r.c(1) && r.raw !== '""')) {
    fail(ErrorCode.requiredFieldMissing, 'PID-3 patient identifier is required');
  }
  const ids = distinctIdentifiers(mapped.identifier ?? []);
  const usable = ids.filter((i) => i.system);
  const matched = usable.filter((i) => !exclude.has(identifierToken(i)));
  const tokens = matched.map(identifierToken);
  if (usable.length === 0) {
    fail(
      ErrorCode.requiredFieldMissing,
      'PID-3 needs an assigning authority (CX-4), or the message a sending facility (MSH-4) or application (MSH-3)',
      { ...location, component: 4 },
    );
  }
  if (tokens.length === 0) fail(ErrorCode.duplicateKeyIdentifier, 'PID-3 names only the prior patient (MRG-1)');
  // deceased[x] is one element: PID-30 (the indicator) only when PID-29 gives no date (v2-to-FHIR PID[Patient]).
  if (mapped.deceasedDateTime) delete mapped.deceasedBoolean;
  const patient: Patient = { resourceType: 'Patient', ...mapped, ...extra, identifier: ids };
  // Any of them: identifier=a|1,b|2 (FHIR R4 search.html#combining).
  const query = `identifier=${matched.map((i) => identifierQuery(i).slice('identifier='.length)).join(',')}`;
  const type = `${ctx.msg.type.code}^${ctx.msg.type.event}`;
  const write = ctx.cfg.messages.patientWrite?.[type] ?? 'update';
  const ref =
    write === 'match-or-create'
      ? ctx.tx.createIfNone(patient, query, location)
      : ctx.tx.upsert(patient, query, location, fields);
  if (!ctx.patients.some((p) => p.fullUrl === ref.reference)) {
    ctx.patients.push({ fullUrl: ref.reference!, tokens, write, location });
  }
  return { ref };
}

/**
 * PV1 -> Encounter conditional update keyed by PV1-19 (without CX-4 the sending facility's, as PID-3); none without
 * a visit number. A visit number without a usable authority (CX-4; when CX-4 is empty, MSH-4 or MSH-3) could be any
 * facility's and gives no identifier.system (us-core-encounter 1..1): no Encounter, and a warning at PV1-19.4.
 */
export function encounterEntry(ctx: MapContext, pv1: Segment | undefined, subject: Reference): Reference | undefined {
  if (!pv1 || pv1.rawField(19) === '') return undefined;
  const { value, fields } = mapSegments(ctx, 'pv1-encounter', { PV1: pv1 });
  const mapped = value as Partial<Encounter>;
  const ids = mapped.identifier ?? [];
  if (!ids[0]) return undefined;
  if (!ids[0].system) {
    ctx.warnings.push({
      code: ErrorCode.requiredFieldMissing,
      location: { segment: 'PV1', sequence: ctx.msg.occurrence(pv1), field: 19, component: 4 },
      text: 'PV1-19 visit number needs an assigning authority (CX-4, else MSH-4 or MSH-3): no Encounter written',
      severity: 'W',
    });
    return undefined;
  }
  const enc: Encounter = {
    resourceType: 'Encounter',
    status: mapped.period?.end ? 'finished' : 'in-progress',
    ...mapped,
    // Encounter.class is 1..1: unknown PV1-2 becomes v3 NullFlavor UNK.
    class: mapped.class ?? { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK' },
    identifier: ids,
    subject,
  };
  const at = { segment: 'PV1', sequence: ctx.msg.occurrence(pv1), field: 19 };
  // Without PV1-45 "in-progress" is only a default: a thinner PV1 must not reopen a visit stored as finished.
  const status = { to: 'status', values: { status: 'in-progress' }, omitted: pv1.rawField(45) === '' };
  const use = mapped.period?.end ? fields : { ...fields, defaults: [...fields.defaults, status] };
  return ctx.tx.upsert(enc, identifierQuery(ids[0]), at, use);
}

/** One order group: its ORC (optional in ORU), OBR, and the segments that follow the OBR. */
export interface OrderGroup {
  orc?: Segment;
  obr: Segment;
  /** 1-based OBR occurrence, for ERR locations. */
  sequence: number;
  obx: Segment[];
  zds?: Segment;
  ipc?: Segment;
}

/**
 * Splits segments into order groups at each OBR. An ORC belongs to the OBR it precedes (HL7 order), except in a
 * message whose order segments start with an OBR and end with an ORC: there every ORC follows its OBR (some senders'
 * ORM) and belongs to the OBR before it. Either way each ORC joins at most one group.
 */
export function orderGroups(msg: Hl7Message): OrderGroup[] {
  const groups: OrderGroup[] = [];
  const afterObr = orcFollowsObr(msg);
  let pending: Segment | undefined; // an ORC waiting for the OBR it precedes
  let current: OrderGroup | undefined;
  for (const s of msg.segments) {
    if (s.name === 'ORC') {
      if (!afterObr) pending = s;
      else if (current && !current.orc) current.orc = s;
    } else if (s.name === 'OBR') {
      current = { obr: s, orc: pending, sequence: groups.length + 1, obx: [] };
      pending = undefined;
      groups.push(current);
    } else if (current && s.name === 'OBX') current.obx.push(s);
    else if (current && s.name === 'ZDS') current.zds = s;
    else if (current && s.name === 'IPC') current.ipc ??= s;
  }
  return groups;
}

/** Whether the ORCs follow their OBRs: the first order segment is an OBR and the last an ORC (none is left over). */
function orcFollowsObr(msg: Hl7Message): boolean {
  const order = msg.segments.filter((s) => s.name === 'ORC' || s.name === 'OBR');
  return order[0]?.name === 'OBR' && order.at(-1)?.name === 'ORC';
}

/** Order identifiers: placer (ORC-2/OBR-2), filler (ORC-3/OBR-3), accession (IPC-1/OBR-18), OBR-19, OBR-20. */
export function orderIdentifiers(ctx: MapContext, g: OrderGroup): { all: Identifier[]; key: Identifier } {
  const typed = (id: Identifier | undefined, code: string): Identifier | undefined =>
    id && { ...id, type: { coding: [{ system: V2_0203, code }] } };
  const pick = (a: Segment | undefined, an: number, b: Segment | undefined, bn: number): Identifier | undefined => {
    const ra = a?.rep(an);
    const rep = ra && !ra.isEmpty ? ra : b?.rep(bn);
    return rep && !rep.isEmpty ? ei(ctx.cfg, rep, ctx.authority) : undefined;
  };
  const placer = typed(pick(g.orc, 2, g.obr, 2), 'PLAC');
  const filler = typed(pick(g.orc, 3, g.obr, 3), 'FILL');
  const accRep = g.ipc && !g.ipc.rep(1).isEmpty ? g.ipc.rep(1) : g.obr.rep(18);
  const accession = accRep.isEmpty ? undefined : typed(ei(ctx.cfg, accRep, ctx.authority), 'ACSN');
  const key = accession ?? filler ?? placer;
  if (!key) {
    throw new MappingError('AE', [
      {
        code: ErrorCode.requiredFieldMissing,
        location: { segment: 'OBR', sequence: g.sequence, field: 3 },
        text: 'the order has no placer, filler or accession number',
      },
    ]);
  }
  const all = [placer, filler, accession].filter((i): i is Identifier => i !== undefined);
  // IHE Scheduled Workflow: OBR-19 requested procedure id, OBR-20 scheduled procedure step id (no v2-0203 code).
  const system = authoritySystem(ctx.cfg, ctx.authority);
  for (const [field, text] of [
    [19, 'Requested Procedure ID'],
    [20, 'Scheduled Procedure Step ID'],
  ] as const) {
    const value = g.obr.get(field);
    if (value) all.push({ ...(system ? { system } : {}), value, type: { text } });
  }
  return { all, key };
}

/** ORC/OBR -> ServiceRequest conditional update keyed by the order's key identifier. */
export function serviceRequestEntry(
  ctx: MapContext,
  g: OrderGroup,
  ids: { all: Identifier[]; key: Identifier },
  status: ServiceRequest['status'],
  subject: Reference,
  encounter: Reference | undefined,
): Reference {
  const { value, fields } = mapSegments(ctx, 'orc-obr-service-request', { ORC: g.orc, OBR: g.obr });
  const sr: ServiceRequest = {
    resourceType: 'ServiceRequest',
    ...(value as Partial<ServiceRequest>),
    identifier: ids.all,
    status,
    intent: 'order',
    subject,
  };
  if (encounter) sr.encounter = encounter;
  return ctx.tx.upsert(sr, identifierQuery(ids.key), { segment: 'OBR', sequence: g.sequence, field: 3 }, fields);
}

/** The study UID of a group: IPC-3, ZDS-1, or an OBX whose code names a study UID (first valued wins). */
export function studyUid(ctx: MapContext, g: OrderGroup): string | undefined {
  const fromIpc = g.ipc?.get(3);
  if (fromIpc) return fromIpc;
  const fromZds = g.zds?.get(1);
  if (fromZds) return fromZds;
  for (const obx of g.obx) {
    const code = obx.rep(3);
    const isUid = ctx.cfg.messages.studyUidCodes.some(
      (c) => (code.c(1) === c.code && code.c(3) === c.system) || (code.c(4) === c.code && code.c(6) === c.system),
    );
    if (isUid && obx.rep(5).c(1)) return obx.rep(5).c(1);
  }
  return undefined;
}

/** ImagingStudy created unless one with the study UID exists (a stub: identifiers, status, subject, order). */
export function imagingStudyEntry(
  ctx: MapContext,
  g: OrderGroup,
  uid: string,
  status: ImagingStudy['status'],
  accession: Identifier | undefined,
  subject: Reference,
  basedOn: Reference,
): Reference {
  const uidId = studyUidIdentifier(uid);
  const study: ImagingStudy = {
    resourceType: 'ImagingStudy',
    identifier: accession ? [uidId, accession] : [uidId],
    status,
    subject,
    basedOn: [basedOn],
  };
  const modalityCode = g.ipc?.get(5) || g.obr.get(24);
  const modalities = ctx.cfg.vocabularies['dicom-modality'];
  const modality = modalities && lookup(modalities, modalityCode);
  if (modality && modalities) study.modality = [{ system: modalities.system, code: modality }];
  const desc = g.obr.rep(4).c(2);
  if (desc) study.description = desc;
  const from = g.ipc ?? g.zds;
  const location = from && { segment: from.name, sequence: ctx.msg.occurrence(from), field: g.ipc ? 3 : 1 };
  return ctx.tx.createIfNone(study, identifierQuery(uidId), location);
}
