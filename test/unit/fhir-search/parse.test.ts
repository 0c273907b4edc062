import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import { formatSearchRequest, parseSearchRequest, type ParseOptions } from '../../../src/fhir/search/parse.js';
import { getSearchParam } from '../../../src/fhir/search/registry.js';
import type { SearchRequest, SearchValue } from '../../../src/fhir/search/types.js';

const lenient: ParseOptions = { strict: false, defaultCount: 20, maxCount: 100 };
const strict: ParseOptions = { ...lenient, strict: true };
const parse = (query: string, type = 'Observation', options = lenient): SearchRequest =>
  parseSearchRequest(type, new URLSearchParams(query), options);
const values = (query: string, type = 'Observation'): SearchValue[][] =>
  parse(query, type).filters.map((f) => f.values);

/** Asserts a 400 OperationOutcome whose expression names the parameter. */
function assertBadRequest(fn: () => unknown, param: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OperationOutcomeError, String(err));
    assert.equal(err.status, 400);
    assert.deepEqual(err.outcome.issue[0]?.expression, [param]);
    return true;
  });
}

test('Inferno: patient=123 and patient=Patient/123 both name the Patient', () => {
  assert.deepEqual(values('patient=123'), [[{ kind: 'reference', id: '123' }]]);
  assert.deepEqual(values('patient=Patient/123'), [[{ kind: 'reference', resourceType: 'Patient', id: '123' }]]);
  assert.deepEqual(parse('patient=123').filters[0]?.param.target, ['Patient']);
});

test('Inferno: status list is ORed, repeated date is ANDed, tokens with system', () => {
  assert.deepEqual(values('status=final,amended'), [
    [
      { kind: 'token', code: 'final' },
      { kind: 'token', code: 'amended' },
    ],
  ]);
  assert.deepEqual(values('code=http://loinc.org|1234-5'), [
    [{ kind: 'token', system: 'http://loinc.org', code: '1234-5' }],
  ]);
  const r = parse(
    'patient=Patient/1&category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&date=ge2020-01-01&date=lt2021',
  );
  assert.equal(r.filters.length, 4);
  assert.deepEqual(r.filters[2]?.values, [
    { kind: 'date', prefix: 'ge', start: Date.UTC(2020, 0, 1), end: Date.UTC(2020, 0, 2), text: '2020-01-01' },
  ]);
  assert.deepEqual(r.filters[3]?.values, [
    { kind: 'date', prefix: 'lt', start: Date.UTC(2021, 0, 1), end: Date.UTC(2022, 0, 1), text: '2021' },
  ]);
  assert.deepEqual(r.warnings, []);
});

test('every date prefix is accepted; no prefix means eq', () => {
  for (const p of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']) {
    const v = values(`date=${p}2024-03`)[0]?.[0];
    assert.equal(v?.kind === 'date' && v.prefix, p);
  }
  const v = values('date=2024-03-05T10:00:00Z')[0]?.[0];
  assert.equal(v?.kind === 'date' && v.prefix, 'eq');
});

test('an unencoded + in a time zone (read as a space) still parses', () => {
  const v = values('date=ge2024-03-05T10:00:00+02:00')[0]?.[0];
  assert.ok(v?.kind === 'date');
  assert.equal(v.start, Date.UTC(2024, 2, 5, 8));
});

test('bad dates, bad prefixes and non-numbers are 400s naming the parameter', () => {
  assertBadRequest(() => parse('date=xx2020'), 'date');
  assertBadRequest(() => parse('date=2020-13-01'), 'date');
  assertBadRequest(() => parse('date=ge'), 'date');
  assertBadRequest(() => parse('date=yesterday'), 'date');
  assertBadRequest(() => parse('_lastUpdated=gt2020-02-30'), '_lastUpdated');
  assertBadRequest(() => parse('value-quantity=abc'), 'value-quantity');
  assertBadRequest(() => parse('value-quantity=5.4|a|b|c'), 'value-quantity');
  assertBadRequest(() => parse('probability=1.2.3', 'RiskAssessment'), 'probability');
  assertBadRequest(() => parse('probability=.', 'RiskAssessment'), 'probability');
});

