// Test helpers for the store: a repository on a fresh database of each kind, and SearchRequest builders over the
// real search parameter registry.
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { getSearchParam } from '../../../src/fhir/search/registry.js';
import type { SearchFilter, SearchParamDef, SearchRequest, SearchValue } from '../../../src/fhir/search/types.js';
import { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import { openDataSource } from '../../../src/store/datasource.js';
import { SqlRepository, type WriteHook } from '../../../src/store/sql-repository.js';
import type { TestDatabase } from '../../support/databases.js';

export interface StoreFixture {
  db: TestDatabase;
  ds: DataSource;
  repo: SqlRepository;
  close(): Promise<void>;
}

/** Opens a migrated DataSource on a fresh database and a repository over it. */
export async function openStore(
  make: () => Promise<TestDatabase>,
  hooks: WriteHook[] = [],
  now?: () => number,
): Promise<StoreFixture> {
  const db = await make();
  const ds = await openDataSource(db.url);
  const repo = new SqlRepository(ds, { indexResource, hooks, now });
  return {
    db,
    ds,
    repo,
    close: async () => {
      await ds.destroy();
      await db.drop();
    },
  };
}

/** The registry's definition of `code` on `resourceType`. */
export function param(resourceType: string, code: string): SearchParamDef {
  const def = getSearchParam(resourceType, code);
  assert.ok(def, `no search parameter ${resourceType}.${code}`);
  return def;
}

/** A filter `code[:modifier]=values`. */
export function filter(
  resourceType: string,
  code: string,
  values: SearchValue[],
  extra: Partial<SearchFilter> = {},
): SearchFilter {
  return { param: param(resourceType, code), values, ...extra };
}

/** A search request with defaults (count 100, no total). */
export function request(
  resourceType: string,
  filters: SearchFilter[],
  extra: Partial<SearchRequest> = {},
): SearchRequest {
  return {
    resourceType,
    filters,
    sort: [],
    count: 100,
    offset: 0,
    total: 'none',
    include: [],
    revinclude: [],
    ...extra,
  };
}

/** Asserts that fn rejects with an OperationOutcomeError of this HTTP status. */
export async function rejectsWith(fn: () => Promise<unknown>, status: number): Promise<OperationOutcomeError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof OperationOutcomeError, `expected OperationOutcomeError, got ${String(err)}`);
    assert.equal(err.status, status, err.message);
    return err;
  }
  assert.fail(`expected a ${status} error`);
}

/** Date value [start, end) of an ISO day or instant with a prefix. */
export function day(prefix: Extract<SearchValue, { kind: 'date' }>['prefix'], isoDay: string): SearchValue {
  const start = Date.parse(`${isoDay}T00:00:00Z`);
  return { kind: 'date', prefix, start, end: start + 86_400_000 };
}
