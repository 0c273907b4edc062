// Checks on request bodies shared by create, update and transaction entries.
import type { Resource } from 'fhir/r4.js';
import { badRequest, notFound } from '../outcomes.js';
import { isKnownResourceType } from '../search/registry.js';
import { isValidId } from '../search/values.js';

/**
 * Most levels of nested JSON objects and arrays in a request body. Validation, the required-code walk, indexing and
 * serialisation recurse per level, so deeper input would overflow the stack (a 500); real resources nest far less
 * (extensions or Questionnaire items ten deep are about 25 levels, 30 inside a Bundle).
 */
export const MAX_BODY_DEPTH = 100;

/** Throws 400 when a body nests deeper than MAX_BODY_DEPTH (walked without recursion). */
export function assertNestingDepth(body: unknown): void {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth > MAX_BODY_DEPTH) throw badRequest(`The body is nested more than ${MAX_BODY_DEPTH} levels deep`);
    for (const child of Object.values(item.value as object)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: item.depth + 1 });
    }
  }
}

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
