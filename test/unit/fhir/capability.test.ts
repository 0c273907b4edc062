import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FhirContext, OperationDef } from '../../../src/fhir/context.js';
import { publishedCapabilityStatement } from '../../../src/fhir/capability.js';
import type { Repository } from '../../../src/fhir/repository.js';

const software = { name: 'ct-fhir', version: 'test' };

function context(): FhirContext {
  // The statement never touches the repository.
  return {
    repo: {} as Repository,
    baseUrl: 'http://x/fhir',
    defaultCount: 20,
    maxCount: 100,
    operations: [],
    validate: true,
  };
}

it('the published CapabilityStatement is built once per context and deeply frozen', () => {
  const ctx = context();
  const first = publishedCapabilityStatement(ctx, software);
  assert.equal(publishedCapabilityStatement(ctx, software), first);
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.rest![0]!.resource![0]!.searchParam![0]));
  assert.throws(() => {
    (first as { status: string }).status = 'retired';
  }, TypeError);
  assert.notEqual(publishedCapabilityStatement(context(), software), first);
});

it('registering an operation later publishes a new statement that lists it', () => {
  const ctx = context();
  const before = publishedCapabilityStatement(ctx, software);
  const op: OperationDef = {
    name: 'classify',
    definition: 'http://example.org/OperationDefinition/classify',
    types: ['ImagingStudy'],
    instance: true,
    handler: async () => ({ status: 200 }),
  };
  ctx.operations.push(op);
  const after = publishedCapabilityStatement(ctx, software);
  assert.notEqual(after, before);
  const study = after.rest![0]!.resource!.find((r) => r.type === 'ImagingStudy');
  assert.ok(study?.operation?.some((o) => o.name === 'classify'));
});
