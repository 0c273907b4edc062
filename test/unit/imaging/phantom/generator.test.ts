import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createPhantom, parseFindings, TISSUE, TISSUES } from '../../../../src/imaging/phantom/index.js';
import type { Phantom } from '../../../../src/imaging/phantom/index.js';
import { colOf, rowOf, sliceOf } from '../../../../src/imaging/phantom/geometry.js';

// 128 x 128 x 64 over a 358 x 358 x 375 mm field: the whole chest at 2.8 x 2.8 x 5.86 mm.
const GEOMETRY = { nx: 128, ny: 128, nz: 64, dx: 2.8, dy: 2.8, dz: 5.86 };

function digest(p: Phantom): string {
  const h = createHash('sha256');
  for (const s of p.slices()) h.update(s.hu);
  return h.digest('hex');
}

/** Mean HU and voxel count per tissue label over the whole phantom. */
function tissueStats(p: Phantom): { mean: number[]; count: number[] } {
  const sum = new Float64Array(TISSUES.length);
  const count = new Array<number>(TISSUES.length).fill(0);
  for (const s of p.slices()) {
    for (let n = 0; n < s.hu.length; n++) {
      const t = s.labels[n]!;
      sum[t] = sum[t]! + s.hu[n]!;
      count[t] = count[t]! + 1;
    }
  }
  return { mean: Array.from(sum, (v, i) => v / Math.max(1, count[i]!)), count };
}

