// Regression test: a localizer (Image Type value 3 LOCALIZER) filed inside the axial series must not decide the
// series' orientation in the QIDO-RS probe (describeSeries asked for one instance, often the scout), and the
// assembler skips it: the series is chosen and its volume built without it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parseDicom } from '../../../src/imaging/dicom/index.js';
import { DicomwebClient, openStudyAt } from '../../../src/imaging/dicomweb/index.js';
import { createPhantom, phantomIdentity, phantomInstances } from '../../../src/imaging/phantom/index.js';
import { assembleVolume } from '../../../src/imaging/volume/index.js';
import { writeCtSlice } from '../../support/dicom-writer.js';
import { orthancUnavailable, startOrthanc, type OrthancServer } from '../../support/orthanc.js';

const STUDY = '1.2.826.0.1.3680043.8.498.1';
const SERIES = '1.2.826.0.1.3680043.8.498.2';

const instance = (imageType: string[], orientation: number[]): object => ({
  '00080008': { vr: 'CS', Value: imageType },
  '00200037': { vr: 'DS', Value: orientation },
});

describe('localizer in the series, QIDO-RS probe', () => {
  it('describes the series by its first instance that is not a localizer', async () => {
    const urls: string[] = [];
    const server = createServer((req, res) => {
      urls.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/dicom+json' });
      res.end(
        JSON.stringify([
          instance(['ORIGINAL', 'PRIMARY', 'LOCALIZER'], [1, 0, 0, 0, 0, -1]),
          instance(['ORIGINAL', 'PRIMARY', 'AXIAL'], [1, 0, 0, 0, 1, 0]),
        ]),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const addr = server.address();
      const client = new DicomwebClient(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
      const described = await client.describeSeries(STUDY, { seriesInstanceUid: SERIES, instanceCount: 41 });
      assert.deepEqual(described.imageType, ['ORIGINAL', 'PRIMARY', 'AXIAL']);
      assert.deepEqual(described.orientation, [1, 0, 0, 0, 1, 0]);
      assert.doesNotMatch(urls[0]!, /limit=1(&|$)/, 'asks for more than one instance');
    } finally {
      server.close();
    }
  });
});

describe('localizer in the series, from Orthanc', { skip: orthancUnavailable() }, () => {
  let pacs: OrthancServer;
  const id = phantomIdentity(404);
  before(async () => {
    pacs = await startOrthanc();
    // The scout first, as scanners send it, then the axial slices of the same series.
    await pacs.upload(
      writeCtSlice({
        rows: 32,
        columns: 64,
        pixels: new Int16Array(32 * 64),
        position: [-160, 0, 200],
        orientation: [1, 0, 0, 0, 0, -1],
        imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER',
        studyUid: id.studyInstanceUid,
        seriesUid: id.seriesInstanceUid,
        instanceNumber: 1,
        // The phantom's patient, or Orthanc files the scout under another study (its ids hash the patient too).
        extra: [
          { tag: 0x00100010, vr: 'PN', value: id.patientName },
          { tag: 0x00100020, vr: 'LO', value: id.patientId },
        ],
      }),
    );
    const phantom = createPhantom({
      seed: 404,
      geometry: { nx: 64, ny: 64, nz: 40, dx: 5.6, dy: 5.6, dz: 9.4 },
      findings: [],
    });
    for (const x of phantomInstances(phantom, id)) await pacs.upload(x.bytes);
  });
  after(async () => {
    await pacs?.stop();
  });

  it('chooses the series and assembles its 40 axial slices without the scout', async () => {
    const study = await openStudyAt({
      studyUid: id.studyInstanceUid,
      url: pacs.dicomweb,
      from: { config: 'DICOMWEB_URL' },
    });
    assert.equal(study.choice.series.seriesInstanceUid, id.seriesInstanceUid);
    assert.equal(study.choice.series.instanceCount, 41);
    async function* datasets() {
      for await (const bytes of study.instances()) yield parseDicom(bytes);
    }
    const volume = await assembleVolume(datasets(), { expectedSlices: study.choice.series.instanceCount });
    assert.deepEqual(volume.shape, [40, 64, 64]);
    assert.match(volume.warnings.join(), /skipped 1 localizer/);
  });
});
