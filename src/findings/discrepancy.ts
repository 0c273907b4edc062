// Discrepancies between AI findings and report-derived findings of one study: a DetectedIssue for each abnormality
// the model calls positive that the report denies or omits, and each the report affirms that the model calls
// negative, implicating both Observations. DetectedIssue: http://hl7.org/fhir/R4/detectedissue.html
import type { BundleEntry, DetectedIssue, Observation, Reference } from 'fhir/r4.js';
import { stableUrn, upsertByIdentifier } from './bundle-entries.js';
import type { FindingCodes } from './types.js';

export interface ComparedFinding {
  abnormality: string;
  /** AI: positive at threshold; report: polarity present (uncertain counts as present, SARLE's CT policy). */
  positive: boolean;
  /** Reference to the Observation (Observation/id). */
  observation: Reference;
}

export interface Discrepancy {
  abnormality: string;
  kind: 'ai-positive-report-negative' | 'report-positive-ai-negative';
  ai: Reference;
  report?: Reference;
}

/** Pairs AI and report findings by abnormality; only abnormalities the model predicts are compared. */
export function findDiscrepancies(ai: readonly ComparedFinding[], report: readonly ComparedFinding[]): Discrepancy[] {
  const out: Discrepancy[] = [];
  const aiBy = new Map<string, ComparedFinding[]>();
  for (const f of ai) aiBy.set(f.abnormality, [...(aiBy.get(f.abnormality) ?? []), f]);
  for (const [abnormality, aiFindings] of aiBy) {
    const reported = report.filter((r) => r.abnormality === abnormality);
    const aiPositive = aiFindings.find((f) => f.positive);
    const reportPositive = reported.find((r) => r.positive);
    if (aiPositive && !reportPositive) {
      out.push({
        abnormality,
        kind: 'ai-positive-report-negative',
        ai: aiPositive.observation,
        report: reported[0]?.observation,
      });
    } else if (!aiPositive && reportPositive) {
      out.push({
        abnormality,
        kind: 'report-positive-ai-negative',
        ai: aiFindings[0]!.observation,
        report: reportPositive.observation,
      });
    }
  }
  return out;
}

/** One DetectedIssue per discrepancy, identified by study and abnormality so re-runs update it. */
export function discrepancyEntries(
  studyId: string,
  patient: Reference | undefined,
  discrepancies: readonly Discrepancy[],
  codes: FindingCodes,
  display: (code: string) => string,
  now: string,
): BundleEntry[] {
  return discrepancies.map((d) => {
    const issue: DetectedIssue = {
      resourceType: 'DetectedIssue',
      identifier: [
        { system: codes.identifierSystem('detected-issue'), value: `discrepancy/${studyId}/${d.abnormality}` },
      ],
      status: 'preliminary',
      code: {
        coding: [
          {
            system: codes.methodSystem,
            code: d.kind,
            display:
              d.kind === 'ai-positive-report-negative'
                ? 'AI positive, report negative'
                : 'Report positive, AI negative',
          },
        ],
      },
      severity: 'moderate',
      patient,
      identifiedDateTime: now,
      implicated: [d.ai, ...(d.report ? [d.report] : [])],
      detail:
        d.kind === 'ai-positive-report-negative'
          ? `The model flags ${display(d.abnormality)} but the report does not describe it.`
          : `The report describes ${display(d.abnormality)} but the model does not flag it.`,
    };
    if (!issue.patient) delete issue.patient;
    return upsertByIdentifier(issue, stableUrn(`discrepancy/${studyId}/${d.abnormality}`));
  });
}

/** Report-derived Observations as compared findings (abnormality from the own coding, polarity from the value). */
export function reportCompared(observations: readonly Observation[], abnormalitySystem: string): ComparedFinding[] {
  return observations
    .filter((o) => o.status !== 'entered-in-error')
    .flatMap((o) => {
      const code = o.code.coding?.find((c) => c.system === abnormalitySystem)?.code;
      if (!code) return [];
      const interp = o.interpretation?.[0]?.coding?.[0]?.code;
      return [
        {
          abnormality: code,
          positive: interp === 'POS' || interp === 'IND',
          observation: { reference: `Observation/${o.id}` },
        },
      ];
    });
}
