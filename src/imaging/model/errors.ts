// Model errors carry an HTTP status and an OperationOutcome (src/fhir/outcomes.ts), so a job, the CLI and the
// $classify operation all report the same clear message. `reason` is a stable machine-readable key.
import { OperationOutcomeError, outcome } from '../../fhir/outcomes.js';
import type { IssueCode } from '../../fhir/outcomes.js';

export type ModelErrorReason =
  | 'model-missing' // folder, model.json or model.onnx absent
  | 'manifest-invalid' // model.json fails validation
  | 'model-broken' // ONNX file cannot be loaded or disagrees with its manifest
  | 'input-shape' // tensor given to the model does not have the manifest's shape
  | 'input-invalid' // tensor contains NaN/Inf
  | 'non-finite-output' // the model produced NaN/Inf
  | 'untrained-weights'; // the manifest declares random or unshipped weights: timing only, never findings

const STATUS: Record<ModelErrorReason, [number, IssueCode]> = {
  'model-missing': [503, 'not-found'],
  'manifest-invalid': [503, 'invalid'],
  'model-broken': [503, 'exception'],
  'input-shape': [422, 'processing'],
  'input-invalid': [422, 'processing'],
  'non-finite-output': [500, 'exception'],
  'untrained-weights': [503, 'business-rule'],
};

/** An error of the model runtime (FHIR R4 OperationOutcome with a status; reason says which failure). */
export class ModelError extends OperationOutcomeError {
  readonly reason: ModelErrorReason;

  constructor(reason: ModelErrorReason, message: string, options?: { cause?: unknown }) {
    const [status, code] = STATUS[reason];
    super(status, outcome('error', code, message), options);
    this.name = 'ModelError';
    this.reason = reason;
  }
}
