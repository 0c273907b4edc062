// What mapping a message produces, and the error that turns into AE/AR + ERR (HL7 v2.5.1 2.9, table 0357).
import type { Bundle } from 'fhir/r4.js';
import type { AckError, ErrorLocation } from '../ack.js';
import type { FieldUse } from './interpreter.js';
import type { PatientWrite } from './config.js';

/** Follow-up work the written resources should trigger (the jobs layer enqueues it in the same transaction). */
export interface Trigger {
  kind: 'report-labels';
  /** fullUrl of the entry (resolve to the stored id after the transaction). */
  fullUrl: string;
}

/**
 * A PID's Patient, resolved by the executor before the Bundle runs (README "Patient matching"): the live Patient its
 * identifiers find, the survivor of merged ones, AE when they find unrelated ones, a new Patient when none.
 */
export interface PatientMatch {
  /** fullUrl of the Patient entry in the Bundle. */
  fullUrl: string;
  /** Identifier tokens (`system|value`, escaped as in a search) to match on: those with a system. */
  tokens: string[];
  /** update: the PID updates the match; match-or-create: the match only gains the message's new identifiers. */
  write: PatientWrite;
  /** Reported in ERR-2 when the identifiers find unrelated patients (PID-3 of this PID). */
  location: ErrorLocation;
}

/** ADT^A40: mark the prior patient replaced by the survivor (FHIR R4 patient.html#links). */
export interface MergeOperation {
  /** fullUrl of the surviving patient's Bundle entry (its PatientMatch). */
  survivor: string;
  /** Identifier tokens (MRG-1) of the prior (merged-away) patient; it must exist. */
  prior: string[];
  /** Reported in ERR-2 when the prior patient is unknown or ambiguous (MRG-1). */
  location: ErrorLocation;
}

export interface MappingResult {
  /** e.g. "ORU^R01". */
  messageType: string;
  bundle: Bundle;
  /** Per bundle entry: the HL7 location reported in ERR-2 if the repository rejects that entry. */
  entryLocations: (ErrorLocation | undefined)[];
  /** Per bundle entry: how the message's fields spoke to it, for updates with HL7 v2 semantics (execute.ts). */
  entryFields: (FieldUse | undefined)[];
  triggers: Trigger[];
  /** Non-fatal problems (unknown optional codes), reported as ERR with severity W. */
  warnings: AckError[];
  /** The Patient entries, each resolved by its identifiers before the Bundle runs. */
  patients: PatientMatch[];
  /** Patient merges to apply after the Bundle, in the same database transaction (ADT^A40). */
  merges: MergeOperation[];
  /**
   * Searches (identifier=system|value) for the ImagingStudy stubs of cancelled orders: a stub still `registered`
   * (no images yet) becomes `cancelled` after the Bundle, in the same transaction; a study with images is left alone.
   */
  cancelStudies: string[];
  /**
   * Searches (identifier=system|value) for the DocumentReferences of reports this message left without text (every
   * text OBX withdrawn, or a cancellation without OBX): each found becomes entered-in-error after the Bundle, in the
   * same transaction; its Binary is kept for the record. None is created.
   */
  retireNotes: string[];
  /** Resource types whose matched current version keeps what this message does not carry (messages.json). */
  keepOnUpdate: string[];
}

/** A message that parses but cannot be applied (AE) or is not supported (AR). */
export class MappingError extends Error {
  override name = 'MappingError';
  constructor(
    readonly ackCode: 'AE' | 'AR',
    readonly errors: AckError[],
  ) {
    super(errors[0]?.text ?? 'mapping failed');
  }
}

/** Parses "PID-3" / "OBR-25" into an ERR location. */
export function locationOf(field: string, sequence = 1): ErrorLocation {
  const m = /^([A-Z][A-Z0-9]{2})-(\d+)$/.exec(field);
  if (!m) return { segment: field.slice(0, 3), sequence };
  return { segment: m[1]!, sequence, field: Number(m[2]) };
}
