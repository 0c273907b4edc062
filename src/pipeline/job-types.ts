// Job types the pipeline runs, with their payloads. `focus` ('Type/id') becomes Task.focus in the job's Task.
export const REPORT_EXTRACT = 'report.extract';
export const REPORT_RETRACT = 'report.retract';
export const IMAGING_CLASSIFY = 'imaging.classify';
/** Withdraws the AI outputs of a study that was withdrawn (entered-in-error, cancelled). */
export const IMAGING_RETRACT = 'imaging.retract';
/** Compares a study's AI and report-derived findings and keeps its discrepancy DetectedIssues current. */
export const FINDINGS_COMPARE = 'findings.compare';

export interface FocusPayload {
  /** 'DiagnosticReport/123' */
  focus: string;
  /** The version that triggered the job (the handler always works on the current version). */
  versionId?: string;
  /** hl7.oru-out of a report: the study ('ImagingStudy/123') its findings are withdrawn from, when not its own. */
  study?: string;
}
