// Small builders for the transaction entries findings are written with: deterministic urn:uuid fullUrls, conditional
// create (If-None-Exist) and conditional update by identifier, so a re-run updates instead of duplicating.
// FHIR R4 transaction: http://hl7.org/fhir/R4/http.html#trules
import { createHash } from 'node:crypto';
import type { BundleEntry, Identifier, Resource } from 'fhir/r4.js';
import { identifierQuery } from '../fhir/identifier-token.js';

/** A stable urn:uuid for a key (UUID-shaped SHA-1 digest), so the same input always gives the same bundle. */
export function stableUrn(key: string): string {
  const h = stableId(key);
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A stable resource id for a key (FHIR id syntax, 40 hex characters). */
export function stableId(key: string): string {
  return createHash('sha1').update(key).digest('hex');
}

/** POST with If-None-Exist on the first identifier: created once, reused afterwards. */
export function createOnce(resource: Resource & { identifier?: Identifier[] }, fullUrl: string): BundleEntry {
  const identifier = resource.identifier?.[0];
  if (!identifier) throw new Error(`${resource.resourceType} needs an identifier to be created once`);
  return {
    fullUrl,
    resource,
    request: { method: 'POST', url: resource.resourceType, ifNoneExist: identifierQuery(identifier) },
  };
}

/** PUT [type]?identifier=...: creates or replaces the resource that carries this identifier. */
export function upsertByIdentifier(resource: Resource & { identifier?: Identifier[] }, fullUrl: string): BundleEntry {
  const identifier = resource.identifier?.[0];
  if (!identifier) throw new Error(`${resource.resourceType} needs an identifier to be upserted`);
  return {
    fullUrl,
    resource,
    request: { method: 'PUT', url: `${resource.resourceType}?${identifierQuery(identifier)}` },
  };
}

/** PUT [type]/[id]: replaces a known resource (used to mark superseded findings). */
export function replace(resource: Resource): BundleEntry {
  return { resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } };
}
