import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConceptMap } from 'fhir/r4.js';
import { DEFAULT_TERMINOLOGY_DIR, getTerminology, loadTerminology } from '../../../src/terminology/load.js';
import {
  CT_ABNORMALITY,
  CT_LOCATION,
  CT_RATE_18,
  DICOM_DCM,
  MAP_ABNORMALITY_CT_RATE,
  RADLEX,
  SNOMED,
} from '../../../src/terminology/systems.js';
import { TerminologyError } from '../../../src/terminology/validate.js';

// Codes confirmed in public sources (../shared/reference/fhir-and-codes.md). A mapping to any other external code
// fails this test: the product must never invent a SNOMED, RadLex or DICOM code.
const CONFIRMED: Record<string, ReadonlySet<string>> = {
  [SNOMED]: new Set([
    '60046008',
    '36118008',
    '27925004',
    '4147007',
    '373945007',
    '30746006',
    '112674009',
    '76171001',
    '59282003',
    '46621007',
    '87433001',
    '39607008',
    '31094006',
    '45653009',
    '72481006',
    '90572001',
    '44714003',
    '80891009',
    '72410000',
    '3120008',
    '76848001',
    '15825003',
    '113262008',
    '41801008',
    '46750007',
    '44567001',
    '32849002',
    '280062008',
    '62683002',
    '816094009',
    '24028007',
    '7771000',
    '51440002',
  ]),
  [RADLEX]: new Set([
    'RID34539',
    'RID3798',
    'RID28531',
    'RID28504',
    'RID50149',
    'RID5352',
    'RID4799',
    'RID1301',
    'RID1385',
    'RID480',
  ]),
  [DICOM_DCM]: new Set(['112120', '112106', '112113', '112130', '112127', '112121']),
};

const t = getTerminology();

test('code systems hold 84 abnormalities, 52 locations and 18 CT-RATE labels with organ groups', () => {
  assert.equal(t.codeSystems.get(CT_ABNORMALITY)?.concept?.length, 84);
  assert.equal(t.codeSystems.get(CT_LOCATION)?.concept?.length, 52);
  assert.equal(t.codeSystems.get(CT_RATE_18)?.concept?.length, 18);
  assert.equal(t.vocabulary.abnormalityGroup.get('pleural_effusion'), 'lung');
  assert.equal(t.vocabulary.abnormalityGroup.get('cardiomegaly'), 'heart');
  assert.equal(t.vocabulary.locationGroup.get('aorta'), 'great_vessel');
});

test('every external code in every ConceptMap is a confirmed code', () => {
  for (const map of t.conceptMaps.values()) {
    for (const group of map.group ?? []) {
      const confirmed = CONFIRMED[group.target ?? ''];
      for (const el of group.element ?? []) {
        for (const target of el.target ?? []) {
          if (target.equivalence === 'unmatched') continue;
          if (confirmed)
            assert.ok(confirmed.has(target.code ?? ''), `${map.url}: ${el.code} -> ${target.code} is not confirmed`);
          for (const p of target.product ?? []) {
            if (p.system === SNOMED) assert.ok(CONFIRMED[SNOMED]!.has(p.value ?? ''), `${map.url}: product ${p.value}`);
          }
        }
      }
    }
  }
});

test('the CT-RATE map covers all 18 labels and cardiomegaly is not mapped to the ambiguous SNOMED code', () => {
  const map = t.conceptMaps.get(MAP_ABNORMALITY_CT_RATE) as ConceptMap;
  const labels = new Set(map.group![0]!.element!.flatMap((e) => (e.target ?? []).map((x) => x.display)));
  for (const label of t.ctRate18.labels) assert.ok(labels.has(label), label);
  const snomed = [...t.conceptMaps.values()].flatMap((m) => m.group ?? []).filter((g) => g.target === SNOMED);
  const cardio = snomed.flatMap((g) => g.element ?? []).find((e) => e.code === 'cardiomegaly');
  assert.equal(cardio?.target?.[0]?.equivalence, 'unmatched');
});

test('the terminology is loaded once and cached', () => {
  assert.equal(getTerminology(), t);
  assert.equal(getTerminology(DEFAULT_TERMINOLOGY_DIR), t);
});

function brokenCopy(file: string, edit: (json: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctfhir-term-'));
  cpSync(DEFAULT_TERMINOLOGY_DIR, dir, { recursive: true });
  const path = join(dir, file);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(path, JSON.stringify(json));
  return dir;
}

function expectLoadError(dir: string, pattern: RegExp): void {
  try {
    assert.throws(
      () => loadTerminology(dir),
      (e: unknown) => e instanceof TerminologyError && pattern.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a vocabulary entry for an unknown abnormality is an error naming file and entry', () => {
  const dir = brokenCopy('vocabulary/abnormality-terms.json', (j) => {
    (j.abnormalities as Record<string, unknown>).not_a_code = { any: ['x'] };
  });
  expectLoadError(dir, /vocabulary\/abnormality-terms\.json: abnormalities\.not_a_code: unknown abnormality/);
});

test('a malformed term and a missing entry are errors naming the entry', () => {
  expectLoadError(
    brokenCopy('vocabulary/abnormality-terms.json', (j) => {
      (j.abnormalities as Record<string, { any: string[] }>).nodule!.any = ['*'];
    }),
    /abnormalities\.nodule\.any\[0\]/,
  );
  expectLoadError(
    brokenCopy('vocabulary/abnormality-terms.json', (j) => {
      delete (j.abnormalities as Record<string, unknown>).emphysema;
    }),
    /no entry for abnormality "emphysema"/,
  );
});

test('a ConceptMap dependsOn with an unknown location is an error', () => {
  const dir = brokenCopy('conceptmap-ct-abnormality-to-ct-rate-18.json', (j) => {
    const groups = j.group as { element: { code: string; target: { dependsOn?: { value: string }[] }[] }[] }[];
    const el = groups[0]!.element.find((e) => e.code === 'hernia')!;
    el.target[0]!.dependsOn![0]!.value = 'elbow';
  });
  expectLoadError(
    dir,
    /conceptmap-ct-abnormality-to-ct-rate-18\.json: group\[0\]\.element\[\d+\]\.target\[0\]\.dependsOn\[0\]\.value: unknown location "elbow"/,
  );
});

test('invalid JSON and a missing file are clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctfhir-term-'));
  cpSync(DEFAULT_TERMINOLOGY_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'vocabulary/sentence-rules.json'), '{ not json');
  expectLoadError(dir, /vocabulary\/sentence-rules\.json: invalid JSON/);
  const empty = mkdtempSync(join(tmpdir(), 'ctfhir-term-'));
  expectLoadError(empty, /codesystem-ct-abnormality\.json: cannot read/);
});

test('an unknown rule effect is an error', () => {
  const dir = brokenCopy('vocabulary/sentence-rules.json', (j) => {
    (j.rules as Record<string, { effect: string }>).hedge!.effect = 'maybe';
  });
  expectLoadError(dir, /rules\.hedge\.effect: "maybe" is not one of/);
});
