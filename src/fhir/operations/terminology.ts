// Terminology operations over the product's own code systems and maps: CodeSystem/$lookup, CodeSystem/$validate-code
// and ConceptMap/$translate (http://hl7.org/fhir/R4/terminology-service.html), GET with query parameters or POST
// with a Parameters body. The logic is in terminology/operations.ts (pure).
import type { Parameters } from 'fhir/r4.js';
import type { OperationDef, OperationHandler } from '../context.js';
import type { Terminology } from '../../terminology/load.js';
import { lookup, parametersFromQuery, translate, validateCode } from '../../terminology/operations.js';
import { badRequest } from '../outcomes.js';
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

function op(t: Terminology, fn: (t: Terminology, p: Parameters) => Parameters): OperationHandler {
  return async (req) => ({ status: 200, body: fn(t, input(req)) });
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
      definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code',
      handler: op(t, validateCode),
    },
    {
      name: 'translate',
      types: ['ConceptMap'],
      definition: 'http://hl7.org/fhir/OperationDefinition/ConceptMap-translate',
      handler: op(t, translate),
    },
  ];
}
