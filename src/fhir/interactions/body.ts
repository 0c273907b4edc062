// Checks on request bodies shared by create, update and transaction entries.
import type { Resource } from 'fhir/r4.js';
import { badRequest, notFound } from '../outcomes.js';
import { isKnownResourceType } from '../search/registry.js';
import { isValidId } from '../search/values.js';

/** FHIR id syntax (http://hl7.org/fhir/R4/datatypes.html#id). */
export function assertValidId(id: string, expression = 'id'): void {
  if (!isValidId(id)) throw badRequest(`Invalid id "${id}": 1-64 characters of A-Z a-z 0-9 - .`, expression);
}

/** Throws 404 for a type the server does not support. */
export function assertKnownType(resourceType: string): void {
  if (!isKnownResourceType(resourceType)) throw notFound(`Unknown resource type ${resourceType}`);
}

/** The body as a resource of the expected type (400 when it is not an object of that resourceType). */
export function resourceBody(body: unknown, expectedType: string): Resource {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Request body must be a FHIR resource (a JSON object)');
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') throw badRequest('Missing resourceType', 'resourceType');
  if (resourceType !== expectedType) {
    throw badRequest(`resourceType ${resourceType} does not match the URL type ${expectedType}`, 'resourceType');
  }
  return body as Resource;
}