test('numbers carry their implicit precision range', () => {
  const num = (q: string): SearchValue | undefined => values(q, 'RiskAssessment')[0]?.[0];
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);
  const a = num('probability=100');
  assert.ok(a?.kind === 'number');
  close(a.lower, 99.5);
  close(a.upper, 100.5);
  const b = num('probability=100.00');
  assert.ok(b?.kind === 'number');
  close(b.lower, 99.995);
  close(b.upper, 100.005);
  // Exponents: half a unit of the last significant digit of the mantissa, scaled (1.00e2 has 3 significant digits).
  // The spec's table says 1e2 is [95, 105), which contradicts its own rule and its 5.40e-3 example; we follow the rule.
  const c = num('probability=1e2');
  assert.ok(c?.kind === 'number');
  close(c.lower, 50);
  close(c.upper, 150);
  const e = num('probability=1.00e2');
  assert.ok(e?.kind === 'number');
  close(e.lower, 99.5);
  close(e.upper, 100.5);
  const f = num('probability=5.40e-3');
  assert.ok(f?.kind === 'number');
  close(f.lower, 0.005395);
  close(f.upper, 0.005405);
  const d = num('probability=gt-0.5');
  assert.ok(d?.kind === 'number' && d.prefix === 'gt' && d.value === -0.5);
});

test('quantities: value|system|code, value||code, bare value, with prefix', () => {
  assert.deepEqual(values('value-quantity=gt5.4|http://unitsofmeasure.org|mg'), [
    [
      {
        kind: 'quantity',
        prefix: 'gt',
        value: 5.4,
        lower: 5.35,
        upper: 5.45,
        text: '5.4',
        system: 'http://unitsofmeasure.org',
        code: 'mg',
      },
    ],
  ]);
  const v = values('value-quantity=5.4||mg')[0]?.[0];
  assert.ok(v?.kind === 'quantity' && v.code === 'mg' && v.system === undefined);
  const w = values('value-quantity=le7')[0]?.[0];
  assert.ok(w?.kind === 'quantity' && w.prefix === 'le' && w.code === undefined);
});

test('strings: default, :exact and :contains keep the value as written', () => {
  const r = parse('name=Zoë&name:exact=Amy&name:contains=my', 'Patient');
  assert.deepEqual(
    r.filters.map((f) => [f.modifier, f.values]),
    [
      [undefined, [{ kind: 'string', value: 'Zoë' }]],
      ['exact', [{ kind: 'string', value: 'Amy' }]],
      ['contains', [{ kind: 'string', value: 'my' }]],
    ],
  );
});

test('tokens: |code, system|, :not, :text and escapes', () => {
  assert.deepEqual(values('code=|1234-5'), [[{ kind: 'token', system: '', code: '1234-5' }]]);
  assert.deepEqual(values('code=http://loinc.org|'), [[{ kind: 'token', system: 'http://loinc.org' }]]);
  const not = parse('status:not=final');
  assert.equal(not.filters[0]?.modifier, 'not');
  assert.deepEqual(not.filters[0]?.values, [{ kind: 'token', code: 'final' }]);
  const text = parse('code:text=Glucose, blood');
  assert.deepEqual(text.filters[0]?.values, [
    { kind: 'token', text: 'Glucose' },
    { kind: 'token', text: ' blood' },
  ]);
  assert.deepEqual(values('identifier=urn:x|a\\,b\\|c'), [[{ kind: 'token', system: 'urn:x', code: 'a,b|c' }]]);
  assert.deepEqual(values('name=a\\,b,c', 'Patient'), [
    [
      { kind: 'string', value: 'a,b' },
      { kind: 'string', value: 'c' },
    ],
  ]);
});

