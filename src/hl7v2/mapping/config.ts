// Loads the mapping data in mappings/ (vocabularies, message table, segment rules) once, checking its shape so a
// broken edit fails at startup with the file named.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A v2 table mapped to FHIR codes. */
export interface Vocabulary {
  source: string;
  system?: string;
  map: Record<string, string>;
  aliases?: Record<string, string>;
  display?: Record<string, string>;
}

/** One rule: HL7 field(s) -> converter -> FHIR element path. */
export interface Rule {
  from: string | string[];
  type: string;
  to: string;
  vocabulary?: string;
  set?: Record<string, unknown>;
  required?: boolean;
  /** Elements (path -> value) set when the field is empty, deleted ("") or unusable. */
  absent?: Record<string, unknown>;
  /**
   * CX only: "sender" gives identifiers without an assigning authority (CX-4) the sending facility's (MSH-4, else
   * MSH-3), for fields that carry the sender's own identifiers (PID-3, MRG-1); others stay without a system.
   */
  authority?: 'sender';
}

export interface SegmentMap {
  resource: string;
  /** Elements (path -> value) every resource of this map gets, before the rules. */
  fixed?: Record<string, unknown>;
  rules: Rule[];
}

export interface CodeRef {
  system: string;
  code: string;
}

/** messages.json clinicalNote: the DocumentReference an ORU report's text is also exposed as (US Core clinical notes). */
export interface ClinicalNoteConfig {
  type: { system: string; code: string; display?: string };
  category: { system: string; code: string; display?: string };
  /** DocumentReference.content.format (absent: none). */
  format?: { system: string; code: string; display?: string };
  /** DiagnosticReport.status -> DocumentReference.status (absent: current). */
  status: Record<string, 'current' | 'superseded' | 'entered-in-error'>;
  /** DiagnosticReport.status -> DocumentReference.docStatus (absent: none). */
  docStatus: Record<string, 'preliminary' | 'final' | 'amended' | 'entered-in-error'>;
}

/** How a message's PID reaches the Patient (messages.json patientWrite). */
export type PatientWrite = 'update' | 'match-or-create';

export interface MessageTable {
  versions: string[];
  messages: Record<string, string>;
  /** Per message type (CODE^EVENT); absent: update. */
  patientWrite?: Record<string, PatientWrite>;
  /** Per message type: resource types whose matched version keeps what the message does not carry. */
  keepOnUpdate?: Record<string, string[]>;
  localSystemBase: string;
  localAuthorities: Record<string, string>;
  radiologyCategory: { system: string; code: string; display: string };
  studyUidCodes: CodeRef[];
  impressionCodes: CodeRef[];
  /** Absent: reports are written without a DocumentReference and Binary. */
  clinicalNote?: ClinicalNoteConfig;
  textValueTypes: string[];
  defaultTimezone: string;
}

export interface MappingConfig {
  vocabularies: Record<string, Vocabulary>;
  messages: MessageTable;
  segments: Record<string, SegmentMap>;
}

const SEGMENT_FILES = [
  'pid-patient',
  'pv1-encounter',
  'orc-obr-service-request',
  'obr-diagnostic-report',
  'obx-observation',
  'mrg-patient',
];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function check(cond: boolean, file: string, what: string): void {
  if (!cond) throw new Error(`mappings/${file}: ${what}`);
}

/** A mapping table's entries without its annotations ("$comment"). */
function tableEntries(table: unknown): [string, unknown][] {
  return Object.entries(table as Record<string, unknown>).filter(([key]) => !key.startsWith('$'));
}

/** Checks an optional per-message-type table of messages.json; `problem` says what is wrong with an entry. */
function checkPerMessage(
  messages: unknown,
  name: string,
  problem: (type: string, value: unknown) => string | undefined,
): void {
  const table = (messages as Record<string, unknown>)[name] ?? {};
  check(isRecord(table), 'messages.json', `"${name}" must be an object`);
  for (const [type, value] of tableEntries(table)) {
    const found = problem(type, value);
    check(found === undefined, 'messages.json', found ?? '');
  }
}

