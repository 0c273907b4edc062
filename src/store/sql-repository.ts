// The Repository (fhir/repository.ts) over typeorm on SQLite or PostgreSQL: current rows in `resource`, every
// version in `resource_history`, search index rows replaced in the same transaction as each write, and write hooks
// (the jobs outbox) called inside that transaction. FHIR R4 http.html (read, vread, update, delete, history).
import type { Resource } from 'fhir/r4.js';
import type { DataSource, EntityManager } from 'typeorm';
import type {
  CreateOptions,
  HistoryPage,
  HistoryRequest,
  Repository,
  ResourceChange,
  StoredJson,
  UpdateResult,
  WriteOptions,
} from '../fhir/repository.js';
import { badRequest, gone, notFound, preconditionFailed } from '../fhir/outcomes.js';
import type { IndexRows, SearchRequest, SearchResult } from '../fhir/search/types.js';
import { dialectOf, exclusive, readerOf, withTransaction } from './datasource.js';
import { mapDbError } from './db-errors.js';
import { readHistory } from './history-sql.js';
import { decodeContent, num, select, type Queryable } from './rows.js';
import { sameContent } from '../fhir/same-content.js';
import { runSearch } from './search-run.js';
import { writeVersions } from './write-plan.js';
import { type Dialect, sql } from './sql.js';
import { versionFromEtag } from '../fhir/request.js';
import { isValidId } from '../fhir/search/values.js';
import { newResourceId } from './resource-id.js';

/** Called inside the write's database transaction after each create/update/delete; throwing rolls it back. */
/**
 * What write hooks may remember for the rest of one database transaction (the outbox: dedupe keys it has already
 * enqueued). One per transaction a repository hands to a `transaction` callback (a SQLite group-commit unit gets its
 * own, so a unit rolled back to its savepoint takes its scope with it); a write that is its own transaction gets a
 * fresh one.
 */
export type TransactionScope = Map<string, unknown>;

export type WriteHook = (change: ResourceChange, manager: EntityManager, scope: TransactionScope) => Promise<void>;

export interface SqlRepositoryOptions {
  /** Extracts the search index rows of a resource (fhir/search/indexer.ts `indexResource`). */
  indexResource: (resource: Resource) => IndexRows;
  hooks?: WriteHook[];
  /** Clock in ms since epoch (tests). */
  now?: () => number;
}

interface CurrentRow {
  version_id: unknown;
  last_updated: unknown;
  deleted: unknown;
  content: unknown;
}

interface Current {
  version: number;
  lastUpdated: number;
  deleted: boolean;
  content: Resource;
}

/** The caller's already-read current version of `resource`, when it is one (same type and id, versioned). */
function knownCurrent(current: Resource | undefined, resource: Resource): Current | undefined {
  const version = Number(current?.meta?.versionId);
  const lastUpdated = Date.parse(current?.meta?.lastUpdated ?? '');
  if (!current || current.resourceType !== resource.resourceType || current.id !== resource.id) return undefined;
  if (!Number.isInteger(version) || version < 1 || Number.isNaN(lastUpdated)) return undefined;
  return { version, lastUpdated, deleted: false, content: current };
}

