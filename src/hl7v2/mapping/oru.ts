// ORU^R01 (v2.3-v2.8) -> Patient, Encounter, ServiceRequest, DiagnosticReport (+ coded/numeric Observations and
// an ImagingStudy stub), after the v2-to-FHIR IG message map ORU_R01 with ct-fhir rules for the report text.
import type {
  Attachment,
  DiagnosticReport,
  Identifier,
  Observation,
  Quantity,
  Reference,
  ServiceRequest,
} from 'fhir/r4.js';
import type { Segment } from '../message.js';
import { ErrorCode } from '../ack.js';
import { cwe, lookup, nm, rp, sn } from './datatypes.js';
import { identifierQuery } from '../../fhir/identifier-token.js';
import { MappingError, type Trigger } from './result.js';
import { clinicalNoteEntries, retireClinicalNote, type ClinicalNoteInput } from './clinical-note.js';
import {
  encounterEntry,
  imagingStudyEntry,
  mapSegments,
  orderGroups,
  orderIdentifiers,
  patientEntry,
  serviceRequestEntry,
  studyUid,
  type MapContext,
  type OrderGroup,
} from './common.js';

function codeIn(obx: Segment, codes: { system: string; code: string }[]): boolean {
  const c = obx.rep(3);
  return codes.some((x) => (c.c(1) === x.code && c.c(3) === x.system) || (c.c(4) === x.code && c.c(6) === x.system));
}

/** OBX-5 of a text OBX: each repetition is a line; escapes (incl. \.br\) decoded. */
function obxText(obx: Segment): string {
  return obx
    .reps(5)
    .map((r) => r.text)
    .join('\n');
}

/** The report text in OBX order, the impression (conclusion) and pointer attachments (RP). */
function reportText(ctx: MapContext, g: OrderGroup): { text: string; conclusion: string; pointers: Attachment[] } {
  const lines: string[] = [];
  const impression: string[] = [];
  const pointers: Attachment[] = [];
  const statuses = ctx.cfg.vocabularies['observation-status'];
  for (const obx of g.obx) {
    const type = obx.get(2).toUpperCase();
    if (codeIn(obx, ctx.cfg.messages.studyUidCodes)) continue;
    // OBX-11 D (deleted) or W (wrong, e.g. another patient's): the text is withdrawn, not part of the report.
    if (statuses && lookup(statuses, obx.get(11)) === 'entered-in-error') continue;
    if (type === 'RP') {
      const pointer = rp(ctx.cfg, obx.rep(5), obx.rep(3).c(2) || undefined);
      if (pointer) pointers.push(pointer);
      continue;
    }
    if (!ctx.cfg.messages.textValueTypes.includes(type)) continue;
    const text = obxText(obx);
    lines.push(text);
    if (codeIn(obx, ctx.cfg.messages.impressionCodes)) impression.push(text);
  }
  return { text: lines.join('\n'), conclusion: impression.join('\n').trim(), pointers };
}

/** The identifier system of a report's OBX Observations: the report key's system + `#obx`. */
const obxSystem = (reportKeySystem: string | undefined): string => `${reportKeySystem ?? ''}#obx`;

/** Whether an Observation was written from an OBX of this report (by its identifier), so a correction owns it. */
export function isObxObservationOf(report: DiagnosticReport, obs: Observation): boolean {
  const systems = new Set((report.identifier ?? []).map((i) => obxSystem(i.system)));
  return (obs.identifier ?? []).some((i) => i.system !== undefined && systems.has(i.system));
}

/** OBX-6 as the unit of a quantity (UCUM code, its name or the code as unit); none when OBX-6 is empty. */
function unitOf(obx: Segment): Quantity {
  const unit = obx.rep(6);
  if (!unit.c(1)) return {};
  return { unit: unit.c(2) || unit.c(1), code: unit.c(1), system: 'http://unitsofmeasure.org' };
}

/**
 * OBX-5 as Observation.value[x] by OBX-2 (NM, SN, CE/CWE/CNE); undefined when OBX-5 does not read. An empty OBX-5
 * gives no value rather than 0: the Observation keeps its code and status (FHIR obs-6 allows that).
 */
function obxValue(ctx: MapContext, obx: Segment, type: string): Partial<Observation> | undefined {
  if (obx.rawField(5).trim() === '') return {};
  const v = obx.rep(5);
  if (type === 'NM') {
    const value = nm(v.c(1));
    return value === undefined ? undefined : { valueQuantity: { value, ...unitOf(obx) } };
  }
  if (type === 'SN') return sn(ctx.cfg, v, unitOf(obx));
  const concept = cwe(ctx.cfg, v);
  return concept && { valueCodeableConcept: concept };
}

/** A coded or numeric OBX -> Observation keyed by report key + OBX-1/OBX-4. */
function observationEntry(
  ctx: MapContext,
  obx: Segment,
  key: { system?: string; value?: string },
  subject: Reference,
  status: DiagnosticReport['status'],
): Reference | undefined {
  const type = obx.get(2).toUpperCase();
  if (!['NM', 'SN', 'CE', 'CWE', 'CNE'].includes(type)) return undefined;
  const mapped = mapSegments(ctx, 'obx-observation', { OBX: obx }).value as Partial<Observation>;
  const obs: Observation = {
    resourceType: 'Observation',
    status: mapped.status ?? (status === 'final' ? 'final' : 'preliminary'),
    code: mapped.code ?? { text: 'unknown' },
    ...mapped,
    subject,
  };
  const value = obxValue(ctx, obx, type);
  if (!value) return undefined;
  Object.assign(obs, value);
  const id = { system: obxSystem(key.system), value: `${key.value}.${obx.get(1) || '0'}.${obx.get(4) || '0'}` };
  obs.identifier = [id];
  // ERL.2 is the OBX's occurrence in the message, not its Set ID (OBX-1 restarts per OBR, may skip or be empty).
  return ctx.tx.upsert(obs, identifierQuery(id), { segment: 'OBX', sequence: ctx.msg.occurrence(obx) });
}

