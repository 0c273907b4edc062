import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FINDING_NAMES,
  createPhantom,
  createRng,
  parseFindings,
  phantomLabels,
  phantomReport,
  randomFindings,
} from '../../../../src/imaging/phantom/index.js';

const GEOMETRY = { nx: 96, ny: 96, nz: 48, dx: 3.75, dy: 3.75, dz: 7.8 };

/** Words that must appear in a positive sentence of each finding. */
const TERMS: Record<string, RegExp> = {
  nodule: /nodule/i,
  mass: /mass/i,
  pleural_effusion: /pleural effusion/i,
  pneumothorax: /pneumothorax/i,
  consolidation: /consolidation/i,
  groundglass: /ground[- ]glass/i,
  atelectasis: /atelectasis/i,
  emphysema: /emphysema/i,
  cardiomegaly: /cardiomegaly|heart is enlarged|heart size|heart is normal/i,
  pericardial_effusion: /pericardial effusion/i,
  coronary_artery_disease: /coronary/i,
  atherosclerosis: /atherosclero|aortic/i,
  lymphadenopathy: /lymph/i,
};
const NEGATION = /\b(no|without|normal|unremarkable)\b/i;

function build(seed: number, findings: string) {
  const p = createPhantom({ seed, geometry: GEOMETRY, findings: parseFindings(findings) });
  const text = phantomReport(p.findings, createRng(seed).fork('report'));
  return { p, text, sentences: text.split(/(?<=\.)\s+|\n/).filter((s) => s.trim() !== '') };
}

describe('phantom report text', () => {
  it('states every present finding in a sentence without negation, with its location and size', () => {
    const { text, sentences } = build(
      3,
      'nodule@right_upper:12mm,pleural_effusion@left_lung:large,lymphadenopathy@hilum:15mm',
    );
    const positive = (re: RegExp): string[] => sentences.filter((s) => re.test(s) && !NEGATION.test(s));
    assert.ok(
      positive(/nodule/).some((s) => /right upper lobe/.test(s) && /12 mm/.test(s)),
      text,
    );
    assert.ok(
      positive(/pleural effusion/).some((s) => /large left/i.test(s)),
      text,
    );
    assert.ok(
      positive(/lymph/).some((s) => /hilar/i.test(s) && /15 mm/.test(s)),
      text,
    );
    assert.match(text, /IMPRESSION:\n1\. .*nodule/i);
  });

  it('negates every finding that is absent and never negates a present one', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const specs = randomFindings(createRng(seed));
      const p = createPhantom({ seed, geometry: GEOMETRY, findings: specs });
      const text = phantomReport(p.findings, createRng(seed).fork('report'));
      const findingsSection = text.slice(text.indexOf('FINDINGS:'), text.indexOf('IMPRESSION:'));
      const sentences = findingsSection.split(/(?<=\.)\s+|\n/);
      for (const name of FINDING_NAMES) {
        const present = specs.some((s) => s.abnormality === name);
        const mentions = sentences.filter((s) => TERMS[name]!.test(s));
        if (present)
          assert.ok(
            mentions.some((s) => !NEGATION.test(s)),
            `${name} stated as present (seed ${seed}):\n${text}`,
          );
        else {
          assert.ok(mentions.length > 0, `${name} has a normal statement (seed ${seed}):\n${text}`);
          assert.ok(
            mentions.every((s) => NEGATION.test(s)),
            `${name} only negated (seed ${seed}):\n${text}`,
          );
        }
      }
    }
  });

  it('varies phrasing with the seed and repeats it for the same seed', () => {
    const texts = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => build(seed, 'nodule@left_lower:9mm').text));
    assert.ok(texts.size >= 3, `${texts.size} distinct reports`);
    assert.equal(build(4, 'nodule@left_lower:9mm').text, build(4, 'nodule@left_lower:9mm').text);
  });

  it('writes a normal impression for a normal chest', () => {
    const { text } = build(9, '');
    assert.match(text, /IMPRESSION:\n1\. (No acute cardiopulmonary abnormality|Normal CT of the chest)\./);
  });
});

describe('phantom labels.json', () => {
  it('lists each finding with its locations as a report states them, implied locations, size, and the absent findings', () => {
    const { p } = build(5, 'nodule@right_upper:12mm,pleural_effusion@lung:small,cardiomegaly');
    for (const _ of p.slices());
    const labels = phantomLabels(5, p.frame, p.findings, { studyInstanceUid: '1.2' });
    assert.deepEqual(labels.labels.nodule, ['right_upper']);
    assert.deepEqual(labels.labels.nodulegr1cm, ['right_upper']);
    assert.deepEqual(labels.labels.pleural_effusion, ['right_lung', 'left_lung']);
    assert.deepEqual(labels.findings[0]!.locations, ['right_upper', 'right_lung', 'lung']);
    assert.deepEqual(labels.labels.cardiomegaly, ['heart']);
    assert.equal(labels.findings[0]!.sizeMm, 12);
    assert.ok(labels.findings[0]!.voxels > 0);
    assert.ok(labels.absent.includes('pneumothorax'));
    assert.ok(!labels.absent.includes('nodule'));
  });

  it('does not add nodulegr1cm for a nodule of 10 mm or less', () => {
    const { p } = build(5, 'nodule@left_upper:10mm');
    const labels = phantomLabels(5, p.frame, p.findings, {});
    assert.equal(labels.labels.nodulegr1cm, undefined);
  });

  it('resolves a side-level location to the lobe where the lesion was drawn', () => {
    const { p } = build(12, 'nodule@left_lung:6mm');
    assert.match(p.findings[0]!.location, /^left_(upper|mid|lower)$/);
  });
});