test('references: :Type, absolute URLs (ours become Type/id), history stripped, :identifier', () => {
  const typed = parse('subject:Patient=123').filters[0];
  assert.equal(typed?.modifier, 'type');
  assert.equal(typed?.targetType, 'Patient');
  assert.deepEqual(typed?.values, [{ kind: 'reference', resourceType: 'Patient', id: '123' }]);
  assert.deepEqual(values('subject=http://other.org/fhir/Patient/1'), [
    [{ kind: 'reference', url: 'http://other.org/fhir/Patient/1' }],
  ]);
  const ours = parseSearchRequest('Observation', [['subject', 'https://ct.example/fhir/Patient/1']], {
    ...lenient,
    baseUrl: 'https://ct.example/fhir/',
  });
  assert.deepEqual(ours.filters[0]?.values, [{ kind: 'reference', resourceType: 'Patient', id: '1' }]);
  assert.deepEqual(values('subject=Patient/1/_history/4'), [[{ kind: 'reference', resourceType: 'Patient', id: '1' }]]);
  const ident = parse('subject:identifier=http://hospital/mrn|123').filters[0];
  assert.equal(ident?.modifier, 'identifier');
  assert.deepEqual(ident?.values, [{ kind: 'token', system: 'http://hospital/mrn', code: '123' }]);
  assertBadRequest(() => parse('subject=Foo/1'), 'subject');
  assertBadRequest(() => parse('subject=bad id!'), 'subject');
});

test('one-level chaining through an explicit or implied target type', () => {
  const a = parse('subject:Patient.identifier=sys|val').filters[0];
  assert.equal(a?.chain?.targetType, 'Patient');
  assert.equal(a?.chain?.filter.param, getSearchParam('Patient', 'identifier'));
  assert.deepEqual(a?.chain?.filter.values, [{ kind: 'token', system: 'sys', code: 'val' }]);
  assert.deepEqual(a?.values, []);
  const b = parse('patient.name=shaw').filters[0];
  assert.equal(b?.chain?.targetType, 'Patient');
  assert.deepEqual(b?.chain?.filter.values, [{ kind: 'string', value: 'shaw' }]);
  const c = parse('patient.name:exact=Shaw').filters[0];
  assert.equal(c?.chain?.filter.modifier, 'exact');
  assertBadRequest(() => parse('subject.identifier=x'), 'subject.identifier');
  assertBadRequest(() => parse('patient.birthdate=1987-13'), 'birthdate');
});

test('unsupported chains and parameters: warnings when lenient, 400 when strict', () => {
  const cases: [string, string][] = [
    ['foo=bar', 'foo'],
    ['_has:Observation:patient:code=1234', '_has:Observation:patient:code'],
    ['code.name=x', 'code.name'],
    ['subject:Patient.organization.name=x', 'organization.name'],
    ['_sort=foo', '_sort'],
    ['_include=Observation:*', '_include'],
    ['_include=Observation:code', '_include'],
    ['_include=Patient:organization', '_include'],
    ['_include:bogus=Observation:patient', '_include'],
  ];
  for (const [query, param] of cases) {
    const r = parse(query);
    assert.equal(r.warnings?.length, 1, query);
    assert.equal(r.filters.length, 0, query);
    assertBadRequest(() => parse(query, 'Observation', strict), param);
  }
  const near = parse('near=1|2|3', 'Location');
  assert.equal(near.warnings?.length, 1);
  assert.deepEqual(parse('code=x&_format=json&_pretty=true', 'Observation', strict).warnings, []);
});