export class SqlRepository implements Repository {
  private readonly dialect: Dialect;
  private readonly hooks: WriteHook[];
  private readonly now: () => number;
  private readonly scope: TransactionScope = new Map();

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: SqlRepositoryOptions,
    /** Set on the repository handed to a transaction callback. */
    private readonly tx?: EntityManager,
  ) {
    this.dialect = dialectOf(dataSource);
    this.hooks = options.hooks ?? [];
    this.now = options.now ?? Date.now;
  }

  /** The manager of this repository's transaction (transactionManager). */
  get manager(): EntityManager | undefined {
    return this.tx;
  }

  /** Runs fn on the transaction's manager, in a new transaction (writes) or exclusively (reads); maps DB errors. */
  private async run<T>(write: boolean, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      if (this.tx) return await fn(this.tx);
      if (write) return await withTransaction(this.dataSource, fn);
      return await exclusive(this.dataSource, () => fn(this.dataSource.manager));
    } catch (err) {
      throw mapDbError(err);
    }
  }

  /** A read: inside this repository's transaction when it has one, else on the DataSource's reader (readerOf). */
  private async runRead<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const reader = this.tx ? undefined : readerOf(this.dataSource);
    if (!reader) return this.run(false, fn);
    try {
      return await fn(reader);
    } catch (err) {
      throw mapDbError(err);
    }
  }

  private async currentRow(m: Queryable, resourceType: string, id: string): Promise<CurrentRow | undefined> {
    const rows = await select<CurrentRow>(
      m,
      this.dialect,
      sql`SELECT version_id, last_updated, deleted, content FROM resource WHERE resource_type = ${resourceType} AND id = ${id}`,
    );
    return rows[0];
  }

  private async current(m: Queryable, resourceType: string, id: string): Promise<Current | undefined> {
    const row = await this.currentRow(m, resourceType, id);
    if (!row) return undefined;
    return {
      version: num(row.version_id),
      lastUpdated: num(row.last_updated),
      deleted: num(row.deleted) === 1,
      content: decodeContent(row.content),
    };
  }

  async create<T extends Resource>(resource: T, options: CreateOptions = {}): Promise<T> {
    return this.run(true, (m) => this.write(m, { ...resource, id: options.id ?? newResourceId() }, undefined, 'POST'));
  }

  /** The current row of a resource that exists and is not deleted; 404 unknown, 410 deleted. */
  private async liveRow(m: Queryable, resourceType: string, id: string): Promise<CurrentRow> {
    const row = await this.currentRow(m, resourceType, id);
    if (!row) throw notFound(`${resourceType}/${id} not found`);
    if (num(row.deleted) === 1) throw gone(`${resourceType}/${id} was deleted`);
    return row;
  }

  async read<T extends Resource>(resourceType: string, id: string): Promise<T> {
    return this.runRead(async (m) => decodeContent<T>((await this.liveRow(m, resourceType, id)).content));
  }

  async readJson(resourceType: string, id: string): Promise<StoredJson> {
    return this.runRead(async (m) => {
      const row = await this.liveRow(m, resourceType, id);
      const lastUpdated = new Date(num(row.last_updated)).toISOString();
      // SQLite keeps the text as written (resourceType, id and meta first); jsonb comes back parsed and reordered.
      const json = typeof row.content === 'string' ? row.content : JSON.stringify(decodeContent(row.content));
      return { json, versionId: String(num(row.version_id)), lastUpdated };
    });
  }

  async vread<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<T> {
    if (!/^[1-9][0-9]{0,8}$/.test(versionId)) throw notFound(`${resourceType}/${id} has no version ${versionId}`);
    return this.runRead(async (m) => {
      const rows = await select<{ deleted: unknown; content: unknown }>(
        m,
        this.dialect,
        sql`SELECT deleted, content FROM resource_history WHERE resource_type = ${resourceType} AND id = ${id}
            AND version_id = ${Number(versionId)}`,
      );
      const row = rows[0];
      if (!row) throw notFound(`${resourceType}/${id} has no version ${versionId}`);
      if (num(row.deleted) === 1) throw gone(`${resourceType}/${id} version ${versionId} is a deletion`);
      return decodeContent<T>(row.content);
    });
  }

  async update<T extends Resource>(resource: T, options: WriteOptions = {}): Promise<UpdateResult<T>> {
    const id = resource.id;
    if (!id || !isValidId(id)) throw badRequest('update needs a valid resource id', `${resource.resourceType}.id`);
    return this.run(true, async (m) => {
      const cur = options.absent
        ? undefined
        : (knownCurrent(options.current, resource) ?? (await this.current(m, resource.resourceType, id)));
      this.checkIfMatch(resource.resourceType, id, cur, options.ifMatch);
      if (cur && !cur.deleted && sameContent(cur.content, resource)) {
        return { resource: cur.content as T, created: false, unchanged: true };
      }
      options.check?.(resource);
      const written = await this.write(m, resource, cur, 'PUT');
      return { resource: written, created: !cur || cur.deleted };
    });
  }

  async delete(resourceType: string, id: string, options: WriteOptions = {}): Promise<void> {
    await this.run(true, async (m) => {
      const cur = await this.current(m, resourceType, id);
      this.checkIfMatch(resourceType, id, cur, options.ifMatch);
      if (!cur || cur.deleted) return;
      const version = cur.version + 1;
      const lastUpdated = Math.max(this.now(), cur.lastUpdated + 1);
      const marker: Resource = {
        resourceType,
        id,
        meta: { versionId: String(version), lastUpdated: new Date(lastUpdated).toISOString() },
      } as Resource;
      await writeVersions(m, this.dialect, [
        { content: marker, version, lastUpdated, method: 'DELETE', previousVersion: cur.version, replaceIndex: true },
      ]);
      await this.notify(m, { kind: 'delete', resourceType, id, versionId: String(version), previous: cur.content });
    });
  }

  async history(request: HistoryRequest): Promise<HistoryPage> {
    return this.runRead(async (m) => {
      if (request.resourceType && request.id && !(await this.current(m, request.resourceType, request.id))) {
        throw notFound(`${request.resourceType}/${request.id} not found`);
      }
      return readHistory(m, this.dialect, request);
    });
  }

  async search<T extends Resource>(request: SearchRequest): Promise<SearchResult<T>> {
    return this.runRead((m) => runSearch<T>(m, this.dialect, request, this.now()));
  }

  async lock(keys: string[]): Promise<void> {
    if (!this.tx) throw new Error('lock must be called inside a transaction');
    // SQLite: the one connection runs write transactions one at a time (datasource.ts), so they cannot interleave.
    if (this.dialect !== 'postgres' || keys.length === 0) return;
    // Transaction-scoped advisory locks, taken in hash order; a hash collision only serialises more than needed.
    await this.run(true, (m) =>
      select(
        m,
        this.dialect,
        sql`SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h
            FROM unnest(${keys}::text[]) AS k ORDER BY 1) AS keys`,
      ),
    );
  }

  async transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    if (this.tx) return fn(this);
    return this.run(true, (m) => fn(new SqlRepository(this.dataSource, this.options, m)));
  }

  private checkIfMatch(resourceType: string, id: string, cur: Current | undefined, ifMatch: string | undefined): void {
    if (ifMatch === undefined) return;
    const expected = versionFromEtag(ifMatch);
    if (!cur || cur.deleted || String(cur.version) !== expected) {
      const actual = cur && !cur.deleted ? cur.version : 'none';
      throw preconditionFailed(`If-Match ${expected} does not match ${resourceType}/${id} (current version ${actual})`);
    }
  }

  /** The next version of a resource: meta set, lastUpdated monotonic per resource. */
  private nextVersion<T extends Resource>(
    resource: T,
    cur: Current | undefined,
  ): { content: T; version: number; lastUpdated: number } {
    const version = (cur?.version ?? 0) + 1;
    const lastUpdated = Math.max(this.now(), (cur?.lastUpdated ?? 0) + 1);
    const meta = { ...resource.meta, versionId: String(version), lastUpdated: new Date(lastUpdated).toISOString() };
    const { resourceType, id, meta: _meta, ...rest } = resource;
    // resourceType, id and meta first, as servers conventionally return them.
    const content = { resourceType, id, meta, ...rest } as unknown as T;
    return { content, version, lastUpdated };
  }

  /** Writes a new version (create or update) with its index rows and calls the hooks. */
  private async write<T extends Resource>(
    m: EntityManager,
    resource: T,
    cur: Current | undefined,
    method: 'POST' | 'PUT',
  ): Promise<T> {
    const { content, version, lastUpdated } = this.nextVersion(resource, cur);
    const live = cur !== undefined && !cur.deleted;
    await writeVersions(m, this.dialect, [
      {
        content,
        version,
        lastUpdated,
        method,
        previousVersion: cur?.version,
        rows: this.options.indexResource(content),
        replaceIndex: live,
      },
    ]);
    await this.notify(m, {
      kind: live ? 'update' : 'create',
      resourceType: content.resourceType,
      id: content.id!,
      versionId: String(version),
      resource: content,
      ...(live ? { previous: cur.content } : {}),
    });
    return content;
  }

  /**
   * Creates many resources in one transaction with multi-row statements (bulk loads, seeding); each gets a new id
   * and the hooks see each one, as with create.
   */
  async createMany<T extends Resource>(resources: T[]): Promise<T[]> {
    if (resources.length === 0) return [];
    return this.run(true, async (m) => {
      const pending = resources.map((r) => this.nextVersion({ ...r, id: newResourceId() }, undefined));
      await writeVersions(
        m,
        this.dialect,
        pending.map(({ content, version, lastUpdated }) => ({
          content,
          version,
          lastUpdated,
          method: 'POST' as const,
          rows: this.options.indexResource(content),
          replaceIndex: false,
        })),
      );
      for (const { content } of pending) {
        await this.notify(m, {
          kind: 'create',
          resourceType: content.resourceType,
          id: content.id!,
          versionId: '1',
          resource: content,
        });
      }
      return pending.map((p) => p.content);
    });
  }

  private async notify(m: EntityManager, change: ResourceChange): Promise<void> {
    const scope = this.tx ? this.scope : new Map<string, unknown>();
    for (const hook of this.hooks) await hook(change, m, scope);
  }
}

/**
 * The database transaction a repository handed to a `transaction` callback writes in, so that a table kept beside
 * the resources (the raw HL7 messages) can be updated in the same commit; undefined outside a transaction or for a
 * repository that is not this store's.
 */
export function transactionManager(repo: Repository): EntityManager | undefined {
  return repo instanceof SqlRepository ? repo.manager : undefined;
}
