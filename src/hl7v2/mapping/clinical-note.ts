// US Core 5.0.1 clinical notes guidance (https://hl7.org/fhir/us/core/STU5.0.1/clinical-notes-guidance.html): a
// report's text is exposed through both DiagnosticReport and DocumentReference, which reference the same attachment
// (DiagnosticReport.presentedForm.url == DocumentReference.content.attachment.url). The text is a Binary at an id
// derived from the report key, so a resend or correction updates it in place; the DocumentReference is a conditional
// update keyed like the report. Codes and status maps are data (mappings/messages.json clinicalNote).
import { createHash } from 'node:crypto';
import type { Attachment, Binary, DiagnosticReport, DocumentReference, Identifier, Reference } from 'fhir/r4.js';
import { identifierQuery, identifierToken } from '../../fhir/identifier-token.js';
import type { ErrorLocation } from '../ack.js';
import type { MapContext } from './common.js';

const TEXT_TYPE = 'text/plain; charset=utf-8';
const LOINC = 'http://loinc.org';

/** The Binary id of a report text: a hash of the report key (`system|value`), stable across resends. */
export function reportTextBinaryId(key: Identifier): string {
  return `report-text-${createHash('sha256').update(identifierToken(key)).digest('hex').slice(0, 40)}`;
}

/** An instant (FHIR R4 datatypes.html#instant): seconds and a zone; DocumentReference.date is one. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** What the DocumentReference is built from: the report as mapped (before its entry is written) and its entry. */
export interface ClinicalNoteInput {
  report: DiagnosticReport;
  /** The DiagnosticReport entry (fullUrl), for context.related and Binary.securityContext. */
  reportRef: Reference;
  /** The report key: the DocumentReference's identifier and condition. */
  key: Identifier;
  /** The key the text's Binary id derives from: the report key, or a repeated group's own (its texts are two). */
  textKey: Identifier;
  text: string;
  title: string | undefined;
  location: ErrorLocation;
}

/**
 * Writes the report text as a Binary and a DocumentReference pointing at it; returns the presentedForm attachment
 * for the report (the inline text, kept for readers of presentedForm.data, with the Binary's url). Without
 * messages.json clinicalNote: the inline attachment alone, as before.
 */
export function clinicalNoteEntries(ctx: MapContext, input: ClinicalNoteInput): Attachment {
  const bytes = Buffer.from(input.text, 'utf8');
  const inline: Attachment = { contentType: TEXT_TYPE, data: bytes.toString('base64') };
  if (input.title) inline.title = input.title;
  const cfg = ctx.cfg.messages.clinicalNote;
  if (!cfg) return inline;
  const { report, location } = input;
  const binary: Binary & { id: string } = {
    resourceType: 'Binary',
    id: reportTextBinaryId(input.textKey),
    contentType: TEXT_TYPE,
    securityContext: input.reportRef,
    data: inline.data!,
  };
  ctx.tx.put(binary, location);
  const url = `Binary/${binary.id}`;
  const attachment: Attachment = {
    contentType: TEXT_TYPE,
    url,
    size: bytes.length,
    // Attachment.hash: base64 SHA-1 of the data (FHIR R4 datatypes.html#Attachment).
    hash: createHash('sha1').update(bytes).digest('base64'),
  };
  if (input.title) attachment.title = input.title;
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    identifier: [input.key],
    status: cfg.status[report.status] ?? 'current',
    type: {
      coding: [...(report.code.coding ?? []).filter((c) => c.system === LOINC && c.code !== cfg.type.code), cfg.type],
      ...(report.code.text ? { text: report.code.text } : {}),
    },
    category: [{ coding: [cfg.category] }],
    subject: report.subject!,
    content: [cfg.format ? { attachment, format: cfg.format } : { attachment }],
  };
  const docStatus = cfg.docStatus[report.status];
  if (docStatus) doc.docStatus = docStatus;
  const date = [report.issued, report.effectiveDateTime].find((d) => d && INSTANT.test(d));
  if (date) doc.date = date;
  if (report.resultsInterpreter?.length) doc.author = report.resultsInterpreter;
  const context: NonNullable<DocumentReference['context']> = { related: [input.reportRef] };
  if (report.encounter) context.encounter = [report.encounter];
  // The care date of a radiology report is the study's time, a point: a period with only a start would be open-ended
  // ("ongoing", R4 datatypes.html#Period) and match every later date range of a period search or $docref.
  if (report.effectiveDateTime) context.period = { start: report.effectiveDateTime, end: report.effectiveDateTime };
  doc.context = context;
  ctx.tx.upsert(doc, identifierQuery(input.key), location);
  return { ...inline, url };
}

/** A report of this message left without text: its DocumentReference (if any) is retired after the Bundle. */
export function retireClinicalNote(ctx: MapContext, key: Identifier): void {
  if (!ctx.cfg.messages.clinicalNote) return;
  const query = identifierQuery(key);
  if (!ctx.retireNotes.includes(query)) ctx.retireNotes.push(query);
}
