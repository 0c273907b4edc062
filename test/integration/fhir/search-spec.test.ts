// R4 search rules a review found broken, over HTTP on SQLite and PostgreSQL: unsupported modifiers rejected,
// _elements / _summary subsets, _count=0 and _summary=count bundles, history _at as a period, number precision with
// exponents, instants as points, implicit code systems, and composites with a reference part.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, FhirResource, OperationOutcome, Resource } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const UCUM = 'http://unitsofmeasure.org';
const GENDER = 'http://hl7.org/fhir/administrative-gender';
const byMode = (b: Bundle, mode: string): Resource[] =>
  (b.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => e.resource!);
const keys = (r: Resource | undefined): string[] => Object.keys(r ?? {}).sort();

for (const { kind, make } of databaseKinds) {
  describe(`FHIR search, R4 rules (${kind})`, () => {
    let server: TestServer;
    const get = async (path: string, headers?: Record<string, string>): Promise<{ status: number; body: Bundle }> => {
      const res = await fhirFetch(server, path, headers ? { headers } : {});
      return { status: res.status, body: res.body as Bundle };
    };
    const ids = async (path: string): Promise<string[]> => {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      return byMode(res.body, 'match')
        .map((r) => r.id!)
        .sort();
    };
    const put = async (resource: FhirResource): Promise<Resource> => {
      const res = await fhirFetch(server, `${resource.resourceType}/${resource.id}`, { method: 'PUT', body: resource });
      assert.ok(res.status < 300, JSON.stringify(res.body));
      return res.body as Resource;
    };

    before(async () => {
      server = await startTestServer(await make());
      await put({ resourceType: 'Patient', id: 'p1', gender: 'male', name: [{ family: 'Smith' }] });
      await put({ resourceType: 'Patient', id: 'p2', gender: 'female', name: [{ family: 'Jones' }] });
      await put({
        resourceType: 'Observation',
        id: 'o1',
        status: 'final',
        code: { text: 'x' },
        subject: { reference: 'Patient/p1' },
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
        valueQuantity: { value: 5.4, system: UCUM, code: 'mg' },
      });
    });
    after(async () => server.stop());

    it('rejects a known parameter with an unsupported modifier with 400, lenient or not', async () => {
      for (const query of [
        'Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|111',
        'Observation?code:in=http://example.org/ValueSet/x',
        'Observation?code:below=http://loinc.org|1-1',
        'Patient?name:text=smith',
        'Patient?birthdate:not=2000',
        'Observation?subject:above=Patient/p1',
      ]) {
        assert.equal((await get(query)).status, 400, query);
        assert.equal((await get(query, { prefer: 'handling=lenient' })).status, 400, query);
      }
      // Unknown parameters stay a warning when lenient.
      assert.equal((await get('Patient?foo=bar')).status, 200);
      assert.equal((await get('Patient?foo=bar', { prefer: 'handling=strict' })).status, 400);
    });

    it('applies _elements to the matches only, and keeps their mandatory elements', async () => {
      const b = (await get('Observation?_elements=subject&_include=Observation:subject')).body;
      assert.deepEqual(keys(byMode(b, 'match')[0]), ['code', 'id', 'meta', 'resourceType', 'status', 'subject']);
      const patient = byMode(b, 'include')[0];
      assert.deepEqual(keys(patient), ['gender', 'id', 'meta', 'name', 'resourceType']);
      assert.equal(patient?.meta?.tag, undefined);
    });

    it('keeps id, meta, text and the mandatory elements with _summary=text', async () => {
      const b = (await get('Observation?_summary=text')).body;
      assert.deepEqual(keys(byMode(b, 'match')[0]), ['code', 'id', 'meta', 'resourceType', 'status', 'text']);
    });

    it('answers _count=0 like _summary=count: the total, a self link and no entries', async () => {
      const b = (await get('Patient?_count=0')).body;
      assert.equal(b.total, 2);
      assert.equal(b.entry, undefined);
      assert.deepEqual(
        (b.link ?? []).map((l) => l.relation),
        ['self'],
      );
    });

    it('gives _summary=count a self link and keeps the warnings entry', async () => {
      const b = (await get('Patient?gender=male&foo=bar&_summary=count')).body;
      assert.equal(b.total, 1);
      assert.deepEqual(
        (b.link ?? []).map((l) => l.relation),
        ['self'],
      );
      assert.ok(b.link?.[0]?.url.includes('_summary=count'));
      const outcome = byMode(b, 'outcome')[0] as OperationOutcome | undefined;
      assert.match(outcome?.issue[0]?.diagnostics ?? '', /foo/);
      assert.equal(byMode(b, 'match').length, 0);
    });

    it('reads history _at as a dateTime: versions current at some point of that period', async () => {
      const v1 = await put({ resourceType: 'Basic', id: 'b1', code: { text: 'v1' } });
      await new Promise((r) => setTimeout(r, 20));
      const v2 = await put({ resourceType: 'Basic', id: 'b1', code: { text: 'v2' } });
      const versions = async (at: string): Promise<string[]> => {
        const res = await get(`Basic/b1/_history?_at=${encodeURIComponent(at)}`);
        assert.equal(res.status, 200, at);
        return (res.body.entry ?? []).map((e) => e.resource!.meta!.versionId!);
      };
      const day = v1.meta!.lastUpdated!.slice(0, 10);
      assert.deepEqual(await versions(day), ['2', '1']);
      assert.deepEqual(await versions(day.slice(0, 4)), ['2', '1']);
      assert.deepEqual(await versions(v2.meta!.lastUpdated!), ['2']);
      assert.deepEqual(await versions(v1.meta!.lastUpdated!), ['1']);
      assert.equal((await get('Basic/b1/_history?_at=2024-13')).status, 400);
    });

    it('gives exponent numbers the precision of their significant digits', async () => {
      for (const [id, p] of [
        ['r100', 100],
        ['r995', 99.5],
        ['r994', 99.4],
      ] as const) {
        await put({
          resourceType: 'RiskAssessment',
          id,
          status: 'final',
          subject: { reference: 'Patient/p1' },
          prediction: [{ probabilityDecimal: p }],
        });
      }
      assert.deepEqual(await ids('RiskAssessment?probability=1.00e2'), ['r100', 'r995']);
      for (const [id, value] of [
        ['g1', 0.005396],
        ['g2', 0.0054],
        ['g3', 0.00541],
      ] as const) {
        await put({
          resourceType: 'Observation',
          id,
          status: 'final',
          code: { text: 'g' },
          valueQuantity: { value, system: UCUM, code: 'g' },
        });
      }
      assert.deepEqual(await ids(`Observation?value-quantity=5.40e-3|${UCUM}|g`), ['g1', 'g2']);
    });

    it('treats an instant as a point, not as the second it is written to', async () => {
      await put({
        resourceType: 'Provenance',
        id: 'pv',
        target: [{ reference: 'Observation/o1' }],
        recorded: '2013-02-01T10:00:00Z',
        agent: [{ who: { display: 'x' } }],
      });
      assert.deepEqual(await ids('Provenance?recorded=gt2013-02-01T10:00:00.500Z'), []);
      assert.deepEqual(await ids('Provenance?recorded=lt2013-02-01T10:00:00.500Z'), ['pv']);
      assert.deepEqual(await ids('Provenance?recorded=2013-02-01T10:00:00Z'), ['pv']);
    });

    it("finds a code by its required binding's code system (gender=administrative-gender|male)", async () => {
      assert.deepEqual(await ids(`Patient?gender=${GENDER}|male`), ['p1']);
      assert.deepEqual(await ids(`Patient?gender=${GENDER}|male,${GENDER}|female`), ['p1', 'p2']);
      assert.deepEqual(await ids(`Patient?gender=${GENDER}|`), ['p1', 'p2']);
      assert.deepEqual(await ids(`Patient?gender:not=${GENDER}|male`), ['p2']);
      assert.deepEqual(await ids('Patient?gender=http://example.org/other|male'), []);
      assert.deepEqual(await ids('Observation?status=http://hl7.org/fhir/observation-status|final&_id=o1'), ['o1']);
    });

    it('searches a composite with a reference part (DocumentReference relationship)', async () => {
      await put({
        resourceType: 'DocumentReference',
        id: 'dr1',
        status: 'current',
        content: [{ attachment: { url: 'http://example.org/doc' } }],
        relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/dr0' } }],
      });
      assert.deepEqual(await ids('DocumentReference?relationship=DocumentReference/dr0$replaces'), ['dr1']);
      assert.deepEqual(await ids('DocumentReference?relationship=dr0$replaces'), ['dr1']);
      assert.deepEqual(await ids('DocumentReference?relationship=DocumentReference/dr0$appends'), []);
      assert.deepEqual(await ids('DocumentReference?relationship=DocumentReference/other$replaces'), []);
    });
  });
}
