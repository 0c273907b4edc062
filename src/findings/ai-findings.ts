// Classifier outputs -> FHIR: one preliminary Observation per model output (probability in valueQuantity, POS/NEG at
// the manifest threshold), a Provenance, and a preliminary DiagnosticReport summarising the positive findings.
// Shapes: DICOM SR-to-FHIR imaging observation (partOf/derivedFrom the ImagingStudy, device = the algorithm).
import type {
  Bundle,
  BundleEntry,
  DiagnosticReport,
  Identifier,
  ImagingStudy,
  Observation,
  Provenance,
  Reference,
} from 'fhir/r4.js';
import type { AlgorithmInfo } from './authorship.js';
import { authorshipEntries } from './authorship.js';
import { replace, stableId, stableUrn, upsertByIdentifier } from './bundle-entries.js';
import { summaryText } from './summary-text.js';
import {
  AI_METHOD,
  INTERPRETATION_SYSTEM,
  OBSERVATION_CATEGORY,
  type AiFindingInput,
  type FindingCodes,
} from './types.js';

/** The stable identifier value of an AI finding: one per study, model and output. */
export function aiFindingKey(
  studyId: string,
  model: string,
  f: { abnormality: string; location: string | null },
): string {
  return `ai/${studyId}/${model}/${f.abnormality}/${f.location ?? 'any'}`;
}

/** The identifier of a study's AI summary report for one model. */
export const aiReportIdentifier = (codes: FindingCodes, studyId: string, model: string): Identifier => ({
  system: codes.identifierSystem('finding'),
  value: `ai-report/${studyId}/${model}`,
});

/** The model an AI finding came from, read back from its identifier (aiFindingKey; model names have no '/'). */
export function aiFindingModel(obs: Observation, codes: Pick<FindingCodes, 'identifierSystem'>): string | undefined {
  const key = obs.identifier?.find((i) => i.system === codes.identifierSystem('finding'))?.value ?? '';
  return /^ai\/[^/]+\/([^/]+)\//.exec(key)?.[1];
}

/**
 * A study's AI findings of its latest run only: when a site changes models (a new model name), the findings of the
 * model that ran last (by Observation.issued), not those of every model that ever ran on the study. Findings whose
 * model cannot be read from their identifier (another AI writing the same shape) count as one model of their own.
 */
export function latestAiRun(
  findings: readonly Observation[],
  codes: Pick<FindingCodes, 'identifierSystem'>,
): Observation[] {
  const byModel = new Map<string, Observation[]>();
  for (const o of findings) {
    const model = aiFindingModel(o, codes) ?? '';
    byModel.set(model, [...(byModel.get(model) ?? []), o]);
  }
  const ranAt = (run: Observation[]): string =>
    run.reduce((at, o) => ((o.issued ?? '') > at ? (o.issued ?? '') : at), '');
  let latest: Observation[] = [];
  let latestAt: string | undefined;
  for (const run of byModel.values()) {
    const at = ranAt(run);
    if (latestAt === undefined || at > latestAt) [latest, latestAt] = [run, at];
  }
  return latest;
}

/**
 * The study's orders (ServiceRequest) for basedOn: ImagingStudy.basedOn may also name an Appointment or a Task, which
 * neither Observation.basedOn nor DiagnosticReport.basedOn may; undefined rather than an empty list.
 */
function studyOrders(study: ImagingStudy): Reference[] | undefined {
  const orders = study.basedOn?.filter((r) => r.reference?.startsWith('ServiceRequest/'));
  return orders?.length ? orders : undefined;
}