test('a known parameter with an unsupported modifier is a 400 even when lenient (R4 3.1.1.4.4)', () => {
  const cases: [string, string, string][] = [
    ['identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|111', 'identifier:of-type', 'Patient'],
    ['code:in=http://example.org/ValueSet/x', 'code:in', 'Observation'],
    ['code:below=http://loinc.org|1-1', 'code:below', 'Observation'],
    ['code:of-type=a|b|c', 'code:of-type', 'Observation'],
    ['name:text=smith', 'name:text', 'Patient'],
    ['birthdate:not=2000', 'birthdate:not', 'Patient'],
    ['subject:above=Patient/p1', 'subject:above', 'Observation'],
    ['date:exact=2020', 'date:exact', 'Observation'],
    ['code:bogus=x', 'code:bogus', 'Observation'],
    ['subject:Foo=1', 'subject:Foo', 'Observation'],
    ['patient.name:text=x', 'name:text', 'Observation'],
  ];
  for (const [query, param, type] of cases) {
    assertBadRequest(() => parse(query, type), param);
    assertBadRequest(() => parse(query, type, strict), param);
  }
});

test('uri with :below / :above, composites and :missing', () => {
  const u = parse('_profile:below=http://hl7.org/fhir/us/core').filters[0];
  assert.equal(u?.modifier, 'below');
  assert.deepEqual(u?.values, [{ kind: 'uri', value: 'http://hl7.org/fhir/us/core' }]);
  const c = values('code-value-quantity=http://loinc.org|8480-6$gt100|http://unitsofmeasure.org|mm[Hg]')[0]?.[0];
  assert.ok(c?.kind === 'composite');
  assert.deepEqual(c.parts[0], { kind: 'token', system: 'http://loinc.org', code: '8480-6' });
  assert.ok(c.parts[1]?.kind === 'quantity' && c.parts[1].prefix === 'gt' && c.parts[1].code === 'mm[Hg]');
  const d = values('code-value-date=http://loinc.org|1$ge2020')[0]?.[0];
  assert.ok(d?.kind === 'composite' && d.parts[1]?.kind === 'date');
  assertBadRequest(() => parse('code-value-quantity=http://loinc.org|8480-6'), 'code-value-quantity');
  assertBadRequest(() => parse('code-value-quantity=a$b$c'), 'code-value-quantity');
  assert.deepEqual(parse('code:missing=true').filters[0]?.values, [{ kind: 'missing', missing: true }]);
  assert.deepEqual(parse('subject:missing=false').filters[0]?.modifier, 'missing');
  assertBadRequest(() => parse('code:missing=maybe'), 'code:missing');
});

test('paging controls: _count bounded by maxCount, _offset, _page, bad values', () => {
  assert.equal(parse('').count, 20);
  assert.equal(parse('_count=500').count, 100);
  assert.equal(parse('_count=0').count, 0);
  assert.equal(parse('_offset=40').offset, 40);
  assert.equal(parse('_page=3&_count=10').offset, 20);
  assert.equal(parse('_count=10&_page=1').offset, 0);
  assertBadRequest(() => parse('_count=-1'), '_count');
  assertBadRequest(() => parse('_count=ten'), '_count');
  assertBadRequest(() => parse('_offset=1.5'), '_offset');
  assertBadRequest(() => parse('_page=0'), '_page');
});

test('_sort with several keys and directions, _id and _lastUpdated included', () => {
  const r = parse('_sort=-date,_id&_sort=-_lastUpdated');
  assert.deepEqual(
    r.sort.map((s) => [s.param.code, s.descending]),
    [
      ['date', true],
      ['_id', false],
      ['_lastUpdated', true],
    ],
  );
});

test('_include / _revinclude with targets and :iterate', () => {
  const r = parse(
    '_include=Observation:patient&_include=Observation:subject:Patient&_include:iterate=Patient:organization&_revinclude=Provenance:target',
  );
  assert.deepEqual(
    r.include.map((i) => [i.resourceType, i.param.code, i.targetType, i.iterate]),
    [
      ['Observation', 'patient', undefined, false],
      ['Observation', 'subject', 'Patient', false],
      ['Patient', 'organization', undefined, true],
    ],
  );
  assert.deepEqual(
    r.revinclude.map((i) => [i.resourceType, i.param.code, i.iterate]),
    [['Provenance', 'target', false]],
  );
  assert.equal(parse('_revinclude:iterate=Provenance:target').revinclude[0]?.iterate, true);
});

