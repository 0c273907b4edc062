// $validate at type and instance level with an optional profile (http://hl7.org/fhir/R4/resource-operation-validate.html).
// The body is the resource itself or a Parameters with `resource` (and optionally `profile`, `mode`).
import type { Parameters, Resource } from 'fhir/r4.js';
import type { OperationDef } from '../context.js';
import { badRequest } from '../outcomes.js';
import { checkResource } from '../validation.js';

function unwrap(body: unknown): { resource?: Resource; profile?: string; mode?: string } {
  if (!body || typeof body !== 'object') return {};
  const r = body as Resource;
  if (r.resourceType !== 'Parameters') return { resource: r };
  const params = (r as Parameters).parameter ?? [];
  return {
    resource: params.find((p) => p.name === 'resource')?.resource,
    profile:
      params.find((p) => p.name === 'profile')?.valueUri ?? params.find((p) => p.name === 'profile')?.valueCanonical,
    mode: params.find((p) => p.name === 'mode')?.valueCode,
  };
}

export const validateOperation: OperationDef = {
  name: 'validate',
  instance: true,
  definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
  handler: async (req, ctx, target) => {
    const { resource: bodyResource, profile: bodyProfile, mode } = unwrap(req.body);
    const profile = req.query.get('profile') ?? bodyProfile;
    let resource = bodyResource;
    if (!resource && target.resourceType && target.id) resource = await ctx.repo.read(target.resourceType, target.id);
    if (!resource) throw badRequest('$validate needs a resource in the body (or Parameters.resource)');
    if (mode === 'delete')
      return {
        status: 200,
        body: {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'information', code: 'informational', diagnostics: 'Delete allowed' }],
        },
      };
    if (target.resourceType && resource.resourceType !== target.resourceType) {
      throw badRequest(`resourceType ${resource.resourceType} does not match ${target.resourceType}`, 'resourceType');
    }
    // $validate reports problems in its OperationOutcome with 200; only a request it cannot process is an error.
    return { status: 200, body: checkResource(resource, profile ?? undefined).outcome };
  },
};
