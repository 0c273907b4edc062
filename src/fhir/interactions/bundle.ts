// batch and transaction Bundles (http://hl7.org/fhir/R4/http.html#transaction). A transaction runs in one database
// transaction: urn:uuid fullUrls get ids before any write so entries can reference each other in any order,
// conditional references (Type?query) resolve to exactly one match, entries run DELETE, POST, PUT/PATCH, GET, and the
// response lists results in request order. A batch runs entries independently; a failed entry carries its outcome.
import type { Bundle, BundleEntry, BundleEntryResponse, Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import { badRequest, OperationOutcomeError, preconditionFailed, toOutcomeError } from '../outcomes.js';
import type { Repository } from '../repository.js';
import type { FhirMethod, FhirRequest, FhirResponse } from '../request.js';
import { assertValid } from '../validation.js';
import { updateInteraction } from './crud.js';
import { conditionKey, findMatches } from './matches.js';
import { versionedUrl, writeResponse } from './respond.js';
import { newResourceId } from '../../store/resource-id.js';

/** Routes one request (the router's entry point), passed in to avoid an import cycle. */
export type Dispatch = (ctx: FhirContext, req: FhirRequest) => Promise<FhirResponse>;

/** What a caller inside the server (the HL7 executor) may add to a transaction; REST clients get plain FHIR. */
export interface TransactionOptions {
  /**
   * A conditional update that matched: the resource to write instead of the entry's, given the entry's and the
   * current version as the transaction read it (so nothing is read twice and the condition's lock covers both).
   */
  beforeUpdate?: (index: number, incoming: Resource, current: Resource) => Resource;
}

const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified' };

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']);

/** The entries of a batch or transaction; 400 unless Bundle.entry is an array (or absent). */
function entriesOf(bundle: Bundle): BundleEntry[] {
  const entries: unknown = bundle.entry ?? [];
  if (!Array.isArray(entries)) throw badRequest('Bundle.entry must be an array', 'Bundle.entry');
  return entries as BundleEntry[];
}

/** The request an entry makes; 400 naming the entry when it is not an object or its request is incomplete. */
function entryRequest(entry: BundleEntry, index: number): FhirRequest {
  const at = `Bundle.entry[${index}]`;
  // Bundles arrive as parsed JSON: an entry may be null or anything else, whatever the types say.
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw badRequest(`Bundle entry ${index} is not an object`, at);
  }
  const r = (entry.request ?? {}) as Record<string, unknown>;
  const { method, url: rawUrl } = r;
  if (typeof method !== 'string' || typeof rawUrl !== 'string' || rawUrl === '') {
    throw badRequest(`Bundle entry ${index} has no request method or url`, `${at}.request`);
  }
  if (!METHODS.has(method)) {
    throw badRequest(
      `Bundle entry ${index}: request.method must be one of ${[...METHODS].join(', ')}`,
      `${at}.request.method`,
    );
  }
  /** An optional conditional header: a string or absent. */
  const header = (name: string): string | undefined => {
    const v = r[name];
    if (v === undefined || typeof v === 'string') return v;
    throw badRequest(`Bundle entry ${index}: request.${name} must be a string`, `${at}.request.${name}`);
  };
  const url = rawUrl.replace(/^\//, '');
  const q = url.indexOf('?');
  return {
    method: method as FhirMethod,
    path: q < 0 ? url : url.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    body: entry.resource,
    ifMatch: header('ifMatch'),
    ifNoneExist: header('ifNoneExist'),
    ifNoneMatch: header('ifNoneMatch'),
    ifModifiedSince: header('ifModifiedSince'),
  };
}

function responseEntry(res: FhirResponse): BundleEntry {
  const response: BundleEntryResponse = {
    status: `${res.status} ${STATUS_TEXT[res.status] ?? ''}`.trim(),
    location: res.location,
    etag: res.etag,
    lastModified: res.body?.meta?.lastUpdated,
  };
  const entry: BundleEntry = { response };
  if (res.body) entry.resource = res.body;
  return entry;
}

/** Rewrites every Reference.reference string in a resource tree. */
function rewriteReferences(value: unknown, map: (ref: string) => string): void {
  if (Array.isArray(value)) {
    for (const v of value) rewriteReferences(v, map);
  } else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const [key, v] of Object.entries(obj)) {
      if (key === 'reference' && typeof v === 'string') obj[key] = map(v);
      else rewriteReferences(v, map);
    }
  }
}