test('_summary, _elements, _total and their bad values', () => {
  const r = parse('_summary=count&_elements=status,Observation.code&_total=accurate');
  assert.equal(r.summary, 'count');
  assert.deepEqual(r.elements, ['status', 'code']);
  assert.equal(r.total, 'accurate');
  assert.equal(parse('').total, 'none');
  assertBadRequest(() => parse('_summary=bogus'), '_summary');
  assertBadRequest(() => parse('_total=all'), '_total');
  assertBadRequest(() => parse('_elements=a b'), '_elements');
});

test('empty values are ignored; unknown types are 404; tuple input works like a query string', () => {
  assert.deepEqual(parse('code=&status=,').filters, []);
  assert.throws(
    () => parse('', 'Nope'),
    (e: unknown) => e instanceof OperationOutcomeError && e.status === 404,
  );
  const tuples = parseSearchRequest(
    'Observation',
    [
      ['status', 'final'],
      ['patient', 'Patient/1'],
    ],
    lenient,
  );
  assert.deepEqual(tuples.filters, parse('status=final&patient=Patient/1').filters);
});

test('format then parse gives the same request back', () => {
  const queries = [
    'patient=123&status=final,amended&code=http://loinc.org|1234-5&date=ge2020-01-01&date=lt2021',
    'subject:Patient.identifier=sys|val&patient.name:exact=Shaw&code:text=glu cose&status:not=final',
    'code=|a\\,b&code=urn:x|&value-quantity=ap5.40||mg&date=2024-03-05T10:00:00.5+02:00',
    'code-value-quantity=http://loinc.org|8480-6$gt1e2|http://unitsofmeasure.org|mm[Hg]&code:missing=false',
    'subject:Patient=123&subject:identifier=urn:mrn|7&subject=http://x.org/fhir/Patient/1&_profile:below=http://a/b',
    '_sort=-date,_id&_count=5&_offset=10&_total=estimate&_summary=true&_elements=status,code',
    '_include=Observation:subject:Patient&_include:iterate=Patient:organization&_revinclude=Provenance:target',
    'name=a$b,c\\,d&_lastUpdated=gt2024-01-01T00:00:00Z',
    '_sort=-_lastUpdated&_count=5&_after=2024-01-01T10:00:00.123Z|obs-1',
    '_sort=_lastUpdated,-_id&_before=2024-01-01T10:00:00.000Z|o.2',
  ];
  for (const q of queries) {
    const type = q.startsWith('name=') ? 'Patient' : 'Observation';
    const first = parse(q, type);
    assert.deepEqual(first.warnings, [], q);
    const text = formatSearchRequest(first);
    const second = parse(text, type);
    assert.deepEqual(second, first, `${q} -> ${text}`);
    assert.equal(formatSearchRequest(second), text);
  }
  assert.equal(
    formatSearchRequest(parse('status=final,amended&patient=Patient/1&date=ge2020')),
    'status=final,amended&patient=Patient/1&date=ge2020&_count=20',
  );
});

test('_after / _before: instant|id positions, only on sorts led by _lastUpdated', () => {
  assert.deepEqual(parse('_sort=_lastUpdated&_after=2024-01-01T10:00:00.5Z|a-1').after, {
    lastUpdated: Date.UTC(2024, 0, 1, 10, 0, 0, 500),
    id: 'a-1',
  });
  assertBadRequest(() => parse('_sort=_lastUpdated&_after=2024-01-01T10|a'), '_after');
  assertBadRequest(() => parse('_sort=_lastUpdated&_before=2024-01-01T10:00:00Z'), '_before');
  assertBadRequest(() => parse('_sort=_lastUpdated&_after=2024-01-01T10:00:00Z|a b'), '_after');
  assertBadRequest(() => parse('_sort=date&_after=2024-01-01T10:00:00Z|a'), '_after');
  assertBadRequest(() => parse('_sort=_lastUpdated,date&_before=2024-01-01T10:00:00Z|a'), '_before');
});
