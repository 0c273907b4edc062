// Discrepancies between AI findings and report-derived findings of one study: a DetectedIssue for each abnormality
// the model calls positive that the report denies or omits, and each the report affirms that the model calls
// negative, implicating both Observations and the study. Kept current: a discrepancy that no longer holds (report
// amended or withdrawn, model re-run) is cancelled; one a reviewer has acted on keeps the reviewer's status and
// mitigation. DetectedIssue: http://hl7.org/fhir/R4/detectedissue.html
import type { BundleEntry, DetectedIssue, Observation, Reference } from 'fhir/r4.js';
import { replace, stableUrn, upsertByIdentifier } from './bundle-entries.js';
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

/** What a reviewer reads: a report that denies the finding is not one that leaves it out. */
function detail(d: Discrepancy, name: string): string {
  if (d.kind === 'report-positive-ai-negative') return `The report describes ${name} but the model does not flag it.`;
  return d.report
    ? `The model flags ${name} but the report states it is absent.`
    : `The model flags ${name} but the report does not mention it.`;
}

/**
 * DetectedIssue statuses the comparison sets itself; any other is a reviewer's and is kept while the same discrepancy
 * holds, `entered-in-error` (dismissed as a false alarm) included.
 */
const OWN_STATUSES = new Set<DetectedIssue['status']>(['preliminary', 'cancelled']);

export interface DiscrepancyInput {
  studyId: string;
  patient: Reference | undefined;
  /** What the comparison finds now ([] when either side has no findings). */
  discrepancies: readonly Discrepancy[];
  /** The study's DetectedIssues written by earlier comparisons. */
  existing: readonly DetectedIssue[];
  codes: FindingCodes;
  display: (code: string) => string;
  now: string;
}

/**
 * The entries that bring a study's DetectedIssues in line with its discrepancies: one per discrepancy, identified by
 * study and abnormality so a re-run updates it (unchanged when nothing changed), and `cancelled` for earlier ones
 * that no longer hold.
 */
export function discrepancyEntries(input: DiscrepancyInput): BundleEntry[] {
  const { studyId, codes } = input;
  const system = codes.identifierSystem('detected-issue');
  const keyOf = (i: DetectedIssue): string | undefined => i.identifier?.find((x) => x.system === system)?.value;
  const existing = new Map(input.existing.map((i) => [keyOf(i), i]));
  const wanted = new Set<string>();
  const entries = input.discrepancies.map((d) => {
    const key = `discrepancy/${studyId}/${d.abnormality}`;
    wanted.add(key);
    const before = existing.get(key);
    // New for review: none before, one the comparison had cancelled, or the sides flipped (another discrepancy).
    const sameKind = before?.code?.coding?.some((c) => c.system === codes.methodSystem && c.code === d.kind);
    const reopened = !before || before.status === 'cancelled' || !sameKind;
    const issue: DetectedIssue = {
      resourceType: 'DetectedIssue',
      identifier: [{ system, value: key }],
      status: !reopened && !OWN_STATUSES.has(before.status) ? before.status : 'preliminary',
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
      patient: input.patient,
      identifiedDateTime: reopened ? input.now : before.identifiedDateTime,
      implicated: [d.ai, ...(d.report ? [d.report] : []), { reference: `ImagingStudy/${studyId}` }],
      detail: detail(d, input.display(d.abnormality)),
    };
    if (!reopened && before.author) issue.author = before.author;
    if (!reopened && before.mitigation) issue.mitigation = before.mitigation;
    if (!issue.patient) delete issue.patient;
    if (!issue.identifiedDateTime) delete issue.identifiedDateTime;
    return upsertByIdentifier(issue, stableUrn(key));
  });
  const resolved = input.existing
    .filter((i) => !wanted.has(keyOf(i) ?? '') && i.status !== 'cancelled' && i.status !== 'entered-in-error')
    .map((i) => replace({ ...i, status: 'cancelled' } as DetectedIssue));
  return [...entries, ...resolved];
}

/**
 * Live findings (AI or report-derived) as compared findings: abnormality from the own coding, positive from the
 * interpretation (POS, or IND: an uncertain report finding counts as present).
 */
export function comparedFindings(observations: readonly Observation[], abnormalitySystem: string): ComparedFinding[] {
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