interface Planned {
  index: number;
  req: FhirRequest;
  /** For POST: the id to create with, or the existing resource an If-None-Exist matched. */
  newId?: string;
  existing?: Resource;
  /** For a conditional PUT that matched: the match as read now, so the update need not read it again. */
  matched?: Resource;
  /** For a conditional PUT that matched nothing: the id generated for it, so the update need not read either. */
  generatedId?: string;
}

/** The condition of a conditional create (POST with If-None-Exist) or conditional update (PUT Type?query). */
interface Condition {
  type: string;
  query: URLSearchParams;
  kind: 'create' | 'update';
}

function conditionOf(req: FhirRequest): Condition | undefined {
  const type = req.path.split('/')[0]!;
  const typeLevel = !req.path.includes('/') && !req.path.startsWith('$');
  if (!typeLevel) return undefined;
  if (req.method === 'POST' && req.ifNoneExist) {
    return { type, query: new URLSearchParams(req.ifNoneExist), kind: 'create' };
  }
  if (req.method === 'PUT' && [...req.query.keys()].length > 0) return { type, query: req.query, kind: 'update' };
  return undefined;
}

/** Decides ids before any write: POST gets a new id or its If-None-Exist match, conditional PUT its match. */
async function planEntry(
  ctx: FhirContext,
  repo: Repository,
  req: FhirRequest,
  condition: Condition | undefined,
  entry: BundleEntry,
  index: number,
  refs: Map<string, string>,
): Promise<Planned> {
  const p: Planned = { index, req };
  const type = req.path.split('/')[0]!;
  const typeLevel = !req.path.includes('/') && !req.path.startsWith('$');
  if (req.method === 'POST' && typeLevel) {
    const matches = condition ? await findMatches(ctx, repo, type, condition.query) : [];
    if (matches.length > 1)
      throw preconditionFailed(`Bundle entry ${index}: If-None-Exist matched ${matches.length} resources`);
    p.existing = matches[0];
    p.newId = p.existing?.id ?? newResourceId();
    if (entry.fullUrl) refs.set(entry.fullUrl, `${type}/${p.newId}`);
  } else if (condition?.kind === 'update') {
    // Conditional update: resolve the match now so other entries can reference it; no match creates with a new id.
    const matches = await findMatches(ctx, repo, type, condition.query);
    if (matches.length > 1)
      throw preconditionFailed(`Bundle entry ${index}: conditional update matched ${matches.length} resources`);
    p.matched = matches[0];
    if (!p.matched) p.generatedId = newResourceId();
    const id = p.matched?.id ?? p.generatedId!;
    req.path = `${type}/${id}`;
    req.query = new URLSearchParams();
    if (req.body && typeof req.body === 'object') req.body = { ...(req.body as Resource), id };
    if (entry.fullUrl) refs.set(entry.fullUrl, `${type}/${id}`);
  } else if (req.method === 'PUT' && entry.fullUrl) {
    const id = req.path.split('/')[1];
    if (id) refs.set(entry.fullUrl, `${type}/${id}`);
  }
  return p;
}

