// FindingCodes from the shipped terminology: own codes first, only equivalent ConceptMap targets, laterality.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findingCodes, LATERALITY_EXTENSION } from '../../../src/findings/codes.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { CT_ABNORMALITY, CT_LOCATION, SNOMED } from '../../../src/terminology/systems.js';

const codes = findingCodes(getTerminology());

describe('finding codes from the terminology', () => {
  it('codes pleural effusion with the own code first and its confirmed SNOMED CT code', () => {
    const c = codes.abnormality('pleural_effusion');
    assert.equal(c.coding?.[0]?.system, CT_ABNORMALITY);
    assert.equal(c.coding?.[0]?.code, 'pleural_effusion');
    assert.ok(c.coding?.some((x) => x.system === SNOMED && x.code === '60046008'));
  });

  it('gives an abnormality without a confirmed mapping only the own code', () => {
    const c = codes.abnormality('bandlike_or_linear');
    assert.deepEqual(
      c.coding?.map((x) => x.system),
      [CT_ABNORMALITY],
    );
  });

  it('codes the left lower lobe as lower lobe of lung with left laterality', () => {
    const site = codes.location('left_lower')!;
    assert.equal(site.coding?.[0]?.system, CT_LOCATION);
    assert.ok(site.coding?.some((x) => x.code === '90572001'));
    assert.equal(site.extension?.[0]?.url, LATERALITY_EXTENSION);
    assert.equal(site.extension?.[0]?.valueCoding?.code, '7771000');
  });

  it('leaves a wider SNOMED code out of the lingula coding', () => {
    const site = codes.location('left_mid')!;
    assert.ok(!site.coding?.some((x) => x.code === '44714003'));
  });

  it('has no bodySite for other_location and codes presence with SNOMED and RadLex', () => {
    assert.equal(codes.location('other_location'), undefined);
    assert.ok(codes.presence('present').coding?.some((x) => x.code === '52101004'));
    assert.ok(codes.presence('absent').coding?.some((x) => x.code === 'RID28473'));
  });
});