function observation(
  study: ImagingStudy,
  f: AiFindingInput,
  codes: FindingCodes,
  device: Reference,
  model: string,
  effective: string,
): Observation {
  const obs: Observation = {
    resourceType: 'Observation',
    identifier: [{ system: codes.identifierSystem('finding'), value: aiFindingKey(study.id!, model, f) }],
    basedOn: studyOrders(study),
    partOf: [{ reference: `ImagingStudy/${study.id}` }],
    status: 'preliminary',
    category: [{ coding: [OBSERVATION_CATEGORY] }],
    code: codes.abnormality(f.abnormality),
    subject: study.subject,
    encounter: study.encounter,
    effectiveDateTime: study.started ?? effective,
    issued: effective,
    valueQuantity: {
      value: Number(f.probability.toFixed(6)),
      unit: '1',
      system: 'http://unitsofmeasure.org',
      code: '1',
    },
    interpretation: [
      {
        coding: [
          {
            system: INTERPRETATION_SYSTEM,
            ...(f.positive ? { code: 'POS', display: 'Positive' } : { code: 'NEG', display: 'Negative' }),
          },
        ],
        text: `${f.positive ? 'positive' : 'negative'} at operating threshold ${f.threshold}`,
      },
    ],
    method: {
      coding: [{ system: codes.methodSystem, code: AI_METHOD, display: 'AI image classification' }],
    },
    device,
    derivedFrom: [{ reference: `ImagingStudy/${study.id}` }],
  };
  const site = f.location ? codes.location(f.location) : undefined;
  if (site) obs.bodySite = site;
  if (!obs.basedOn?.length) delete obs.basedOn;
  if (!obs.encounter) delete obs.encounter;
  return obs;
}

export interface AiFindingsInput {
  study: ImagingStudy;
  findings: readonly AiFindingInput[];
  codes: FindingCodes;
  organizationName: string;
  algorithm: AlgorithmInfo;
  /** When the inference ran (Observation.issued, Provenance.recorded). */
  now: string;
  /** Display names of abnormalities and locations for the summary text. */
  display: (code: string) => string;
}

/** The transaction Bundle that writes one study's AI findings, its Provenance and summary DiagnosticReport. */
export function aiFindingsBundle(input: AiFindingsInput): { bundle: Bundle; observationUrns: Map<string, string> } {
  const { study, codes, algorithm } = input;
  if (!study.id) throw new Error('ImagingStudy must have an id');
  const { entries, refs } = authorshipEntries(codes, input.organizationName, algorithm);
  const observationUrns = new Map<string, string>();
  const obsEntries: BundleEntry[] = input.findings.map((f) => {
    const obs = observation(study, f, codes, refs.device, algorithm.name, input.now);
    const key = obs.identifier![0]!.value!;
    const urn = stableUrn(`finding/${key}`);
    observationUrns.set(`${f.abnormality}/${f.location ?? ''}`, urn);
    return upsertByIdentifier(obs, urn);
  });
  const positives = input.findings.filter((f) => f.positive);
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    identifier: [aiReportIdentifier(codes, study.id!, algorithm.name)],
    basedOn: studyOrders(study),
    status: 'preliminary',
    category: [
      { coding: [{ system: 'http://loinc.org', code: 'LP29684-5', display: 'Radiology' }] },
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD', display: 'Radiology' }] },
    ],
    code: {
      // LOINC's own display for 24627-2 (long common name and short name alike).
      coding: [{ system: 'http://loinc.org', code: '24627-2', display: 'CT Chest' }],
      text: 'CT chest AI findings',
    },
    subject: study.subject,
    encounter: study.encounter,
    effectiveDateTime: study.started ?? input.now,
    issued: input.now,
    performer: [refs.organization],
    result: positives.map((f) => ({ reference: observationUrns.get(`${f.abnormality}/${f.location ?? ''}`)! })),
    imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
    conclusion: summaryText(input.findings, input.display, `${algorithm.displayName} ${algorithm.version}`),
  };
  if (!report.basedOn?.length) delete report.basedOn;
  if (!report.encounter) delete report.encounter;
  if (!report.result?.length) delete report.result;
  const reportUrn = stableUrn(`ai-report/${study.id}/${algorithm.name}`);
  const provenance: Provenance = {
    resourceType: 'Provenance',
    id: stableId(`provenance/ai/${study.id}/${algorithm.name}/${algorithm.version}`),
    target: [...obsEntries.map((e) => ({ reference: e.fullUrl! })), { reference: reportUrn }],
    recorded: input.now,
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }] },
    agent: [
      {
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }],
        },
        who: refs.device,
        onBehalfOf: refs.organization,
      },
    ],
    entity: [{ role: 'source', what: { reference: `ImagingStudy/${study.id}` } }],
  };
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [...entries, ...obsEntries, upsertByIdentifier(report, reportUrn), replace(provenance)],
    },
    observationUrns,
  };
}