/** Rewrites urn:uuid references to the planned ids and conditional references (Type?query) to their one match. */
async function resolveReferences(
  ctx: FhirContext,
  repo: Repository,
  p: Planned,
  refs: Map<string, string>,
  conditional: Map<string, string>,
): Promise<void> {
  if (p.req.body === undefined) return;
  p.req.body = structuredClone(p.req.body);
  const pending: string[] = [];
  rewriteReferences(p.req.body, (ref) => {
    const mapped = refs.get(ref);
    if (mapped) return mapped;
    if (ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:')) {
      throw badRequest(
        `Bundle entry ${p.index}: reference ${ref} matches no entry fullUrl`,
        `Bundle.entry[${p.index}]`,
      );
    }
    if (/^[A-Z][A-Za-z]+\?/.test(ref)) pending.push(ref);
    return ref;
  });
  for (const ref of pending) {
    if (conditional.has(ref)) continue;
    const q = ref.indexOf('?');
    const matches = await findMatches(ctx, repo, ref.slice(0, q), new URLSearchParams(ref.slice(q + 1)));
    if (matches.length !== 1) {
      throw preconditionFailed(
        `Bundle entry ${p.index}: conditional reference ${ref} matched ${matches.length} resources`,
      );
    }
    conditional.set(ref, `${ref.slice(0, q)}/${matches[0]!.id}`);
  }
  if (pending.length > 0) rewriteReferences(p.req.body, (ref) => conditional.get(ref) ?? ref);
}

async function planTransaction(ctx: FhirContext, repo: Repository, entries: BundleEntry[]): Promise<Planned[]> {
  const requests = entries.map(entryRequest);
  // Every condition is locked before the first is matched: all at once, so two transactions cannot deadlock.
  const conditions = requests.map(conditionOf);
  const keys = conditions.filter((c) => c !== undefined).map((c) => conditionKey(ctx, c.type, c.query));
  await repo.lock(keys);
  const refs = new Map<string, string>();
  const planned: Planned[] = [];
  for (const [index, entry] of entries.entries()) {
    planned.push(await planEntry(ctx, repo, requests[index]!, conditions[index], entry, index, refs));
  }
  await assertNoOverlap(ctx, repo, planned);
  const conditional = new Map<string, string>();
  for (const p of planned) await resolveReferences(ctx, repo, p, refs, conditional);
  return planned;
}

/**
 * The resource an entry writes (creates, updates, patches or deletes) once planned, conditional ones resolved;
 * undefined for reads, operations and a conditional delete that matches nothing.
 */
