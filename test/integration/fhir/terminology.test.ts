// The product's terminology over FHIR: CodeSystems and ConceptMaps readable and searchable, $lookup,
// $validate-code and $translate by GET and POST, bad input as OperationOutcome.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, CodeSystem, Parameters } from 'fhir/r4.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { CT_ABNORMALITY, MAP_ABNORMALITY_SNOMED } from '../../../src/terminology/systems.js';
import { sqliteDatabase } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);

describe('terminology over FHIR', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(sqliteDatabase());
  });
  after(async () => server.stop());

  it('serves the ct-abnormality CodeSystem by search on its url', async () => {
    const res = await fhirFetch(server, `CodeSystem?url=${encodeURIComponent(CT_ABNORMALITY)}`);
    const cs = ((res.body as Bundle).entry ?? [])[0]?.resource as CodeSystem;
    assert.equal(
      cs.concept?.some((c) => c.code === 'pneumothorax'),
      true,
    );
  });

  it('looks up a code by GET and validates one by POST', async () => {
    const look = (
      await fhirFetch(server, `CodeSystem/$lookup?system=${encodeURIComponent(CT_ABNORMALITY)}&code=pleural_effusion`)
    ).body as Parameters;
    assert.equal(param(look, 'display')?.valueString, 'Pleural effusion');
    const body: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: CT_ABNORMALITY },
        { name: 'code', valueCode: 'not_a_finding' },
      ],
    };
    const v = (await fhirFetch(server, 'CodeSystem/$validate-code', { method: 'POST', body })).body as Parameters;
    assert.equal(param(v, 'result')?.valueBoolean, false);
  });

  it('translates pleural effusion to SNOMED CT 60046008', async () => {
    const q = `url=${encodeURIComponent(MAP_ABNORMALITY_SNOMED)}&system=${encodeURIComponent(CT_ABNORMALITY)}&code=pleural_effusion`;
    const t = (await fhirFetch(server, `ConceptMap/$translate?${q}`)).body as Parameters;
    assert.equal(param(t, 'result')?.valueBoolean, true);
    assert.match(JSON.stringify(t), /60046008/);
  });

  it('validates and translates at instance level: CodeSystem/[id]/$validate-code, ConceptMap/[id]/$translate', async () => {
    const terminology = getTerminology();
    const cs = terminology.codeSystems.get(CT_ABNORMALITY)!;
    const map = terminology.conceptMaps.get(MAP_ABNORMALITY_SNOMED)!;
    const v = await fhirFetch(server, `CodeSystem/${cs.id}/$validate-code?code=pleural_effusion`);
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(param(v.body as Parameters, 'result')?.valueBoolean, true);
    const q = `system=${encodeURIComponent(CT_ABNORMALITY)}&code=pleural_effusion`;
    const t = await fhirFetch(server, `ConceptMap/${map.id}/$translate?${q}`);
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.match(JSON.stringify(t.body), /60046008/);
    assert.equal((await fhirFetch(server, 'CodeSystem/no-such-system/$validate-code?code=x')).status, 404);
    assert.equal(
      (await fhirFetch(server, 'Patient/p1/$validate-code?code=x')).status,
      404,
      'not an operation of Patient',
    );
  });

  it('answers an unknown code system with an OperationOutcome', async () => {
    const res = await fhirFetch(server, 'CodeSystem/$lookup?system=urn:nowhere&code=x');
    assert.ok(res.status >= 400 && res.status < 500);
    assert.equal((res.body as { resourceType: string }).resourceType, 'OperationOutcome');
  });
});