function readJson(dir: string, file: string): unknown {
  return JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
}

/** Reads and checks the mapping files under `dir` (default: the repository's mappings/). */
export function loadMappingConfig(dir = fileURLToPath(new URL('../../../mappings', import.meta.url))): MappingConfig {
  const vocab = readJson(dir, 'vocabularies.json');
  check(isRecord(vocab), 'vocabularies.json', 'must be an object');
  const vocabularies: Record<string, Vocabulary> = {};
  for (const [name, v] of tableEntries(vocab)) {
    check(isRecord(v) && isRecord(v.map), 'vocabularies.json', `${name} needs a "map" object`);
    vocabularies[name] = v as unknown as Vocabulary;
  }
  const messages = readJson(dir, 'messages.json');
  check(
    isRecord(messages) && Array.isArray(messages.versions) && isRecord(messages.messages),
    'messages.json',
    'needs "versions" and "messages"',
  );
  checkPerMessage(messages, 'patientWrite', (type, mode) =>
    mode === 'update' || mode === 'match-or-create' ? undefined : `patientWrite ${type}: ${String(mode)}`,
  );
  checkPerMessage(messages, 'keepOnUpdate', (type, types) =>
    Array.isArray(types) && types.every((t) => typeof t === 'string')
      ? undefined
      : `keepOnUpdate ${type} must list resource types`,
  );
  checkClinicalNote((messages as Record<string, unknown>).clinicalNote);
  const segments: Record<string, SegmentMap> = {};
  for (const name of SEGMENT_FILES) {
    const file = `segments/${name}.json`;
    const s = readJson(dir, file);
    check(isRecord(s) && typeof s.resource === 'string' && Array.isArray(s.rules), file, 'needs resource and rules');
    const fixed = (s as { fixed?: unknown }).fixed;
    check(fixed === undefined || isRecord(fixed), file, 'fixed must map element paths to values');
    for (const r of (s as { rules: unknown[] }).rules) {
      check(isRecord(r) && typeof r.type === 'string' && typeof r.to === 'string', file, 'each rule needs type, to');
      const rule = r as unknown as Rule;
      if (rule.vocabulary) check(rule.vocabulary in vocabularies, file, `unknown vocabulary ${rule.vocabulary}`);
      check(rule.absent === undefined || isRecord(rule.absent), file, 'absent must map element paths to values');
      check(rule.authority === undefined || rule.authority === 'sender', file, 'authority must be "sender"');
    }
    segments[name] = s as unknown as SegmentMap;
  }
  return { vocabularies, messages: messages as unknown as MessageTable, segments };
}

const DOCUMENT_STATUS = ['current', 'superseded', 'entered-in-error'];
const COMPOSITION_STATUS = ['preliminary', 'final', 'amended', 'entered-in-error'];

/** Checks messages.json clinicalNote (optional): codes for type and category, status maps into R4's code sets. */
function checkClinicalNote(note: unknown): void {
  if (note === undefined) return;
  const file = 'messages.json';
  check(isRecord(note), file, 'clinicalNote must be an object');
  const n = note as Record<string, unknown>;
  for (const key of ['type', 'category', ...(n.format === undefined ? [] : ['format'])]) {
    const c = n[key];
    check(
      isRecord(c) && typeof c.system === 'string' && typeof c.code === 'string',
      file,
      `clinicalNote.${key} needs system, code`,
    );
  }
  for (const [key, allowed] of [
    ['status', DOCUMENT_STATUS],
    ['docStatus', COMPOSITION_STATUS],
  ] as const) {
    const map = n[key];
    check(isRecord(map), file, `clinicalNote.${key} must map report statuses to codes`);
    for (const [from, to] of tableEntries(map)) {
      check(
        allowed.includes(to as never),
        file,
        `clinicalNote.${key} ${from}: ${String(to)} is not one of ${allowed.join(', ')}`,
      );
    }
  }
}

let cached: MappingConfig | undefined;
/** The repository's mapping data, loaded once. */
export function mappingConfig(): MappingConfig {
  cached ??= loadMappingConfig();
  return cached;
}