async function writtenIdentity(ctx: FhirContext, repo: Repository, p: Planned): Promise<string | undefined> {
  const [type, id] = p.req.path.split('/');
  if (!type || type.startsWith('$') || id?.startsWith('$')) return undefined;
  switch (p.req.method) {
    case 'POST':
      return p.newId ? `${type}/${p.existing?.id ?? p.newId}` : undefined;
    case 'PUT':
    case 'PATCH':
      return id ? `${type}/${id}` : undefined;
    case 'DELETE': {
      if (id) return `${type}/${id}`;
      const matches = await findMatches(ctx, repo, type, p.req.query);
      return matches.length === 1 ? `${type}/${matches[0]!.id}` : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * http.html#trules: when the resources entries write overlap (resolved conditional identities included), the
 * transaction fails. Matched against the store as it was, a DELETE and an If-None-Exist for one resource would
 * otherwise return the deleted resource as created, and two writes of one resource would collide.
 */
async function assertNoOverlap(ctx: FhirContext, repo: Repository, planned: Planned[]): Promise<void> {
  const writers = new Map<string, number>();
  for (const p of planned) {
    const identity = await writtenIdentity(ctx, repo, p);
    if (!identity) continue;
    const other = writers.get(identity);
    if (other !== undefined) {
      throw badRequest(
        `Bundle entries ${other} and ${p.index} both write ${identity}: a transaction's entries may not overlap`,
        `Bundle.entry[${p.index}]`,
      );
    }
    writers.set(identity, p.index);
  }
}

async function runPlanned(
  ctx: FhirContext,
  repo: Repository,
  p: Planned,
  dispatch: Dispatch,
  options: TransactionOptions,
): Promise<FhirResponse> {
  const txCtx: FhirContext = { ...ctx, repo };
  if (p.existing) return writeResponse(txCtx, p.req, 200, p.existing);
  if (p.newId) {
    if (typeof p.req.body !== 'object' || p.req.body === null) {
      throw badRequest(`Bundle entry ${p.index}: a POST needs a resource`, `Bundle.entry[${p.index}].resource`);
    }
    const { id: _clientId, ...resource } = p.req.body as Resource;
    const type = p.req.path;
    if ((resource as Resource).resourceType !== type) {
      throw badRequest(
        `Bundle entry ${p.index}: resourceType does not match ${type}`,
        `Bundle.entry[${p.index}].resource`,
      );
    }
    if (ctx.validate) assertValid(resource as Resource);
    const created = await repo.create(resource as Resource, { id: p.newId });
    return { ...writeResponse(txCtx, p.req, 201, created), location: versionedUrl(txCtx, created) };
  }
  if (p.matched) {
    if (options.beforeUpdate && p.req.body && typeof p.req.body === 'object') {
      p.req.body = options.beforeUpdate(p.index, p.req.body as Resource, p.matched);
    }
    return updateInteraction(txCtx, p.req, p.matched.resourceType, p.matched.id!, { current: p.matched });
  }
  if (p.generatedId) {
    return updateInteraction(txCtx, p.req, p.req.path.split('/')[0]!, p.generatedId, { absent: true });
  }
  return dispatch(txCtx, p.req);
}

/** Processes a transaction Bundle atomically; any failing entry rolls everything back and names the entry. */
export async function transaction(
  ctx: FhirContext,
  bundle: Bundle,
  dispatch: Dispatch,
  options: TransactionOptions = {},
): Promise<Bundle> {
  const entries = entriesOf(bundle);
  const responses = await ctx.repo.transaction(async (repo) => {
    const planned = await planTransaction(ctx, repo, entries);
    const out: FhirResponse[] = new Array(planned.length);
    const order = [...planned].sort(
      (a, b) => (ORDER[a.req.method] ?? 9) - (ORDER[b.req.method] ?? 9) || a.index - b.index,
    );
    for (const p of order) {
      try {
        out[p.index] = await runPlanned(ctx, repo, p, dispatch, options);
      } catch (err) {
        const e = toOutcomeError(err);
        for (const issue of e.outcome.issue) {
          issue.diagnostics = `Bundle entry ${p.index}: ${issue.diagnostics ?? ''}`.trim();
          issue.expression = issue.expression?.map((x) => `Bundle.entry[${p.index}].resource.${x}`);
        }
        throw new OperationOutcomeError(e.status, e.outcome, { cause: err });
      }
    }
    return out;
  });
  return { resourceType: 'Bundle', type: 'transaction-response', entry: responses.map(responseEntry) };
}

/**
 * Logs a batch entry's 5xx as the HTTP adapter logs a request's (src/http/fhir-endpoint.ts): the innermost cause's
 * name and code only, since driver messages quote the values that failed (patient data); the stack at debug; a 503
 * (database unavailable) as a warning.
 */
function logEntryFailure(ctx: FhirContext, index: number, status: number, err: unknown): void {
  const logger = ctx.logger;
  if (!logger || status < 500) return;
  let cause = err;
  for (let depth = 0; depth < 8 && cause instanceof Error && cause.cause !== undefined; depth++) cause = cause.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const fields = {
    entry: index,
    status,
    error: cause instanceof Error ? cause.name : typeof cause,
    code: typeof code === 'string' ? code : undefined,
  };
  if (status === 503) return logger.warn('batch entry failed: dependency unavailable', fields);
  logger.error('batch entry failed', fields);
  if (logger.enabled('debug'))
    logger.debug('batch entry failed: stack', {
      entry: index,
      stack: String(cause instanceof Error ? cause.stack : cause),
    });
}

/** Processes a batch Bundle: each entry on its own; failures become entries with an OperationOutcome. */
export async function batch(ctx: FhirContext, bundle: Bundle, dispatch: Dispatch): Promise<Bundle> {
  const out: BundleEntry[] = [];
  for (const [index, entry] of entriesOf(bundle).entries()) {
    try {
      out.push(responseEntry(await dispatch(ctx, entryRequest(entry, index))));
    } catch (err) {
      const e = toOutcomeError(err);
      // The response entry carries the outcome, but a server failure must reach the log as a top-level one does.
      logEntryFailure(ctx, index, e.status, err);
      out.push({ response: { status: String(e.status), outcome: e.outcome } });
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: out };
}
