// What every pipeline job does with the FHIR layer: read its focus id from the payload, search (Observations mostly), and
// write a findings Bundle as one transaction, where a rejection by the server fails the job for good.
import type { Bundle, Observation, Resource } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { transaction } from '../fhir/interactions/bundle.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import { dispatch } from '../fhir/router.js';
import { parseSearchRequest } from '../fhir/search/parse.js';
import type { Job } from '../jobs/types.js';
import { PermanentJobError } from '../jobs/types.js';
import type { FocusPayload } from './job-types.js';

/** The id in `payload.focus` ('Type/id'); any other shape is a PermanentJobError. */
export function focusId(job: Job<FocusPayload>, resourceType: string): string {
  const focus = job.payload?.focus ?? '';
  const m = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(focus);
  if (!m || m[1] !== resourceType) {
    throw new PermanentJobError(
      `payload.focus must be ${resourceType}/<id>, got ${JSON.stringify(job.payload?.focus)}`,
    );
  }
  return m[2]!;
}

/** Resources of a type matching `query` (strict: an unknown parameter is a bug, not a wider search), up to 1,000. */
export async function searchAll<T extends Resource>(
  ctx: FhirContext,
  resourceType: T['resourceType'],
  query: Record<string, string>,
): Promise<T[]> {
  const request = parseSearchRequest(resourceType, new URLSearchParams(query), {
    strict: true,
    defaultCount: 1000,
    maxCount: 1000,
    baseUrl: ctx.baseUrl,
  });
  return (await ctx.repo.search<T>(request)).resources;
}

/** Observations matching `query` (see searchAll). */
export const searchObservations = (ctx: FhirContext, query: Record<string, string>): Promise<Observation[]> =>
  searchAll<Observation>(ctx, 'Observation', query);

/**
 * Runs a findings transaction; what the server rejects (4xx) it would reject again, so retrying cannot help, except a
 * version conflict (409, 412): someone changed what the job read, and a retry reads it again.
 */
export async function writeFindings(ctx: FhirContext, bundle: Bundle, what: string): Promise<Bundle> {
  try {
    return await transaction(ctx, bundle, dispatch);
  } catch (err) {
    const conflict = err instanceof OperationOutcomeError && (err.status === 409 || err.status === 412);
    if (err instanceof OperationOutcomeError && err.status < 500 && !conflict) {
      throw new PermanentJobError(`${what} rejected: ${err.outcome.issue.map((i) => i.diagnostics).join('; ')}`);
    }
    throw err;
  }
}
