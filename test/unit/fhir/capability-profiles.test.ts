// CapabilityStatement.supportedProfile claims only the profiles ct-fhir's output conforms to
// (terminology/supported-profiles.json), not every profile the validator can check: it used to list US Core blood
// pressure for Observation and implantable device for the algorithm Device.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { capabilityStatement } from '../../../src/fhir/capability.js';
import type { Repository } from '../../../src/fhir/repository.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const shipped = JSON.parse(
  readFileSync(new URL('../../../terminology/supported-profiles.json', import.meta.url), 'utf8'),
).profiles as { type: string; url: string }[];

const statement = capabilityStatement(
  { repo: {} as Repository, baseUrl: 'http://x/fhir', defaultCount: 20, maxCount: 100, operations: [], validate: true },
  { name: 'ct-fhir', version: 'test' },
);
const claimed = (type: string): string[] =>
  statement.rest![0]!.resource!.find((r) => r.type === type)?.supportedProfile ?? [];

it('supportedProfile lists, per resource type, exactly the profiles in terminology/supported-profiles.json', () => {
  for (const r of statement.rest![0]!.resource!) {
    const expected = shipped.filter((p) => p.type === r.type).map((p) => p.url);
    assert.deepEqual(r.supportedProfile ?? [], expected, r.type);
  }
  assert.ok(shipped.length > 0);
});

it('supportedProfile does not claim profiles ct-fhir output does not meet', () => {
  assert.ok(!claimed('Observation').includes(`${US_CORE}us-core-blood-pressure`));
  assert.ok(!claimed('Device').includes(`${US_CORE}us-core-implantable-device`));
  assert.deepEqual(claimed('MedicationRequest'), []);
  // Claimed since the PID mapping always gives a name (or a data-absent-reason) and a gender: the Patient test in
  // supported-profiles.test.ts validates a Patient from a PID with only its identifier against us-core-patient.
  assert.deepEqual(claimed('Patient'), [`${US_CORE}us-core-patient`]);
  assert.ok(statement.instantiates?.includes('http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server'));
});