describe('phantom generator', () => {
  it('produces identical pixels for the same seed and different pixels for another seed', () => {
    const a = digest(createPhantom({ seed: 11, geometry: GEOMETRY, findings: [] }));
    const b = digest(createPhantom({ seed: 11, geometry: GEOMETRY, findings: [] }));
    const c = digest(createPhantom({ seed: 12, geometry: GEOMETRY, findings: [] }));
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('keeps findings placement stable when another finding is added', () => {
    const one = createPhantom({ seed: 5, geometry: GEOMETRY, findings: parseFindings('nodule@right_upper:10mm') });
    const two = createPhantom({
      seed: 5,
      geometry: GEOMETRY,
      findings: parseFindings('nodule@right_upper:10mm,cardiomegaly'),
    });
    assert.deepEqual(one.findings[0]!.centerMm, two.findings[0]!.centerMm);
  });

  it('gives organs realistic mean attenuation', () => {
    const { mean, count } = tissueStats(createPhantom({ seed: 3, geometry: GEOMETRY, findings: [] }));
    const expect: [number, number, number][] = [
      [TISSUE.outside, -1010, -990],
      [TISSUE.fat, -120, -80],
      [TISSUE.muscle, 30, 60],
      [TISSUE.lung, -900, -820],
      [TISSUE.heart, 30, 55],
      [TISSUE.aorta, 30, 60],
      [TISSUE.airway, -1010, -970],
      [TISSUE.cortex, 700, 1000],
      [TISSUE.marrow, 180, 350],
      [TISSUE.liver, 45, 75],
      [TISSUE.mediastinalFat, -120, -70],
    ];
    for (const [t, lo, hi] of expect) {
      assert.ok(count[t]! > 20, `${TISSUES[t]!.name} present (${count[t]} voxels)`);
      assert.ok(
        mean[t]! >= lo && mean[t]! <= hi,
        `${TISSUES[t]!.name} mean ${mean[t]!.toFixed(1)} HU in [${lo}, ${hi}]`,
      );
    }
  });

  it('adds noise with about the tabulated standard deviation', () => {
    const p = createPhantom({ seed: 4, geometry: GEOMETRY, findings: [] });
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (const sl of p.slices()) {
      for (let i = 0; i < sl.hu.length; i++) {
        if (sl.labels[i] !== TISSUE.liver) continue;
        n++;
        s += sl.hu[i]!;
        s2 += sl.hu[i]! * sl.hu[i]!;
      }
    }
    const sd = Math.sqrt(s2 / n - (s / n) ** 2);
    assert.ok(Math.abs(sd - TISSUES[TISSUE.liver]!.sd) < 2, `liver noise SD ${sd.toFixed(1)}`);
  });

  it('draws a nodule of the requested diameter centred where labels.json says', () => {
    const geometry = { nx: 256, ny: 256, nz: 150, dx: 1.4, dy: 1.4, dz: 2.5 };
    const p = createPhantom({ seed: 21, geometry, findings: parseFindings('nodule@left_lower:14mm') });
    const f = p.findings[0]!;
    assert.equal(f.location, 'left_lower');
    const [x, y, z] = f.centerMm!;
    const k = Math.round(sliceOf(p.frame, z));
    const j = Math.round(rowOf(p.frame, y));
    const i0 = Math.round(colOf(p.frame, x));
    for (const s of p.slices()) {
      if (s.k !== k) continue;
      let width = 0;
      for (let i = 0; i < geometry.nx; i++) if (s.labels[j * geometry.nx + i] === TISSUE.nodule) width++;
      assert.equal(s.labels[j * geometry.nx + i0], TISSUE.nodule);
      assert.ok(s.hu[j * geometry.nx + i0]! > -100, 'soft-tissue attenuation at the centre');
      assert.ok(Math.abs(width * geometry.dx - 14) <= 2 * geometry.dx, `nodule width ${width * geometry.dx} mm`);
    }
    const volume = (4 / 3) * Math.PI * 7 ** 3;
    const painted = f.painters.reduce((n, q) => n + q.voxels, 0) * geometry.dx * geometry.dy * geometry.dz;
    assert.ok(
      Math.abs(painted - volume) / volume < 0.15,
      `nodule volume ${painted.toFixed(0)} vs ${volume.toFixed(0)} mm3`,
    );
  });

  it('puts a left pleural effusion posteriorly in the left hemithorax only', () => {
    const p = createPhantom({
      seed: 8,
      geometry: GEOMETRY,
      findings: parseFindings('pleural_effusion@left_lung:large'),
    });
    let left = 0;
    let right = 0;
    let posterior = 0;
    for (const s of p.slices()) {
      for (let n = 0; n < s.labels.length; n++) {
        if (s.labels[n] !== TISSUE.pleuralFluid) continue;
        const i = n % GEOMETRY.nx;
        const j = Math.floor(n / GEOMETRY.nx);
        if (i >= GEOMETRY.nx / 2) left++;
        else right++;
        if (j > GEOMETRY.ny / 2) posterior++;
      }
    }
    assert.ok(left > 500, `left fluid voxels ${left}`);
    assert.equal(right, 0);
    assert.ok(posterior / left > 0.9, 'dependent (posterior) fluid');
  });

  it('puts a pneumothorax anteriorly on the requested side', () => {
    const p = createPhantom({
      seed: 8,
      geometry: GEOMETRY,
      findings: parseFindings('pneumothorax@right_lung:moderate'),
    });
    let right = 0;
    let anterior = 0;
    let left = 0;
    for (const s of p.slices()) {
      for (let n = 0; n < s.labels.length; n++) {
        if (s.labels[n] !== TISSUE.pneumothorax) continue;
        if (n % GEOMETRY.nx < GEOMETRY.nx / 2) right++;
        else left++;
        if (Math.floor(n / GEOMETRY.nx) < GEOMETRY.ny / 2) anterior++;
      }
    }
    assert.ok(right > 300);
    assert.equal(left, 0);
    assert.ok(anterior / right > 0.9);
  });

  it('enlarges the heart for cardiomegaly and calcifies the coronaries and aorta', () => {
    const heartVoxels = (p: Phantom): number => tissueStats(p).count[TISSUE.heart]!;
    const normal = heartVoxels(createPhantom({ seed: 2, geometry: GEOMETRY, findings: [] }));
    const big = createPhantom({
      seed: 2,
      geometry: GEOMETRY,
      findings: parseFindings('cardiomegaly:severe,coronary_artery_disease:severe,atherosclerosis:severe'),
    });
    const stats = tissueStats(big);
    assert.ok(stats.count[TISSUE.heart]! > normal * 1.8, `heart ${stats.count[TISSUE.heart]} vs ${normal} voxels`);
    assert.ok(stats.count[TISSUE.calcification]! > 5);
    assert.ok(stats.mean[TISSUE.calcification]! > 400);
  });

  it('draws every catalogued finding with painted voxels', () => {
    const all =
      'nodule@right_mid:8mm,mass@left_upper:40mm,pleural_effusion@right_lung:small,pneumothorax@left_lung:small,' +
      'consolidation@right_lower:moderate,groundglass@left_lung:mild,atelectasis@lung:mild,emphysema@lung:moderate,' +
      'cardiomegaly:mild,pericardial_effusion:moderate,coronary_artery_disease:mild,atherosclerosis:mild,lymphadenopathy@mediastinum:16mm';
    const p = createPhantom({ seed: 31, geometry: GEOMETRY, findings: parseFindings(all) });
    for (const _ of p.slices());
    for (const f of p.findings) {
      if (f.spec.abnormality === 'cardiomegaly') continue;
      const voxels = f.painters.reduce((n, q) => n + q.voxels, 0);
      assert.ok(voxels > 0, `${f.spec.abnormality} painted`);
    }
  });

  it('refuses a lesion that cannot fit the requested lobe', () => {
    const tiny = { nx: 32, ny: 32, nz: 16, dx: 2, dy: 2, dz: 4 };
    assert.throws(
      () => createPhantom({ seed: 1, geometry: tiny, findings: parseFindings('mass@right_mid:80mm') }),
      /does not fit in right_mid/,
    );
  });

  it('rejects a bad seed and a bad geometry with clear messages', () => {
    assert.throws(() => createPhantom({ seed: -1, geometry: GEOMETRY, findings: [] }), /seed must be an integer/);
    assert.throws(
      () => createPhantom({ seed: 1, geometry: { ...GEOMETRY, dx: 0 }, findings: [] }),
      /dx must be positive/,
    );
  });

  it('streams slices without holding the volume (memory stays flat on a 512 x 512 x 3000 series)', () => {
    const p = createPhantom({
      seed: 1,
      geometry: { nx: 512, ny: 512, nz: 3000, dx: 0.7, dy: 0.7, dz: 0.125 },
      findings: [],
    });
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let n = 0;
    for (const s of p.slices()) {
      assert.equal(s.hu.length, 512 * 512);
      if (++n === 3) break;
    }
    const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 64 * 1024 * 1024, `grew ${(grown / 1048576).toFixed(1)} MiB (a full int16 volume is 1500 MiB)`);
  });
});
