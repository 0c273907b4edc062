// The repository: one method per FHIR interaction, independent of HTTP and of the database library.
// Methods throw OperationOutcomeError (fhir/outcomes.ts) instead of returning null.
// FHIR R4 RESTful API: http://hl7.org/fhir/R4/http.html
import type { Bundle, Resource } from 'fhir/r4.js';
import { OperationOutcomeError } from './outcomes.js';
import type { HistoryKey, SearchRequest, SearchResult } from './search/types.js';

export interface WriteOptions {
  /** If-Match: the versionId the client expects as current (412 on mismatch). */
  ifMatch?: string;
  /**
   * The current version as already read in this same transaction (a conditional update's match): the update is
   * guarded by its version instead of reading the row again, so a concurrent change in between is a 409.
   */
  current?: Resource;
  /**
   * The caller has established in this transaction that no current version exists (an id it generated itself, or a
   * search that found none): the update creates without reading the row first. Should a row be there after all (a
   * concurrent writer, a deleted version), the insert is a 409.
   */
  absent?: boolean;
  /**
   * Checks the resource before it is written (validation), once the current version is known: not called when the
   * update equals the current version, since nothing is written then. Throws to refuse the write.
   */
  check?: (resource: Resource) => void;
}

export interface CreateOptions {
  /** A server-generated id chosen before the write (transactions); never a client-supplied id. */
  id?: string;
}

export interface HistoryRequest {
  /** Omitted: system-level history. */
  resourceType?: string;
  /** Omitted: type-level history. */
  id?: string;
  /** `_since`, ms since epoch. */
  since?: number;
  /** `_at`: versions current at some point of [at, atEnd) (ms since epoch; atEnd defaults to at + 1, an instant). */
  at?: number;
  atEnd?: number;
  count: number;
  /** Paging by offset: what a client's `_offset` asks for. The server's own links page by position (below). */
  offset: number;
  /**
   * Paging by position (http.html#paging), so versions written between two page requests do not shift the pages:
   * `snapshot` is the newest version the first page saw (later pages and the total stop there), `after` the last
   * version of the page before (the next page), `before` the first of the page after (the previous page).
   */
  snapshot?: HistoryKey;
  after?: HistoryKey;
  before?: HistoryKey;
}

export interface HistoryEntry {
  /** The version's content; for a delete, only resourceType, id and meta. */
  resource: Resource;
  method: 'POST' | 'PUT' | 'DELETE';
  deleted: boolean;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  total: number;
  hasMore: boolean;
}

export interface UpdateResult<T extends Resource> {
  resource: T;
  /** True when the update created the resource (update-as-create). */
  created: boolean;
  /** True when the content was identical to the current version and no new version was written. */
  unchanged?: boolean;
}

/** Storage of FHIR resources with versioning, history and search. */
/** A resource's current version as JSON text, with the version facts its response headers need. */
export interface StoredJson {
  json: string;
  versionId: string;
  /** FHIR instant. */
  lastUpdated: string;
}

export interface Repository {
  /**
   * create: assigns a new id (or `options.id`, pre-assigned by a transaction that resolves urn:uuid references),
   * versionId 1 and lastUpdated; history records the version as a POST.
   */
  create<T extends Resource>(resource: T, options?: CreateOptions): Promise<T>;
  /** read: the current version; 404 unknown, 410 deleted. */
  read<T extends Resource>(resourceType: string, id: string): Promise<T>;
  /** read, as the JSON text to send (the stored text where the store keeps it as written): no parse, no stringify. */
  readJson(resourceType: string, id: string): Promise<StoredJson>;
  /** vread: one version; 404 unknown version, 410 when that version is a deletion. */
  vread<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<T>;
  /** update: a new version, or creation with the client's id (update-as-create). */
  update<T extends Resource>(resource: T, options?: WriteOptions): Promise<UpdateResult<T>>;
  /** delete: writes a deletion version; deleting an unknown or deleted resource is not an error. */
  delete(resourceType: string, id: string, options?: WriteOptions): Promise<void>;
  history(request: HistoryRequest): Promise<HistoryPage>;
  search<T extends Resource>(request: SearchRequest): Promise<SearchResult<T>>;
  /**
   * Inside a transaction: holds each key until the transaction ends, so transactions taking a common key run one
   * after the other, across processes too. Conditional create and update lock their condition before matching, so
   * two writers cannot both find no match and both create. Keys are taken in one fixed order (no deadlock between
   * two callers that each pass all their keys at once).
   */
  lock(keys: string[]): Promise<void>;
  /** Runs fn atomically: every write through the repository passed to fn commits together or not at all. */
  transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T>;
}

/** A change written by the repository, seen by write hooks inside the same database transaction (outbox). */
export interface ResourceChange {
  kind: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  versionId: string;
  /** The new content (absent for delete). */
  resource?: Resource;
  /** The previous current version, when there was one. */
  previous?: Resource;
}

export type { Bundle };

/** read, or undefined where the resource is unknown (404) or deleted (410); any other failure throws. */
export async function readIfPresent<T extends Resource>(
  repo: Repository,
  resourceType: string,
  id: string,
): Promise<T | undefined> {
  try {
    return await repo.read<T>(resourceType, id);
  } catch (err) {
    if (err instanceof OperationOutcomeError && (err.status === 404 || err.status === 410)) return undefined;
    throw err;
  }
}

/**
 * The current version (`deleted` false), or for a deleted resource the last version before its deletion, from
 * history (`deleted` true); undefined for an unknown resource. What a follow-up of a deletion needs to know of the
 * resource it followed.
 */
export async function lastLiveVersion<T extends Resource>(
  repo: Repository,
  resourceType: string,
  id: string,
): Promise<{ resource: T; deleted: boolean } | undefined> {
  const current = await readIfPresent<T>(repo, resourceType, id);
  if (current) return { resource: current, deleted: false };
  const history = await repo.history({ resourceType, id, count: 2, offset: 0 }).catch((err: unknown) => {
    if (err instanceof OperationOutcomeError && err.status === 404) return undefined;
    throw err;
  });
  const last = history?.entries.find((e) => !e.deleted)?.resource as T | undefined;
  return last && { resource: last, deleted: true };
}
