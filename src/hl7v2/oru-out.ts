// Outbound ORU^R01 with the findings of one study (HL7 v2.5.1 chapter 7): OBR for the study (accession in OBR-18
// as IHE SWF does, study UID in ZDS-1), one OBX per finding (CWE code with the SNOMED CT alternate, value
// Present/Absent, body site in OBX-20), an NM OBX with the probability for AI findings, OBX-11 P or F.
import { createHash } from 'node:crypto';
import { escapeText, DEFAULT_SEPARATORS } from './encoding.js';
import { hl7Timestamp, newControlId } from './ack.js';

export interface CodedValue {
  code: string;
  display: string;
}

/** One finding to report. */
export interface OutboundFinding {
  /** ct-abnormality code. */
  code: CodedValue;
  /** SNOMED CT equivalent, when ct-abnormality maps to one. */
  snomed?: CodedValue;
  /** Finding site, SNOMED CT. */
  bodySite?: CodedValue;
  present: boolean;
  /** AI findings: model probability 0..1, sent as NM. */
  probability?: number;
  /**
   * OBX-11 (HL7 table 0085): P preliminary (AI, unreviewed), F final, C corrected (an amended or corrected report),
   * D deleted (a finding withdrawn since it was sent: superseded, or its report or study withdrawn).
   */
  status: 'P' | 'F' | 'C' | 'D';
}

export interface FindingsMessageInput {
  sendingApplication?: string;
  sendingFacility?: string;
  receivingApplication?: string;
  receivingFacility?: string;
  controlId?: string;
  now?: Date;
  patient: { id: string; assigningAuthority?: string; family?: string; given?: string };
  accession: string;
  studyInstanceUid: string;
  placerOrderNumber?: string;
  fillerOrderNumber?: string;
  procedure?: CodedValue & { system?: string };
  /** OBR-25: P while any finding is preliminary, C when any is corrected or deleted, else F. */
  resultStatus?: 'P' | 'F' | 'C';
  findings: OutboundFinding[];
}

/** Coding-system name (table 0396 "99zzz" local form) of the ct-abnormality CodeSystem in CWE-3. */
export const CT_ABNORMALITY_CWE_SYSTEM = '99CTA';
const PRESENT = '52101004^Present^SCT';
const ABSENT = '272519000^Absent^SCT';

const e = (s: string): string => escapeText(s, DEFAULT_SEPARATORS);

function cwe(primary: CodedValue, system: string, alt?: CodedValue, altSystem = 'SCT'): string {
  const parts = [e(primary.code), e(primary.display), system];
  if (alt) parts.push(e(alt.code), e(alt.display), altSystem);
  return parts.join('^');
}

function row(fields: (string | undefined)[]): string {
  return fields
    .map((f) => f ?? '')
    .join('|')
    .replace(/\|+$/, '');
}

function resultStatusOf(findings: readonly OutboundFinding[]): 'P' | 'F' | 'C' {
  if (findings.some((f) => f.status === 'P')) return 'P';
  return findings.some((f) => f.status === 'C' || f.status === 'D') ? 'C' : 'F';
}

/**
 * An MSH-10 that stays the same for every attempt to send one message and is new for a new message (MSH-10
 * identifies the message, HL7 v2.5.1 2.14.9.10, so a receiver recognises a resend by it): a hash of
 * `scope` (the sending job) and `content` (the message input without its timestamps, and the versions it was built
 * from, so findings that change and change back still make a new message). 20 characters, the v2.5.1 MSH-10 length.
 */
export function stableControlId(scope: string, content: unknown): string {
  const hash = createHash('sha256').update(scope).update('\n').update(JSON.stringify(content)).digest('hex');
  return `O${hash.slice(0, 19).toUpperCase()}`;
}

/** Builds the ORU^R01 (v2.5.1) text with `\r` segment terminators. */
export function buildOruR01(input: FindingsMessageInput): string {
  if (!input.accession) throw new Error('buildOruR01: accession is required');
  if (!/^[0-9]+(\.[0-9]+)*$/.test(input.studyInstanceUid)) throw new Error('buildOruR01: bad study instance UID');
  const now = hl7Timestamp(input.now);
  const status = input.resultStatus ?? resultStatusOf(input.findings);
  const proc = input.procedure ?? { code: '24627-2', display: 'CT Chest', system: 'LN' };
  const segs: string[] = [
    row([
      'MSH',
      '^~\\&',
      input.sendingApplication ?? 'CT-FHIR',
      input.sendingFacility ?? '',
      input.receivingApplication ?? '',
      input.receivingFacility ?? '',
      now,
      '',
      'ORU^R01^ORU_R01',
      input.controlId ?? newControlId(),
      'P',
      '2.5.1',
    ]),
    row([
      'PID',
      '1',
      '',
      [e(input.patient.id), '', '', e(input.patient.assigningAuthority ?? ''), 'MR'].join('^').replace(/\^+$/, ''),
      '',
      [e(input.patient.family ?? ''), e(input.patient.given ?? '')].join('^').replace(/\^+$/, ''),
    ]),
    row([
      'OBR',
      '1',
      e(input.placerOrderNumber ?? ''),
      e(input.fillerOrderNumber ?? input.accession),
      cwe(proc, proc.system ?? 'LN'),
      '',
      '',
      now,
      ...Array<string>(10).fill(''),
      e(input.accession),
      '',
      '',
      '',
      now,
      '',
      'CT',
      status,
    ]),
    `ZDS|${input.studyInstanceUid}^CT-FHIR^Application^DICOM`,
  ];
  let setId = 0;
  input.findings.forEach((f, i) => {
    const sub = String(i + 1);
    const obx = Array<string>(21).fill('');
    obx[0] = 'OBX';
    obx[1] = String(++setId);
    obx[2] = 'CWE';
    obx[3] = cwe(f.code, CT_ABNORMALITY_CWE_SYSTEM, f.snomed);
    obx[4] = sub;
    obx[5] = f.present ? PRESENT : ABSENT;
    obx[8] = f.present ? 'A' : 'N';
    obx[11] = f.status;
    obx[14] = now;
    if (f.bodySite) obx[20] = cwe(f.bodySite, 'SCT');
    segs.push(row(obx));
    if (f.probability !== undefined) {
      if (!(f.probability >= 0 && f.probability <= 1)) throw new Error('buildOruR01: probability must be in 0..1');
      segs.push(
        row([
          'OBX',
          String(++setId),
          'NM',
          'PROB^AI model probability^99CTA',
          sub,
          String(Number(f.probability.toFixed(4))),
          '1^^UCUM',
          '',
          '',
          '',
          '',
          f.status,
        ]),
      );
    }
  });
  return segs.join('\r');
}