/** The report text (a Binary and a DocumentReference point at it, clinical-note.ts), then any RP pointers. */
function presentedForm(
  ctx: MapContext,
  note: Omit<ClinicalNoteInput, 'reportRef' | 'title'>,
  pointers: Attachment[],
): Attachment[] {
  if (!note.text.trim()) return pointers;
  const reportRef = ctx.tx.refFor('DiagnosticReport', identifierQuery(note.key));
  const title = note.report.code.coding?.[0]?.display ?? note.report.code.text;
  return [clinicalNoteEntries(ctx, { ...note, reportRef, title }), ...pointers];
}

/** ServiceRequest.status in an ORU: ORC-5 when valued, else from the report status. */
function orderStatusOf(ctx: MapContext, g: OrderGroup, status: DiagnosticReport['status']): ServiceRequest['status'] {
  const vocab = ctx.cfg.vocabularies['order-status'];
  const byOrc = g.orc && vocab ? lookup(vocab, g.orc.get(5)) : undefined;
  if (byOrc) return byOrc as ServiceRequest['status'];
  if (status === 'final' || status === 'corrected' || status === 'amended') return 'completed';
  return status === 'cancelled' ? 'revoked' : 'active';
}

/** Maps every OBR group of an ORU^R01. */
export function mapOru(ctx: MapContext): Trigger[] {
  const { msg } = ctx;
  const subject = patientEntry(ctx, msg.segment('PID')).ref;
  const encounter = encounterEntry(ctx, msg.segment('PV1'), subject);
  const groups = orderGroups(msg);
  if (groups.length === 0) {
    throw new MappingError('AE', [
      { code: ErrorCode.segmentSequence, location: { segment: 'OBR' }, text: 'ORU^R01 needs an OBR segment' },
    ]);
  }
  const triggers: Trigger[] = [];
  const reportKeys = new Set<string>();
  // Report keys with text in this message, and those of groups without: a report left without any text retires
  // its DocumentReference (an earlier version's).
  const noted = new Set<string>();
  const textless = new Map<string, Identifier>();
  for (const g of groups) {
    const mapped = mapSegments(ctx, 'obr-diagnostic-report', { OBR: g.obr }).value as Partial<DiagnosticReport>;
    if (!mapped.code) {
      throw new MappingError('AE', [
        {
          code: ErrorCode.requiredFieldMissing,
          location: { segment: 'OBR', sequence: g.sequence, field: 4 },
          text: 'OBR-4 universal service identifier is required',
        },
      ]);
    }
    const status = mapped.status ?? 'final';
    const ids = orderIdentifiers(ctx, g);
    const basedOn = serviceRequestEntry(ctx, g, ids, orderStatusOf(ctx, g, status), subject, encounter);
    const { text, conclusion, pointers } = reportText(ctx, g);
    const cat = ctx.cfg.messages.radiologyCategory;
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      identifier: [ids.key],
      basedOn: [basedOn],
      status,
      category: [{ coding: [cat] }, ...(mapped.category ?? [])],
      code: mapped.code,
      subject,
    };
    if (encounter) report.encounter = encounter;
    if (mapped.effectiveDateTime) report.effectiveDateTime = mapped.effectiveDateTime;
    if (mapped.issued) report.issued = mapped.issued;
    if (mapped.resultsInterpreter) report.resultsInterpreter = mapped.resultsInterpreter;
    if (conclusion) report.conclusion = conclusion;
    const uid = studyUid(ctx, g);
    if (uid) {
      const accession = ids.all.find((i) => i.type?.coding?.[0]?.code === 'ACSN');
      report.imagingStudy = [imagingStudyEntry(ctx, g, uid, 'available', accession, subject, basedOn)];
    }
    // A group repeating an earlier group's key merges into its report (TransactionBuilder); OBX-1 restarts at each
    // OBR, so its Observations are told apart by the OBR rather than replace the earlier group's.
    const reportKey = identifierQuery(ids.key);
    const obxKey = reportKeys.has(reportKey) ? { ...ids.key, value: `${ids.key.value}-OBR${g.sequence}` } : ids.key;
    reportKeys.add(reportKey);
    const location = { segment: 'OBR', sequence: g.sequence, field: 3 };
    const forms = presentedForm(ctx, { report, key: ids.key, textKey: obxKey, text, location }, pointers);
    if (text.trim()) noted.add(reportKey);
    else textless.set(reportKey, ids.key);
    if (forms.length) report.presentedForm = forms;
    const results = g.obx
      .map((obx) => observationEntry(ctx, obx, obxKey, subject, status))
      .filter((r): r is Reference => r !== undefined);
    if (results.length) report.result = results;
    const ref = ctx.tx.upsert(report, reportKey, location);
    const labelled = triggers.some((t) => t.fullUrl === ref.reference);
    if ((status === 'final' || status === 'corrected' || status === 'amended') && text.trim() && !labelled) {
      triggers.push({ kind: 'report-labels', fullUrl: ref.reference! });
    }
  }
  for (const [query, key] of textless) if (!noted.has(query)) retireClinicalNote(ctx, key);
  return triggers;
}
