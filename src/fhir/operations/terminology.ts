// Terminology operations over the product's own code systems and maps: CodeSystem/$lookup, CodeSystem/$validate-code
// and ConceptMap/$translate (http://hl7.org/fhir/R4/terminology-service.html), GET with query parameters or POST
// with a Parameters body. The logic is in terminology/operations.ts (pure).
import type { Parameters } from 'fhir/r4.js';
import type { OperationDef, OperationHandler } from '../context.js';
import type { Terminology } from '../../terminology/load.js';
import { lookup, parametersFromQuery, translate, validateCode } from '../../terminology/operations.js';
import { badRequest, notFound } from '../outcomes.js';
import type { FhirRequest } from '../request.js';

function input(req: FhirRequest): Parameters {
  if (req.method === 'POST') {
    const body = req.body as Parameters | undefined;
    if (body?.resourceType !== 'Parameters') throw badRequest('POST body must be a Parameters resource');
    return body;
  }
  const query: Record<string, string[]> = {};
  for (const [k, v] of req.query) (query[k] ??= []).push(v);
  return parametersFromQuery(query);
}

/** The canonical URL of the CodeSystem or ConceptMap with this id (an instance-level invocation names it by id). */
function canonicalOf(t: Terminology, type: string, id: string): string {
  const all = type === 'ConceptMap' ? t.conceptMaps.values() : t.codeSystems.values();
  const found = [...all].find((r) => r.id === id)?.url;
  if (!found) throw notFound(`${type}/${id} is not a terminology resource of this server`);
  return found;
}

/**
 * One operation handler; at instance level (CodeSystem/[id]/$validate-code, ConceptMap/[id]/$translate) the instance
 * is the `url` parameter (R4 OperationDefinitions: instance true).
 */
function op(t: Terminology, fn: (t: Terminology, p: Parameters) => Parameters): OperationHandler {
  return async (req, _ctx, target) => {
    const p = input(req);
    if (target.resourceType && target.id) {
      const url = canonicalOf(t, target.resourceType, target.id);
      p.parameter = [{ name: 'url', valueUri: url }, ...(p.parameter ?? []).filter((x) => x.name !== 'url')];
    }
    return { status: 200, body: fn(t, p) };
  };
}

/** The three terminology operations for a loaded terminology. */
export function terminologyOperations(t: Terminology): OperationDef[] {
  return [
    {
      name: 'lookup',
      types: ['CodeSystem'],
      definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup',
      handler: op(t, lookup),
    },
    {
      name: 'validate-code',
      types: ['CodeSystem'],
      instance: true,
      definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code',
      handler: op(t, validateCode),
    },
    {
      name: 'translate',
      types: ['ConceptMap'],
      instance: true,
      definition: 'http://hl7.org/fhir/OperationDefinition/ConceptMap-translate',
      handler: op(t, translate),
    },
  ];
}
