import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDicom, readPixelData } from '../../../../src/imaging/dicom/index.js';
import {
  CT_IMAGE_STORAGE,
  DicomWriteError,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLEMENTATION_CLASS_UID,
  createPhantom,
  encodePart10,
  formatDS,
  instanceUid,
  phantomIdentity,
  phantomInstances,
  uidFromName,
} from '../../../../src/imaging/phantom/index.js';

const META = { implementationClassUid: IMPLEMENTATION_CLASS_UID, implementationVersionName: 'TEST' };
const GEOMETRY = { nx: 48, ny: 40, nz: 6, dx: 7.5, dy: 9, dz: 62.5 };

function firstSlices(seed = 7) {
  const p = createPhantom({ seed, geometry: GEOMETRY, findings: [] });
  const id = phantomIdentity(seed);
  return { p, id, files: [...phantomInstances(p, id)].map((x) => x.bytes), hu: [...p.slices()].map((s) => s.hu) };
}

describe('phantom DICOM writer', () => {
  it('writes CT Image Storage files the Part 10 parser reads back with every required attribute', async () => {
    const { id, files, hu } = firstSlices();
    const ds = parseDicom(files[2]!);
    assert.equal(ds.transferSyntaxUid, EXPLICIT_VR_LITTLE_ENDIAN);
    assert.equal(ds.string('SOPClassUID'), CT_IMAGE_STORAGE);
    assert.equal(ds.string('Modality'), 'CT');
    assert.deepEqual(ds.strings('ImageType'), ['ORIGINAL', 'PRIMARY', 'AXIAL']);
    assert.equal(ds.string('StudyInstanceUID'), id.studyInstanceUid);
    assert.equal(ds.string('SeriesInstanceUID'), id.seriesInstanceUid);
    assert.equal(ds.string('AccessionNumber'), id.accessionNumber);
    assert.equal(ds.string('PatientID'), id.patientId);
    assert.equal(ds.string('RescaleType'), 'HU');
    assert.equal(ds.number('RescaleSlope'), 1);
    assert.equal(ds.number('RescaleIntercept'), -1024);
    assert.equal(ds.number('SliceThickness'), 62.5);
    assert.deepEqual(ds.numbers('PixelSpacing'), [9, 7.5]);
    assert.deepEqual(ds.numbers('ImageOrientationPatient'), [1, 0, 0, 0, 1, 0]);
    assert.deepEqual(ds.numbers('ImagePositionPatient'), [-176.25, -175.5, 31.25]);
    assert.equal(ds.number('InstanceNumber'), 3);
    assert.equal(ds.number('Rows'), 40);
    assert.equal(ds.number('Columns'), 48);
    const stored = await readPixelData(ds);
    for (let n = 0; n < stored.length; n++) assert.equal(stored[n]! - 1024, Math.max(-1024, hu[2]![n]!));
  });

  it('gives every instance a unique 2.25 UID and steps positions by the slice spacing', () => {
    const { files } = firstSlices();
    const sets = files.map((f) => parseDicom(f));
    const uids = new Set(sets.map((d) => d.string('SOPInstanceUID')));
    assert.equal(uids.size, files.length);
    for (const uid of uids) assert.match(uid!, /^2\.25\.[1-9]\d{0,38}$/);
    const z = sets.map((d) => d.numbers('ImagePositionPatient')[2]!);
    for (let k = 1; k < z.length; k++) assert.equal(z[k - 1]! - z[k]!, 62.5);
  });

  it('gives extra series of one study their own series and instance UIDs', () => {
    const main = phantomIdentity(5);
    const scout = phantomIdentity(5, '', { seriesNumber: 1, imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'] });
    assert.equal(scout.studyInstanceUid, main.studyInstanceUid);
    assert.notEqual(scout.seriesInstanceUid, main.seriesInstanceUid);
    assert.notEqual(instanceUid(scout, 0), instanceUid(main, 0));
  });

  it('derives stable UIDs from names and changes them with the salt', () => {
    assert.equal(uidFromName('a'), uidFromName('a'));
    assert.notEqual(uidFromName('a'), uidFromName('b'));
    assert.notEqual(phantomIdentity(1).studyInstanceUid, phantomIdentity(1, 'other').studyInstanceUid);
    assert.ok(uidFromName('x').length <= 64);
  });

  it('is accepted by dcmtk dcmdump without warnings', (t) => {
    if (spawnSync('dcmdump', ['--version']).status !== 0) {
      t.skip('dcmdump not installed (apt-get install -y dcmtk)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ctfhir-writer-'));
    try {
      const file = join(dir, 'ct.dcm');
      writeFileSync(file, firstSlices().files[0]!);
      const r = spawnSync('dcmdump', ['-dc', '+E', '+L', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /W:|E:/);
      assert.match(r.stdout, /\(0008,0016\) UI =CTImageStorage/);
      assert.match(r.stdout, /\(0028,1054\) LO \[HU\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses values that break their VR rules, naming the element', () => {
    const base = { SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: '1.2.3' };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ StudyInstanceUID: '1.02.3' }, /StudyInstanceUID .*not a valid UI/],
      [{ Modality: 'ct' }, /Modality .*not a valid CS/],
      [{ PatientID: 'x'.repeat(65) }, /PatientID .*longer than 64/],
      [{ Rows: 70000 }, /Rows .*outside 0\.\.65535/],
      [{ StudyDate: '2026011' }, /StudyDate .*not a valid DA/],
      [{ PatientName: 'Müller^A' }, /printable ASCII/],
      [{ InstanceNumber: 1.5 }, /not a 32-bit integer/],
      [{ NoSuchKeyword: 'x' }, /unknown keyword "NoSuchKeyword"/],
      [{ TransferSyntaxUID: '1.2' }, /file meta group/],
    ];
    for (const [extra, message] of bad) {
      assert.throws(
        () => encodePart10({ ...base, ...(extra as Record<string, string>) }, META),
        (e: unknown) => e instanceof DicomWriteError && message.test(e.message),
      );
    }
    assert.throws(() => encodePart10({ Modality: 'CT' }, META), /SOPClassUID and SOPInstanceUID are required/);
  });

  it('formats decimal strings in at most 16 characters', () => {
    assert.equal(formatDS(0.7), '0.7');
    assert.equal(formatDS(-0), '0');
    assert.ok(formatDS(-178.65000000000001).length <= 16);
    assert.ok(formatDS(1 / 3).length <= 16);
    assert.equal(Number(formatDS(123456.789012345)).toFixed(3), '123456.789');
    assert.throws(() => formatDS(Number.NaN), /finite/);
  });
});
