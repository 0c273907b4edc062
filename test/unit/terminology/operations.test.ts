import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Parameters, ParametersParameter } from 'fhir/r4.js';
import { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { lookup, parametersFromQuery, translate, validateCode } from '../../../src/terminology/operations.js';
import {
  CT_ABNORMALITY,
  CT_LOCATION,
  CT_RATE_18,
  MAP_ABNORMALITY_CT_RATE,
  MAP_LOCATION_SNOMED,
  SNOMED,
  SNOMED_FINDING_SITE,
  SNOMED_LATERALITY,
} from '../../../src/terminology/systems.js';

const t = getTerminology();

function value(p: Parameters, name: string): unknown {
  const x = p.parameter?.find((q) => q.name === name);
  return x?.valueString ?? x?.valueBoolean ?? x?.valueCode;
}

function matches(p: Parameters): ParametersParameter[] {
  return (p.parameter ?? []).filter((q) => q.name === 'match');
}

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof OperationOutcomeError) return e.status;
    throw e;
  }
  return 200;
}

test('$lookup returns display, definition and organ group of a code', () => {
  const out = lookup(t, parametersFromQuery({ system: CT_ABNORMALITY, code: 'pleural_effusion' }));
  assert.equal(value(out, 'display'), 'Pleural effusion');
  const props = (out.parameter ?? []).filter((p) => p.name === 'property');
  const group = props.find((p) => p.part?.[0]?.valueCode === 'organ-group');
  assert.equal(group?.part?.[1]?.valueCode, 'lung');
  assert.ok(props.some((p) => p.part?.[0]?.valueCode === 'definition'));
});

test('$lookup accepts a coding and answers 404 for an unknown code or system, 400 without a code', () => {
  const out = lookup(t, {
    resourceType: 'Parameters',
    parameter: [{ name: 'coding', valueCoding: { system: CT_LOCATION, code: 'right_lower' } }],
  });
  assert.equal(value(out, 'display'), 'Right lower lobe');
  assert.equal(
    status(() => lookup(t, parametersFromQuery({ system: CT_ABNORMALITY, code: 'elbow_pain' }))),
    404,
  );
  assert.equal(
    status(() => lookup(t, parametersFromQuery({ system: 'http://example.org/x', code: 'a' }))),
    404,
  );
  assert.equal(
    status(() => lookup(t, parametersFromQuery({ system: CT_ABNORMALITY }))),
    400,
  );
});

test('$validate-code: known code true, unknown code false, wrong display false with the right display', () => {
  assert.equal(value(validateCode(t, parametersFromQuery({ url: CT_RATE_18, code: 'lung_nodule' })), 'result'), true);
  assert.equal(value(validateCode(t, parametersFromQuery({ url: CT_RATE_18, code: 'lung_tumour' })), 'result'), false);
  const wrong = validateCode(t, parametersFromQuery({ url: CT_RATE_18, code: 'lung_nodule', display: 'Nodule' }));
  assert.equal(value(wrong, 'result'), false);
  assert.equal(value(wrong, 'display'), 'Lung nodule');
});

test('$validate-code with a codeableConcept is true when one of its codings is in the code system', () => {
  const concept = (codings: { system: string; code: string }[]): Parameters => ({
    resourceType: 'Parameters',
    parameter: [
      { name: 'url', valueUri: CT_ABNORMALITY },
      { name: 'codeableConcept', valueCodeableConcept: { coding: codings } },
    ],
  });
  const snomedFirst = [
    { system: SNOMED, code: '60046008' },
    { system: CT_ABNORMALITY, code: 'pleural_effusion' },
  ];
  assert.equal(value(validateCode(t, concept(snomedFirst)), 'result'), true);
  assert.equal(value(validateCode(t, concept([{ system: SNOMED, code: '60046008' }])), 'result'), false);
  assert.equal(value(validateCode(t, concept([{ system: CT_ABNORMALITY, code: 'nope' }])), 'result'), false);
});

test('$translate to SNOMED CT gives the confirmed code, with laterality as a product for a sided lobe', () => {
  const out = translate(t, parametersFromQuery({ url: MAP_LOCATION_SNOMED, system: CT_LOCATION, code: 'right_lower' }));
  assert.equal(value(out, 'result'), true);
  const [m] = matches(out);
  assert.equal(m?.part?.find((p) => p.name === 'concept')?.valueCoding?.code, '90572001');
  const product = m?.part?.find((p) => p.name === 'product');
  assert.equal(product?.part?.[0]?.valueUri, SNOMED_LATERALITY);
  assert.equal(product?.part?.[1]?.valueCoding?.code, '24028007');
});

