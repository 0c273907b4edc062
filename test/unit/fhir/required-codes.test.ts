import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, Observation } from 'fhir/r4.js';
import { requiredCodeIssues } from '../../../src/fhir/required-codes.js';
import { checkResource } from '../../../src/fhir/validation.js';

const observation = (extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  ...extra,
});

describe('required code bindings', () => {
  it('accepts the codes of each required value set', () => {
    assert.deepEqual(requiredCodeIssues(observation({ valueQuantity: { value: 1, comparator: '<' } })), []);
  });

  it('rejects a code outside its value set, at top level, in data types, backbone elements and lists', () => {
    const obs = {
      ...observation({ status: 'bogus' as Observation['status'] }),
      valueQuantity: { value: 1, comparator: '~' },
      referenceRange: [{ low: { value: 1 } }, { high: { value: 2, comparator: '!=' } }],
    } as unknown as Observation;
    assert.deepEqual(
      requiredCodeIssues(obs).map((i) => i.expression?.[0]),
      ['Observation.status', 'Observation.valueQuantity.comparator', 'Observation.referenceRange[1].high.comparator'],
    );
    const [status] = requiredCodeIssues(obs);
    assert.equal(status?.severity, 'error');
    assert.equal(status?.code, 'code-invalid');
    assert.match(status?.diagnostics ?? '', /"bogus".*registered \| preliminary \| final/);
  });

  it('checks resources inside a Bundle and contained resources by their own type', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: observation(), request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Patient', gender: 'f' }, request: { method: 'PUT', url: 'Patient/1' } },
        { request: { method: 'FETCH', url: 'x' } },
      ],
    } as unknown as Bundle;
    assert.deepEqual(
      requiredCodeIssues(bundle).map((i) => i.expression?.[0]),
      ['Bundle.entry[1].resource.gender', 'Bundle.entry[2].request.method'],
    );
    const contained = observation({ contained: [{ resourceType: 'Patient', gender: 'x' } as never] });
    assert.deepEqual(
      requiredCodeIssues(contained).map((i) => i.expression?.[0]),
      ['Observation.contained[0].gender'],
    );
  });

  it('makes resource validation fail with the element path', () => {
    const result = checkResource(observation({ status: 'bogus' as Observation['status'] }));
    assert.equal(result.valid, false);
    assert.deepEqual(result.outcome.issue[0]?.expression, ['Observation.status']);
    assert.equal(checkResource(observation()).valid, true);
  });
});
