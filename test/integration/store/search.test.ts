// Search execution on SQLite and PostgreSQL: every value kind, modifier and prefix the store supports, chaining,
// _include/_revinclude, sorting, paging, totals and bad input. Resources are indexed by the real indexer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Resource } from 'fhir/r4.js';
import type { SearchFilter, SearchRequest, SearchValue } from '../../../src/fhir/search/types.js';
import { databaseKinds } from '../../support/databases.js';
import { day, filter, openStore, param, rejectsWith, request, type StoreFixture } from './helpers.js';
import { searchFixtures } from './search-fixtures.js';

/** The server's clock during this file: `ap` is relative to it. */
const NOW = Date.parse('2025-01-10T00:00:00Z');

const tok = (code?: string, system?: string): SearchValue => ({ kind: 'token', code, system });
const ref = (id: string, resourceType?: string): SearchValue => ({ kind: 'reference', id, resourceType });
const str = (value: string): SearchValue => ({ kind: 'string', value });
const qty = (prefix: 'eq' | 'gt' | 'lt' | 'ap', value: number, code?: string, system?: string): SearchValue => ({
  kind: 'quantity',
  prefix,
  value,
  lower: value - 0.05,
  upper: value + 0.05,
  code,
  system,
});

for (const { kind, make } of databaseKinds) {
  describe(`search (${kind})`, () => {
    let s: StoreFixture;
    const ids = async (req: SearchRequest): Promise<string[]> =>
      (await s.repo.search(req)).resources.map((r) => r.id!).sort();
    const find = (type: string, ...filters: SearchFilter[]): Promise<string[]> => ids(request(type, filters));

    before(async () => {
      s = await openStore(make, [], () => NOW);
      for (const r of searchFixtures()) await s.repo.update(r);
      // Changed and deleted resources must not match through stale index rows.
      await s.repo.update({ resourceType: 'Patient', id: 'pat-old', name: [{ family: 'Zebedee' }] });
      await s.repo.update({ resourceType: 'Patient', id: 'pat-old', name: [{ family: 'Renamed' }] });
      await s.repo.update({ resourceType: 'Patient', id: 'pat-del', name: [{ family: 'Zodiac' }] });
      await s.repo.delete('Patient', 'pat-del');
    });
    after(async () => s.close());

    it('string: default is accent- and case-insensitive starts-with; :exact and :contains', async () => {
      assert.deepEqual(await find('Patient', filter('Patient', 'family', [str('zo')])), ['pat-1', 'pat-2']);
      assert.deepEqual(await find('Patient', filter('Patient', 'family', [str('ZOE')])), ['pat-1']);
      assert.deepEqual(await find('Patient', filter('Patient', 'name', [str('ann')])), ['pat-1']);
      const exact = (v: string) => filter('Patient', 'family', [str(v)], { modifier: 'exact' });
      assert.deepEqual(await find('Patient', exact('Zoë')), ['pat-1']);
      assert.deepEqual(await find('Patient', exact('zoë')), []);
      assert.deepEqual(await find('Patient', exact('Zo')), []);
      assert.deepEqual(await find('Patient', filter('Patient', 'family', [str('ORR')], { modifier: 'contains' })), [
        'pat-2',
      ]);
      // LIKE wildcards in the value are literal.
      assert.deepEqual(await find('Patient', filter('Patient', 'family', [str('%')], { modifier: 'contains' })), []);
      assert.deepEqual(await find('Patient', filter('Patient', 'family', [str('z_e')])), []);
    });

    it('token: code, system|code, |code, system|, OR by comma, AND across parameters', async () => {
      const code = (...v: SearchValue[]) => filter('Observation', 'code', v);
      assert.deepEqual(await find('Observation', code(tok('1111-1'))), ['obs-1', 'obs-3', 'obs-4']);
      assert.deepEqual(await find('Observation', code(tok('1111-1', 'http://loinc.org'))), ['obs-1', 'obs-3']);
      assert.deepEqual(await find('Observation', code(tok('1111-1', ''))), ['obs-4']);
      assert.deepEqual(await find('Patient', filter('Patient', 'identifier', [tok(undefined, 'urn:mrn')])), [
        'pat-1',
        'pat-2',
      ]);
      const status = filter('Observation', 'status', [tok('final'), tok('preliminary')]);
      assert.deepEqual(await find('Observation', status), ['obs-1', 'obs-2', 'obs-3']);
      assert.deepEqual(await find('Observation', status, filter('Observation', 'patient', [ref('pat-1', 'Patient')])), [
        'obs-1',
        'obs-2',
      ]);
    });

    it('token :not gives resources with no matching value; :text searches the display text', async () => {
      const not = filter('Observation', 'status', [tok('final')], { modifier: 'not' });
      assert.deepEqual(await find('Observation', not), ['obs-2', 'obs-4']);
      const text = filter('Observation', 'code', [{ kind: 'token', text: 'NODULE' }], { modifier: 'text' });
      assert.deepEqual(await find('Observation', text), ['obs-1']);
    });

    it('reference: Type/id, bare id, :Type, absolute URL, :identifier', async () => {
      assert.deepEqual(await find('Observation', filter('Observation', 'subject', [ref('pat-1', 'Patient')])), [
        'obs-1',
        'obs-2',
      ]);
      assert.deepEqual(await find('Observation', filter('Observation', 'subject', [ref('pat-1')])), ['obs-1', 'obs-2']);
      assert.deepEqual(await find('Observation', filter('Observation', 'patient', [ref('pat-2')])), ['obs-3', 'obs-4']);
      const typed = (t: string) =>
        filter('Observation', 'subject', [ref('pat-1')], { modifier: 'type', targetType: t });
      assert.deepEqual(await find('Observation', typed('Patient')), ['obs-1', 'obs-2']);
      assert.deepEqual(await find('Observation', typed('Group')), []);
      const url: SearchValue = { kind: 'reference', url: 'http://other.org/fhir/Organization/9' };
      assert.deepEqual(await find('Patient', filter('Patient', 'organization', [url])), ['pat-2']);
      const byIdentifier = filter('Patient', 'general-practitioner', [tok('N1', 'urn:npi')], {
        modifier: 'identifier',
      });
      assert.deepEqual(await find('Patient', byIdentifier), ['pat-3']);
    });

    it('chaining: subject:Patient.identifier and patient.family follow the reference', async () => {
      const chained = (code: string, inner: SearchFilter): SearchFilter => ({
        param: param('Observation', code),
        values: [],
        chain: { targetType: 'Patient', filter: inner },
      });
      const byMrn = chained('subject', filter('Patient', 'identifier', [tok('M2', 'urn:mrn')]));
      assert.deepEqual(await find('Observation', byMrn), ['obs-3', 'obs-4']);
      const byName = chained('patient', filter('Patient', 'family', [str('zoe')]));
      assert.deepEqual(await find('Observation', byName), ['obs-1', 'obs-2']);
      const deleted = chained('patient', filter('Patient', 'family', [str('zodiac')]));
      assert.deepEqual(await find('Observation', deleted), []);
    });

    it(':missing true and false', async () => {
      const missing = (m: boolean) =>
        filter('Patient', 'identifier', [{ kind: 'missing', missing: m }], { modifier: 'missing' });
      const few = filter(
        'Patient',
        '_id',
        ['pat-1', 'pat-2', 'pat-3', 'pat-old'].map((id) => tok(id)),
      );
      assert.deepEqual(await find('Patient', few, missing(true)), ['pat-3', 'pat-old']);
      assert.deepEqual(await find('Patient', few, missing(false)), ['pat-1', 'pat-2']);
    });

    it('date: eq is containment; ne gt lt ge le sa eb ap over instants and periods', async () => {
      const date = (...v: SearchValue[]) => filter('Observation', 'date', v);
      const month: SearchValue = {
        kind: 'date',
        prefix: 'eq',
        start: Date.parse('2024-01-01T00:00:00Z'),
        end: Date.parse('2024-02-01T00:00:00Z'),
      };
      assert.deepEqual(await find('Observation', date(month)), ['obs-1', 'obs-2']);
      assert.deepEqual(await find('Observation', date(day('eq', '2024-01-10'))), ['obs-1']);
      assert.deepEqual(await find('Observation', date(day('ne', '2024-01-10'))), ['obs-2', 'obs-3', 'obs-4']);
      assert.deepEqual(await find('Observation', date(day('gt', '2024-01-31'))), ['obs-4']);
      assert.deepEqual(await find('Observation', date(day('lt', '2024-01-01'))), ['obs-3']);
      assert.deepEqual(await find('Observation', date(day('ge', '2024-01-10'))), ['obs-1', 'obs-2', 'obs-4']);
      assert.deepEqual(await find('Observation', date(day('le', '2024-01-10'))), ['obs-1', 'obs-2', 'obs-3']);
      assert.deepEqual(await find('Observation', date(day('sa', '2024-01-05'))), ['obs-1', 'obs-4']);
      assert.deepEqual(await find('Observation', date(day('eb', '2024-01-05'))), ['obs-3']);
      assert.deepEqual(await find('Observation', date(day('ap', '2024-01-10'))), ['obs-1', 'obs-2', 'obs-4']);
      // AND of two ranges: within January.
      assert.deepEqual(await find('Observation', date(day('ge', '2024-01-01')), date(day('lt', '2024-01-05'))), [
        'obs-2',
      ]);
      assert.deepEqual(await find('Patient', filter('Patient', 'birthdate', [day('eq', '1970-05-15')])), ['pat-1']);
    });

    it('_id and _lastUpdated come from the resource row', async () => {
      assert.deepEqual(await find('Observation', filter('Observation', '_id', [tok('obs-2'), tok('obs-9')])), [
        'obs-2',
      ]);
      const lu = (prefix: 'gt' | 'lt', ms: number) =>
        filter('Patient', '_lastUpdated', [{ kind: 'date', prefix, start: ms, end: ms + 1000 }]);
      assert.equal((await find('Patient', lu('gt', NOW - 60_000))).length, 29);
      assert.deepEqual(await find('Patient', lu('lt', NOW - 60_000)), []);
    });

    it('quantity: prefixes, system and unit code', async () => {
      const vq = (v: SearchValue) => filter('Observation', 'value-quantity', [v]);
      assert.deepEqual(await find('Observation', vq(qty('eq', 5.5))), ['obs-1']);
      assert.deepEqual(await find('Observation', vq(qty('gt', 10))), ['obs-2', 'obs-3']);
      assert.deepEqual(await find('Observation', vq(qty('lt', 10, 'mm', 'http://unitsofmeasure.org'))), ['obs-1']);
      assert.deepEqual(await find('Observation', vq(qty('lt', 10, 'cm'))), []);
      assert.deepEqual(await find('Observation', vq(qty('ap', 11))), ['obs-2']);
    });

    it('number: prefixes over decimals', async () => {
      const prob = (prefix: 'eq' | 'gt' | 'le', value: number) =>
        filter('RiskAssessment', 'probability', [
          { kind: 'number', prefix, value, lower: value - 0.05, upper: value + 0.05 },
        ]);
      assert.deepEqual(await find('RiskAssessment', prob('gt', 0.5)), ['ra-2']);
      assert.deepEqual(await find('RiskAssessment', prob('eq', 0.3)), ['ra-1']);
      assert.deepEqual(await find('RiskAssessment', prob('le', 0.8)), ['ra-1', 'ra-2']);
    });

    it('uri: equality, :below and :above', async () => {
      const url = (value: string, modifier?: 'below' | 'above') =>
        filter('CodeSystem', 'url', [{ kind: 'uri', value }], modifier ? { modifier } : {});
      assert.deepEqual(await find('CodeSystem', url('http://example.org/cs/lung')), ['cs-1']);
      assert.deepEqual(await find('CodeSystem', url('http://example.org/cs/lung', 'below')), ['cs-1', 'cs-2']);
      assert.deepEqual(await find('CodeSystem', url('http://example.org/cs/lung/sub/x', 'above')), ['cs-1', 'cs-2']);
      assert.deepEqual(await find('CodeSystem', url('http://example.org/cs')), []);
    });

    it('composite: code$value-quantity on the observation and on its components', async () => {
      const cvq = (code: string, part1: SearchValue, part2: SearchValue) =>
        filter('Observation', code, [{ kind: 'composite', parts: [part1, part2] }]);
      assert.deepEqual(
        await find('Observation', cvq('code-value-quantity', tok('1111-1', 'http://loinc.org'), qty('gt', 10))),
        ['obs-3'],
      );
      assert.deepEqual(await find('Observation', cvq('component-code-value-quantity', tok('c1'), qty('eq', 3))), [
        'obs-2',
      ]);
      assert.deepEqual(await find('Observation', cvq('component-code-value-quantity', tok('c1'), qty('eq', 4))), []);
    });

    it('_include, _revinclude (Provenance:target) and :iterate', async () => {
      const one = (id: string) => [filter('Observation', '_id', [tok(id)])];
      const inc = (type: string, code: string, iterate = false, targetType?: string) => ({
        resourceType: type,
        param: param(type, code),
        iterate,
        targetType,
      });
      const keys = (rs: Resource[]) => rs.map((r) => `${r.resourceType}/${r.id}`).sort();
      const withSubject = await s.repo.search(
        request('Observation', one('obs-1'), { include: [inc('Observation', 'subject')] }),
      );
      assert.deepEqual(keys(withSubject.resources), ['Observation/obs-1']);
      assert.deepEqual(keys(withSubject.included), ['Patient/pat-1']);
      const typed = await s.repo.search(
        request('Observation', one('obs-1'), { include: [inc('Observation', 'subject', false, 'Group')] }),
      );
      assert.deepEqual(typed.included, []);
      const prov = await s.repo.search(
        request('Observation', one('obs-1'), { revinclude: [inc('Provenance', 'target')] }),
      );
      assert.deepEqual(keys(prov.included), ['Provenance/prov-1']);
      const dr = [filter('DiagnosticReport', '_id', [tok('dr-1')])];
      const flat = await s.repo.search(
        request('DiagnosticReport', dr, {
          include: [inc('DiagnosticReport', 'result'), inc('Observation', 'patient')],
        }),
      );
      assert.deepEqual(keys(flat.included), ['Observation/obs-1', 'Observation/obs-2']);
      const iterated = await s.repo.search(
        request('DiagnosticReport', dr, {
          include: [inc('DiagnosticReport', 'result'), inc('Observation', 'patient', true)],
          revinclude: [inc('Provenance', 'target', true)],
        }),
      );
      assert.deepEqual(keys(iterated.included), [
        'Observation/obs-1',
        'Observation/obs-2',
        'Patient/pat-1',
        'Provenance/prov-1',
      ]);
    });

    it('_sort: one or several keys, descending, values missing last, id as tiebreaker', async () => {
      const sorted = async (sort: [string, boolean][], type = 'Observation') =>
        (
          await s.repo.search(
            request(type, [], { sort: sort.map(([c, d]) => ({ param: param(type, c), descending: d })) }),
          )
        ).resources.map((r) => r.id);
      assert.deepEqual(await sorted([['date', false]]), ['obs-3', 'obs-2', 'obs-1', 'obs-4']);
      assert.deepEqual(await sorted([['date', true]]), ['obs-4', 'obs-2', 'obs-1', 'obs-3']);
      assert.deepEqual(
        await sorted([
          ['status', false],
          ['date', true],
        ]),
        ['obs-4', 'obs-1', 'obs-3', 'obs-2'],
      );
      assert.deepEqual(await sorted([['value-quantity', false]]), ['obs-1', 'obs-2', 'obs-3', 'obs-4']);
      assert.deepEqual(await sorted([['value-quantity', true]]), ['obs-3', 'obs-2', 'obs-1', 'obs-4']);
      assert.deepEqual(await sorted([['_id', true]]), ['obs-4', 'obs-3', 'obs-2', 'obs-1']);
    });

    it('paging: pages are disjoint, stable and complete; hasMore and accurate total; _summary=count', async () => {
      const sort = [{ param: param('Patient', 'family'), descending: false }];
      const base = request('Patient', [filter('Patient', 'family', [str('page')])], {
        sort,
        count: 7,
        total: 'accurate',
      });
      const seen: string[] = [];
      for (let offset = 0; ; offset += 7) {
        const page = await s.repo.search({ ...base, offset });
        assert.equal(page.total, 25);
        seen.push(...page.resources.map((r) => r.id!));
        if (!page.hasMore) break;
      }
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
      assert.deepEqual(seen, [...seen].sort());
      const count = await s.repo.search({ ...base, summary: 'count', total: 'none' });
      assert.deepEqual([count.resources.length, count.total], [0, 25]);
      const none = await s.repo.search({ ...base });
      assert.equal(none.total, 25);
      assert.equal((await s.repo.search({ ...base, total: 'none' })).total, undefined);
      const warned = await s.repo.search({ ...base, warnings: ['ignored: foo'] });
      assert.deepEqual(warned.warnings, ['ignored: foo']);
    });

    it('bad input is 400: wrong value kind, unsupported modifier, sort by composite, special parameters', async () => {
      await rejectsWith(() => find('Observation', filter('Observation', 'code', [str('x')])), 400);
      await rejectsWith(
        () => find('Observation', filter('Observation', 'code', [tok('x')], { modifier: 'below' })),
        400,
      );
      await rejectsWith(
        () => find('Observation', filter('Observation', 'date', [day('eq', '2024-01-01')], { modifier: 'exact' })),
        400,
      );
      await rejectsWith(
        () => find('Observation', filter('Observation', 'code', [tok('x')], { modifier: 'missing' })),
        400,
      );
      await rejectsWith(() => find('Observation', filter('Observation', 'code', [])), 400);
      await rejectsWith(
        () =>
          s.repo.search(
            request('Observation', [], {
              sort: [{ param: param('Observation', 'code-value-quantity'), descending: false }],
            }),
          ),
        400,
      );
      await rejectsWith(() => find('Location', filter('Location', 'near', [str('1|2')])), 400);
      await rejectsWith(
        () =>
          find('Observation', filter('Observation', 'code-value-quantity', [{ kind: 'composite', parts: [tok('x')] }])),
        400,
      );
    });
  });
}