test('$translate of an unmapped abnormality is result false with a message', () => {
  const out = translate(t, parametersFromQuery({ system: CT_ABNORMALITY, code: 'cardiomegaly', targetsystem: SNOMED }));
  assert.equal(value(out, 'result'), false);
  assert.match(String(value(out, 'message')), /no mapping/);
});

function rateTranslate(code: string, location?: string): string[] {
  const parameter: ParametersParameter[] = [
    { name: 'url', valueUri: MAP_ABNORMALITY_CT_RATE },
    { name: 'system', valueUri: CT_ABNORMALITY },
    { name: 'code', valueCode: code },
  ];
  if (location) {
    parameter.push({
      name: 'dependency',
      part: [
        { name: 'element', valueUri: SNOMED_FINDING_SITE },
        { name: 'concept', valueCodeableConcept: { coding: [{ system: CT_LOCATION, code: location }] } },
      ],
    });
  }
  return matches(translate(t, { resourceType: 'Parameters', parameter })).map(
    (m) => m.part?.find((p) => p.name === 'concept')?.valueCoding?.display ?? '',
  );
}

test('$translate to CT-RATE honours location dependencies (dependsOn)', () => {
  assert.deepEqual(rateTranslate('calcification', 'heart'), ['Coronary artery wall calcification']);
  assert.deepEqual(rateTranslate('calcification', 'aorta'), ['Arterial wall calcification']);
  assert.deepEqual(rateTranslate('calcification', 'kidney'), []);
  assert.deepEqual(rateTranslate('hernia', 'esophagus'), ['Hiatal hernia']);
  assert.deepEqual(rateTranslate('emphysema'), ['Emphysema']);
});

test('$translate without the dependency a mapping needs says so', () => {
  const out = translate(
    t,
    parametersFromQuery({ url: MAP_ABNORMALITY_CT_RATE, system: CT_ABNORMALITY, code: 'hernia' }),
  );
  assert.equal(value(out, 'result'), false);
  assert.match(String(value(out, 'message')), /dependency/);
});

test('$translate in reverse finds the sources of a target code', () => {
  const out = translate(
    t,
    parametersFromQuery({
      url: MAP_ABNORMALITY_CT_RATE,
      system: CT_RATE_18,
      code: 'medical_material',
      reverse: 'true',
    }),
  );
  const codes = matches(out).map((m) => m.part?.find((p) => p.name === 'concept')?.valueCoding?.code);
  assert.ok(codes.includes('chest_tube'));
  assert.ok(codes.includes('pacemaker_or_defib'));
});

test('$translate with an unknown map is 404 and a malformed dependency 400', () => {
  assert.equal(
    status(() => translate(t, parametersFromQuery({ url: 'http://x/ConceptMap/none', code: 'a' }))),
    404,
  );
  assert.equal(
    status(() =>
      translate(t, {
        resourceType: 'Parameters',
        parameter: [
          { name: 'code', valueCode: 'hernia' },
          { name: 'dependency', part: [{ name: 'element', valueUri: SNOMED_FINDING_SITE }] },
        ],
      }),
    ),
    400,
  );
});

test('abnormalityConcept: own coding plus equivalent SNOMED and RadLex codings only', async () => {
  const { abnormalityConcept, locationConcept } = await import('../../../src/terminology/codings.js');
  const effusion = abnormalityConcept(t, 'pleural_effusion');
  assert.deepEqual(
    effusion.coding?.map((c) => `${c.system}|${c.code}`),
    [`${CT_ABNORMALITY}|pleural_effusion`, `${SNOMED}|60046008`, 'http://radlex.org|RID34539'],
  );
  // nodule -> RadLex "pulmonary nodule" is narrower, so it stays out of the CodeableConcept.
  assert.ok(!abnormalityConcept(t, 'nodule').coding?.some((c) => c.code === 'RID50149'));
  assert.deepEqual(abnormalityConcept(t, 'cardiomegaly').coding?.length, 1);
  const rll = locationConcept(t, 'right_lower');
  assert.deepEqual(
    rll.site.coding?.map((c) => c.code),
    ['right_lower', '90572001'],
  );
  assert.equal(rll.laterality?.coding?.[0]?.code, '24028007');
  assert.equal(locationConcept(t, 'liver').laterality, undefined);
});

test('terminology resources can be read by id for GET /CodeSystem/{id} and /ConceptMap/{id}', async () => {
  const { terminologyResource } = await import('../../../src/terminology/operations.js');
  assert.equal(terminologyResource(t, 'CodeSystem', 'ct-abnormality')?.url, CT_ABNORMALITY);
  assert.equal(terminologyResource(t, 'ConceptMap', 'ct-abnormality-to-ct-rate-18')?.url, MAP_ABNORMALITY_CT_RATE);
  assert.equal(terminologyResource(t, 'CodeSystem', 'nope'), undefined);
});
