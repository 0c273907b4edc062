// Report-derived findings -> FHIR: one Observation per (abnormality, location), a Provenance, and entered-in-error
// for findings an amended report no longer contains. Pure: returns a transaction Bundle for the repository.
// Shapes: US Core Observation clinical result (category imaging) and the DICOM SR-to-FHIR imaging observation.
import type { Bundle, BundleEntry, DiagnosticReport, Extension, Observation, Provenance, Reference } from 'fhir/r4.js';
import { CANONICAL_BASE } from '../terminology/systems.js';
import type { AlgorithmInfo } from './authorship.js';
import { authorshipEntries } from './authorship.js';
import { replace, stableId, stableUrn, upsertByIdentifier } from './bundle-entries.js';
import {
  INTERPRETATION_SYSTEM,
  OBSERVATION_CATEGORY,
  REPORT_METHOD,
  type FindingCodes,
  type Polarity,
  type ReportFindingInput,
} from './types.js';

/** Own extension, under the project's canonical base like every other own URL (terminology/README). */
export const EVIDENCE_EXTENSION = `${CANONICAL_BASE}/StructureDefinition/finding-evidence`;
const STRENGTH: Record<Polarity, number> = { present: 3, uncertain: 2, absent: 1 };
const INTERPRETATION: Record<Polarity, { code: string; display: string }> = {
  present: { code: 'POS', display: 'Positive' },
  absent: { code: 'NEG', display: 'Negative' },
  uncertain: { code: 'IND', display: 'Indeterminate' },
};

/** Observation.status for a report status (http://hl7.org/fhir/R4/valueset-observation-status.html). */
export function observationStatus(reportStatus: DiagnosticReport['status']): Observation['status'] {
  switch (reportStatus) {
    case 'registered':
    case 'partial':
    case 'preliminary':
      return 'preliminary';
    case 'amended':
    case 'appended':
      return 'amended';
    case 'corrected':
      return 'corrected';
    case 'unknown':
      return 'unknown'; // a report of unknown status does not make its findings final
    default:
      return 'final';
  }
}

/** One finding per (abnormality, location), keeping the strongest polarity (present > uncertain > absent). */
export function mergeFindings(findings: readonly ReportFindingInput[]): ReportFindingInput[] {
  const byKey = new Map<string, ReportFindingInput>();
  for (const f of findings) {
    if (f.abnormality === 'other_disease') continue; // a location with no abnormality is not a finding
    const key = `${f.abnormality}/${f.location}`;
    const seen = byKey.get(key);
    if (!seen || STRENGTH[f.polarity] > STRENGTH[seen.polarity]) byKey.set(key, f);
  }
  return [...byKey.values()];
}

function evidenceExtension(f: ReportFindingInput): Extension {
  return {
    url: EVIDENCE_EXTENSION,
    extension: [
      { url: 'section', valueString: f.evidence.section },
      { url: 'sentence', valueString: f.evidence.sentence },
      { url: 'start', valueInteger: f.evidence.start },
      { url: 'end', valueInteger: f.evidence.end },
    ],
  };
}

/** The stable identifier value of a report-derived finding. */
export function reportFindingKey(reportId: string, f: { abnormality: string; location: string }): string {
  return `report/${reportId}/${f.abnormality}/${f.location}`;
}

function observation(
  report: DiagnosticReport,
  f: ReportFindingInput,
  codes: FindingCodes,
  device: Reference,
): Observation {
  const obs: Observation = {
    resourceType: 'Observation',
    identifier: [{ system: codes.identifierSystem('finding'), value: reportFindingKey(report.id!, f) }],
    basedOn: report.basedOn?.filter((r) => r.reference?.startsWith('ServiceRequest/')),
    partOf: report.imagingStudy?.slice(0, 1),
    status: observationStatus(report.status),
    category: [{ coding: [OBSERVATION_CATEGORY] }],
    code: codes.abnormality(f.abnormality),
    subject: report.subject,
    encounter: report.encounter,
    effectiveDateTime: report.effectiveDateTime,
    effectivePeriod: report.effectivePeriod,
    issued: report.issued,
    valueCodeableConcept: codes.presence(f.polarity),
    interpretation: [{ coding: [{ system: INTERPRETATION_SYSTEM, ...INTERPRETATION[f.polarity] }] }],
    note: [
      { text: `${f.evidence.section}: "${f.evidence.sentence}" (characters ${f.evidence.start}-${f.evidence.end})` },
    ],
    bodySite: codes.location(f.location),
    method: {
      coding: [{ system: codes.methodSystem, code: REPORT_METHOD, display: 'Report label extraction' }],
    },
    device,
    derivedFrom: [{ reference: `DiagnosticReport/${report.id}` }],
    extension: [evidenceExtension(f)],
  };
  for (const key of Object.keys(obs) as (keyof Observation)[]) {
    const v = obs[key];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) delete obs[key];
  }
  return obs;
}

export interface ReportFindingsInput {
  report: DiagnosticReport;
  findings: readonly ReportFindingInput[];
  /** Observations already derived from this report by the extractor (to supersede what is gone). */
  existing: readonly Observation[];
  codes: FindingCodes;
  organizationName: string;
  algorithm: AlgorithmInfo;
}

/** The transaction Bundle that writes a report's findings idempotently (re-running changes nothing). */
export function reportFindingsBundle(input: ReportFindingsInput): Bundle {
  const { report, codes } = input;
  if (!report.id) throw new Error('DiagnosticReport must have an id');
  const { entries, refs } = authorshipEntries(codes, input.organizationName, input.algorithm);
  const findings = mergeFindings(input.findings);
  const written = new Set<string>();
  const obsEntries: BundleEntry[] = findings.map((f) => {
    const obs = observation(report, f, codes, refs.device);
    const key = obs.identifier![0]!.value!;
    written.add(key);
    return upsertByIdentifier(obs, stableUrn(`finding/${key}`));
  });
  const superseded = input.existing
    .filter((o) => o.status !== 'entered-in-error')
    .filter(
      (o) => !o.identifier?.some((i) => i.system === codes.identifierSystem('finding') && written.has(i.value ?? '')),
    )
    .map((o) => replace({ ...o, status: 'entered-in-error' } as Observation));
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [...entries, ...obsEntries, ...superseded],
  };
  if (obsEntries.length > 0) {
    const version = report.meta?.versionId ?? '1';
    // R4 Provenance has no identifier: a deterministic id makes the re-run an unchanged update.
    const provenance: Provenance = {
      resourceType: 'Provenance',
      id: stableId(`provenance/report/${report.id}/${version}/${input.algorithm.version}`),
      target: obsEntries.map((e) => ({ reference: e.fullUrl! })),
      recorded: report.meta?.lastUpdated ?? report.issued ?? new Date(0).toISOString(),
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }] },
      agent: [
        {
          type: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'assembler' },
            ],
          },
          who: refs.device,
          onBehalfOf: refs.organization,
        },
      ],
      entity: [{ role: 'source', what: { reference: `DiagnosticReport/${report.id}/_history/${version}` } }],
    };
    bundle.entry!.push(replace(provenance));
  }
  return bundle;
}

/** Entries marking every finding of a deleted report entered-in-error. */
export function retractFindingsBundle(existing: readonly Observation[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: existing
      .filter((o) => o.status !== 'entered-in-error')
      .map((o) => replace({ ...o, status: 'entered-in-error' } as Observation)),
  };
}
