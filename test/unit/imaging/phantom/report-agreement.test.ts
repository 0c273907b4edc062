// The contract between phantom reports and the team's report-label extractor (src/reports): reading a phantom's
// report.txt yields exactly the (abnormality, location) pairs of its labels.json, so report labels and image
// labels of one phantom agree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createPhantom,
  createRng,
  phantomLabels,
  phantomReport,
  randomFindings,
} from '../../../../src/imaging/phantom/index.js';
import { extractFindings } from '../../../../src/reports/extract.js';
import { getTerminology } from '../../../../src/terminology/load.js';

describe('phantom report read back by the label extractor', () => {
  it('gives exactly the labels.json pairs for 80 random phantoms', () => {
    const vocab = getTerminology().vocabulary;
    const disagreements: string[] = [];
    for (let seed = 0; seed < 80; seed++) {
      const specs = randomFindings(createRng(seed).fork('random-findings'));
      const p = createPhantom({
        seed,
        geometry: { nx: 64, ny: 64, nz: 32, dx: 5.6, dy: 5.6, dz: 11.7 },
        findings: specs,
      });
      const text = phantomReport(p.findings, createRng(seed).fork('report'));
      const labels = phantomLabels(seed, p.frame, p.findings, {});
      const want = new Set(Object.entries(labels.labels).flatMap(([a, ls]) => ls.map((l) => `${a}@${l}`)));
      const got = new Set(
        extractFindings(text, vocab)
          .filter((f) => f.polarity !== 'absent')
          .map((f) => `${f.abnormality}@${f.location}`),
      );
      const extra = [...got].filter((g) => !want.has(g));
      const missed = [...want].filter((w) => !got.has(w));
      if (extra.length || missed.length)
        disagreements.push(`seed ${seed}: extra ${extra.join(' ')} missed ${missed.join(' ')}`);
    }
    assert.deepEqual(disagreements, []);
  });
});
