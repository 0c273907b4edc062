// What every FHIR interaction receives besides the request: the repository and server settings.
import type { Repository } from './repository.js';
import type { FhirRequest, FhirResponse } from './request.js';

/** A FHIR operation ($name) handler; `id` is set at instance level. */
export type OperationHandler = (
  req: FhirRequest,
  ctx: FhirContext,
  target: { resourceType?: string; id?: string },
) => Promise<FhirResponse>;

export interface OperationDef {
  name: string;
  /** Levels the operation may be invoked at. */
  system?: boolean;
  types?: string[];
  instance?: boolean;
  /** Canonical OperationDefinition URL for the CapabilityStatement. */
  definition: string;
  handler: OperationHandler;
}

export interface FhirContext {
  repo: Repository;
  /** Absolute base of the FHIR endpoint, no trailing slash. */
  baseUrl: string;
  defaultCount: number;
  maxCount: number;
  operations: OperationDef[];
  /** Validate every create/update against the R4 definitions. */
  validate: boolean;
}
