// What every FHIR interaction receives besides the request: the repository and server settings.
import type { Logger } from '../log.js';
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
  /**
   * Where interactions log failures they answer instead of throwing (a batch entry's 5xx), which the HTTP adapter's
   * error log never sees: the request's logger, so the lines carry its request id. Unset, they are not logged.
   */
  logger?: Logger;
}
