// Instance and type level writes and reads: create, conditional create, read, vread, update, conditional update,
// delete, conditional delete. FHIR R4 http.html#create, #read, #vread, #update, #delete, #cond-update.
import type { Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import { badRequest, conflict, preconditionFailed } from '../outcomes.js';
import { readIfPresent, type WriteOptions } from '../repository.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import { versionFromEtag } from '../request.js';
import { assertValid } from '../validation.js';
import { assertKnownType, assertValidId, resourceBody } from './body.js';
import { resourceResponse, versionHeaders, writeResponse } from './respond.js';
import { findMatches } from './matches.js';

function prepare(ctx: FhirContext, body: unknown, resourceType: string): Resource {
  const resource = resourceBody(body, resourceType);
  if (ctx.validate) assertValid(resource);
  return resource;
}

/** POST [type] with optional If-None-Exist (conditional create). */
export async function createInteraction(
  ctx: FhirContext,
  req: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  const resource = prepare(ctx, req.body, resourceType);
  return ctx.repo.transaction(async (repo) => {
    if (req.ifNoneExist) {
      const matches = await findMatches(ctx, repo, resourceType, new URLSearchParams(req.ifNoneExist), {
        lock: true,
      });
      if (matches.length > 1) throw preconditionFailed(`If-None-Exist matched ${matches.length} resources`);
      if (matches.length === 1) return writeResponse(ctx, req, 200, matches[0]!);
    }
    const { id: _ignored, ...withoutId } = resource;
    const created = await repo.create(withoutId as Resource);
    return writeResponse(ctx, req, 201, created);
  });
}

/** GET [type]/[id]; with `asJson` the body stays the stored JSON text (the HTTP adapter sends it as it is). */
export async function readInteraction(
  ctx: FhirContext,
  resourceType: string,
  id: string,
  asJson = false,
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  assertValidId(id);
  if (!asJson) return resourceResponse(200, await ctx.repo.read(resourceType, id));
  const { json, versionId, lastUpdated } = await ctx.repo.readJson(resourceType, id);
  return { status: 200, json, ...versionHeaders(versionId, lastUpdated) };
}

/** GET [type]/[id]/_history/[vid] */
export async function vreadInteraction(
  ctx: FhirContext,
  resourceType: string,
  id: string,
  versionId: string,
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  assertValidId(id);
  return resourceResponse(200, await ctx.repo.vread(resourceType, id, versionId));
}

/**
 * The check an update runs once its current version is known (WriteOptions.check): validation when the context
 * validates. Content equal to the current version is not written, so it is not validated again either: a client
 * (or an ADT feed) resending an unchanged resource skips it.
 */
const validator = (ctx: FhirContext): WriteOptions['check'] => (ctx.validate ? assertValid : undefined);

/** PUT [type]/[id] (update, update-as-create) with optional If-Match. */
export async function updateInteraction(
  ctx: FhirContext,
  req: FhirRequest,
  resourceType: string,
  id: string,
  /** What this transaction already knows of the current version (a conditional update's match, or none). */
  known: Pick<WriteOptions, 'current' | 'absent'> = {},
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  assertValidId(id);
  const resource = resourceBody(req.body, resourceType);
  if (resource.id === undefined) throw badRequest('Resource id is required for update', 'id');
  if (resource.id !== id) throw badRequest(`Resource id ${resource.id} does not match the URL id ${id}`, 'id');
  const ifMatch = req.ifMatch ? versionFromEtag(req.ifMatch) : undefined;
  const result = await ctx.repo.update(resource, { ifMatch, ...known, check: validator(ctx) });
  return writeResponse(ctx, req, result.created ? 201 : 200, result.resource);
}

/** PUT [type]?[search]: update the single match, create when none, 412 when several. */
export async function conditionalUpdateInteraction(
  ctx: FhirContext,
  req: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  const resource = resourceBody(req.body, resourceType);
  return ctx.repo.transaction(async (repo) => {
    const matches = await findMatches(ctx, repo, resourceType, req.query, { lock: true });
    if (matches.length > 1) throw preconditionFailed(`Conditional update matched ${matches.length} resources`);
    const match = matches[0];
    if (!match) {
      if (ctx.validate) assertValid(resource);
      if (resource.id !== undefined) {
        assertValidId(resource.id);
        // http.html#cond-update: no match and an id that exists is a 409, never a silent overwrite of that resource.
        if (await readIfPresent(repo, resourceType, resource.id)) {
          throw conflict(`No ${resourceType} matches the condition, but ${resourceType}/${resource.id} exists`);
        }
        const result = await repo.update(resource);
        return writeResponse(ctx, req, 201, result.resource);
      }
      return writeResponse(ctx, req, 201, await repo.create(resource));
    }
    if (resource.id !== undefined && resource.id !== match.id) {
      throw badRequest(`Resource id ${resource.id} does not match the matched resource ${match.id}`, 'id');
    }
    const ifMatch = req.ifMatch ? versionFromEtag(req.ifMatch) : undefined;
    const result = await repo.update({ ...resource, id: match.id }, { ifMatch, current: match, check: validator(ctx) });
    return writeResponse(ctx, req, 200, result.resource);
  });
}

/** DELETE [type]/[id]: 204; history is kept and a later read gives 410. */
export async function deleteInteraction(
  ctx: FhirContext,
  req: FhirRequest,
  resourceType: string,
  id: string,
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  assertValidId(id);
  const ifMatch = req.ifMatch ? versionFromEtag(req.ifMatch) : undefined;
  await ctx.repo.delete(resourceType, id, { ifMatch });
  return { status: 204 };
}

/** DELETE [type]?[search]: deletes the single match (single-match mode); 412 when several. */
export async function conditionalDeleteInteraction(
  ctx: FhirContext,
  req: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  return ctx.repo.transaction(async (repo) => {
    const matches = await findMatches(ctx, repo, resourceType, req.query);
    if (matches.length > 1) throw preconditionFailed(`Conditional delete matched ${matches.length} resources`);
    if (matches[0]) await repo.delete(resourceType, matches[0].id!);
    return { status: 204 };
  });
}
