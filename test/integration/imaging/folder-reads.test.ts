// Regression tests of the folder adapter (volume/load-folder.ts): a header whose 64 KiB prefix ends exactly after an
// element is read in full, not cut short; a file that vanishes between the scan and the read is a clean error, not an
// unhandled rejection from a read-ahead; a localizer first in file order does not stand for its series.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDicom } from '../../../src/imaging/dicom/index.js';
import {
  loadVolumeFromFolder,
  readHeader,
  readInstances,
  scanFolder,
  VolumeError,
} from '../../../src/imaging/volume/index.js';
import { newUid, writeCtSlice, type CtSliceSpec } from '../../support/dicom-writer.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctfhir-folder-'));
  dirs.push(dir);
  return dir;
}

function slice(z: number, ids: { study: string; series: string }, more: Partial<CtSliceSpec> = {}): Uint8Array {
  return writeCtSlice({
    rows: 8,
    columns: 8,
    pixels: new Int16Array(64).fill(z),
    position: [0, 0, z * 2],
    studyUid: ids.study,
    seriesUid: ids.series,
    instanceNumber: z + 1,
    ...more,
  });
}

describe('folder reads', () => {
  it('reads the whole header when an element ends exactly at the 64 KiB prefix', async () => {
    const dir = tempDir();
    const ids = { study: newUid(), series: newUid() };
    // A vendor block (group 0009) before the series attributes, sized to end exactly at byte 65536.
    const build = (z: number, length: number): Uint8Array =>
      slice(z, ids, {
        extra: [
          { tag: 0x00090010, vr: 'LO', value: 'ACME_HDR' },
          { tag: 0x00091010, vr: 'OB', value: new Uint8Array(length) },
        ],
      });
    const offset = parseDicom(build(0, 60_000)).element(0x00091010)!.offset;
    const length = 65_536 - offset - 12;
    for (let z = 0; z < 31; z++) writeFileSync(join(dir, `${String(z).padStart(3, '0')}.dcm`), build(z, length));
    const header = await readHeader(join(dir, '000.dcm'));
    assert.equal(header.string('SeriesInstanceUID'), ids.series);
    assert.equal(header.number('Rows'), 8);
    const scan = await scanFolder(dir);
    assert.deepEqual(scan.problems, []);
    assert.equal(scan.series.length, 1);
    assert.equal(scan.series[0]!.instanceCount, 31);
  });

  it('a file gone between the scan and the read fails the load cleanly, whatever reads are in flight', async () => {
    const dir = tempDir();
    const ids = { study: newUid(), series: newUid() };
    const files: string[] = [];
    for (let z = 0; z < 8; z++) {
      const f = join(dir, `${z}.dcm`);
      writeFileSync(f, slice(z, ids, { rows: 256, columns: 256, pixels: new Int16Array(256 * 256) }));
      files.push(f);
    }
    files[3] = join(dir, 'vanished.dcm');
    let unhandled: unknown;
    const onUnhandled = (reason: unknown): void => void (unhandled = reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const instances = readInstances(files);
      // Awaiting the first read while the fourth, read ahead, fails must not leave that failure unhandled.
      const first = await instances.next();
      assert.equal(first.done, false);
      await new Promise((r) => setTimeout(r, 50));
      await instances.next();
      await instances.next();
      await assert.rejects(
        instances.next(),
        (e: unknown) => e instanceof VolumeError && e.code === 'unreadable' && /vanished\.dcm/.test(e.message),
      );
      // Stopping early (a consumer failing on slice 1) leaves nothing behind either.
      const early = readInstances(files.slice(4).concat(join(dir, 'gone-too.dcm')));
      await early.next();
      await early.return(undefined);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.equal(unhandled, undefined, `unhandled rejection: ${String(unhandled)}`);
  });

  it('a localizer first in file order does not make the series look non-axial, and is skipped', async () => {
    const dir = tempDir();
    const ids = { study: newUid(), series: newUid() };
    writeFileSync(
      join(dir, '000-scout.dcm'),
      slice(0, ids, {
        imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER',
        orientation: [1, 0, 0, 0, 0, -1],
        position: [0, 0, 100],
        instanceNumber: 1,
      }),
    );
    for (let z = 0; z < 35; z++) writeFileSync(join(dir, `${String(z + 1).padStart(3, '0')}.dcm`), slice(z, ids));
    const scan = await scanFolder(dir);
    assert.deepEqual(scan.series[0]!.orientation, [1, 0, 0, 0, 1, 0]);
    const { volume, choice } = await loadVolumeFromFolder(dir);
    assert.equal(choice.series.seriesInstanceUid, ids.series);
    assert.deepEqual(volume.shape, [35, 8, 8]);
    assert.match(volume.warnings.join(), /skipped 1 localizer/);
  });
});
