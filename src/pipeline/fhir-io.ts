// What every pipeline job does with the FHIR layer: read its focus id from the payload, search (Observations mostly), and
// write a findings Bundle as one transaction, where a rejection by the server fails the job for good.
import type { Bundle, Observation, Resource } from 'fhir/r4.js';
import type { FhirContext } from '../fhir/context.js';
import { transaction } from '../fhir/interactions/bundle.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import type {
  CreateOptions,
  HistoryPage,
  HistoryRequest,
  Repository,
  StoredJson,
  UpdateResult,
  WriteOptions,
} from '../fhir/repository.js';
import { dispatch } from '../fhir/router.js';
import type { SearchRequest, SearchResult } from '../fhir/search/types.js';
import { parseSearchRequest } from '../fhir/search/parse.js';
import type { Job, JobContext } from '../jobs/types.js';
import { LeaseLostError, PermanentJobError } from '../jobs/types.js';
import { transactionManager } from '../store/sql-repository.js';
import type { FocusPayload } from './job-types.js';

/** Runs inside a write transaction before its writes, on the transaction's repository; throwing rolls it back. */
export type WriteGuard = (tx: Repository) => Promise<void>;

/** A repository whose every write transaction first passes `guard` (reads go straight through). */
class GuardedRepository implements Repository {
  constructor(
    private readonly inner: Repository,
    private readonly guard: WriteGuard,
  ) {}

  create<T extends Resource>(resource: T, options?: CreateOptions): Promise<T> {
    return this.transaction((tx) => tx.create(resource, options));
  }
  read<T extends Resource>(resourceType: string, id: string): Promise<T> {
    return this.inner.read<T>(resourceType, id);
  }
  readJson(resourceType: string, id: string): Promise<StoredJson> {
    return this.inner.readJson(resourceType, id);
  }
  vread<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<T> {
    return this.inner.vread<T>(resourceType, id, versionId);
  }
  update<T extends Resource>(resource: T, options?: WriteOptions): Promise<UpdateResult<T>> {
    return this.transaction((tx) => tx.update(resource, options));
  }
  delete(resourceType: string, id: string, options?: WriteOptions): Promise<void> {
    return this.transaction((tx) => tx.delete(resourceType, id, options));
  }
  history(request: HistoryRequest): Promise<HistoryPage> {
    return this.inner.history(request);
  }
  search<T extends Resource>(request: SearchRequest): Promise<SearchResult<T>> {
    return this.inner.search<T>(request);
  }
  lock(keys: string[]): Promise<void> {
    return this.inner.lock(keys);
  }
  transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    return this.inner.transaction(async (tx) => {
      await this.guard(tx);
      return fn(tx);
    });
  }
}

/** `ctx` whose write transactions first pass `guard`. */
export function guarded(ctx: FhirContext, guard: WriteGuard): FhirContext {
  return { ...ctx, repo: new GuardedRepository(ctx.repo, guard) };
}

/**
 * `deps` for one run of a job: its writes pass the run's fence (JobContext.fence), so a run that lost its lease while
 * it read and computed (stalled, released at stop) has them refused instead of committing them over what the job's
 * next run wrote, e.g. the findings of a report's earlier version over its correction's.
 */
export function forRun<D extends { ctx: FhirContext }>(deps: D, run: JobContext): D {
  return {
    ...deps,
    ctx: guarded(deps.ctx, async (tx) => {
      const manager = transactionManager(tx);
      if (manager && run.fence) await run.fence(manager);
      else if (run.signal.aborted) throw new LeaseLostError('the run was aborted; write refused');
    }),
  };
}

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
 * Runs a findings transaction, `guard` first inside it when given; what the server rejects (4xx) it would reject
 * again, so retrying cannot help, except a version conflict (409, 412): someone changed what the job read, and a retry
 * reads it again.
 */
export async function writeFindings(
  ctx: FhirContext,
  bundle: Bundle,
  what: string,
  guard?: WriteGuard,
): Promise<Bundle> {
  try {
    return await transaction(guard ? guarded(ctx, guard) : ctx, bundle, dispatch);
  } catch (err) {
    const conflict = err instanceof OperationOutcomeError && (err.status === 409 || err.status === 412);
    if (err instanceof OperationOutcomeError && err.status < 500 && !conflict) {
      throw new PermanentJobError(`${what} rejected: ${err.outcome.issue.map((i) => i.diagnostics).join('; ')}`);
    }
    throw err;
  }
}
