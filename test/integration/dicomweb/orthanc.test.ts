// Retrieval from a real PACS: Orthanc with its DICOMweb plugin, loaded with phantom studies through its REST API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Endpoint, ImagingStudy } from 'fhir/r4.js';
import { parseDicom } from '../../../src/imaging/dicom/index.js';
import { DicomwebClient, DicomwebError, openStudy, openStudyAt } from '../../../src/imaging/dicomweb/index.js';
import type { SeriesIdentity } from '../../../src/imaging/phantom/index.js';
import { createPhantom, phantomIdentity, phantomInstances } from '../../../src/imaging/phantom/index.js';
import { assembleVolume } from '../../../src/imaging/volume/index.js';
import { orthancUnavailable, startOrthanc, type OrthancServer } from '../../support/orthanc.js';

const skip = orthancUnavailable();
const GEOMETRY = { nx: 64, ny: 64, nz: 40, dx: 5.6, dy: 5.6, dz: 9.4 };
const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';

function pacsEndpoint(address: string): Endpoint {
  return {
    resourceType: 'Endpoint',
    id: 'pacs',
    status: 'active',
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs' },
    payloadType: [{ text: 'DICOM' }],
    address,
  };
}

/** Encodes a phantom series; returns its instances' bytes. */
function series(seed: number, id: SeriesIdentity, nz = GEOMETRY.nz): Uint8Array[] {
  const p = createPhantom({ seed, geometry: { ...GEOMETRY, nz }, findings: [] });
  return [...phantomInstances(p, id)].map((x) => x.bytes);
}

describe('DICOMweb retrieval from Orthanc', { skip }, () => {
  let pacs: OrthancServer;
  const main = phantomIdentity(101);
  const derived = phantomIdentity(101, '', {
    seriesNumber: 3,
    seriesDescription: 'MIP',
    imageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
  });
  const scout = phantomIdentity(101, '', {
    seriesNumber: 1,
    seriesDescription: 'SCOUT',
    imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
  });
  const mr = phantomIdentity(202, '', { modality: 'MR', sopClassUid: MR_IMAGE_STORAGE, seriesDescription: 'T1 AXIAL' });
  const short = phantomIdentity(303);
  const shortScout = phantomIdentity(303, '', { seriesNumber: 1, imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'] });
  let sent: Uint8Array[] = [];

  before(async () => {
    pacs = await startOrthanc();
    sent = series(101, main);
    const uploads = [
      ...sent,
      ...series(101, derived, 45),
      ...series(101, scout, 2),
      ...series(202, mr),
      ...series(303, short, 20),
      ...series(303, shortScout, 2),
    ];
    for (const bytes of uploads) await pacs.upload(bytes);
  });
  after(async () => {
    await pacs?.stop();
  });

  it('retrieves the chosen series byte-identical to what was stored, one instance at a time', async () => {
    const study = await openStudyAt({
      studyUid: main.studyInstanceUid,
      url: pacs.dicomweb,
      from: { config: 'DICOMWEB_URL' },
    });
    assert.equal(study.choice.series.seriesInstanceUid, main.seriesInstanceUid);
    const expected = new Set(sent.map((b) => Buffer.from(b).toString('base64')));
    let count = 0;
    for await (const bytes of study.instances()) {
      assert.ok(expected.delete(Buffer.from(bytes).toString('base64')), `instance ${count + 1} matches a stored file`);
      count++;
    }
    assert.equal(count, GEOMETRY.nz);
    assert.equal(expected.size, 0);
  });

  it('chooses the ORIGINAL axial CT series with the most instances and records why the others lost', async () => {
    const study = await openStudyAt({
      studyUid: main.studyInstanceUid,
      url: pacs.dicomweb,
      from: { config: 'DICOMWEB_URL' },
    });
    assert.equal(study.series.length, 3);
    assert.match(study.choice.reason, /CT, ORIGINAL, axial, 40 instances/);
    const why = Object.fromEntries(study.choice.rejected.map((r) => [r.seriesInstanceUid, r.reasons.join('; ')]));
    assert.match(why[derived.seriesInstanceUid]!, /DERIVED\\SECONDARY\\AXIAL is not ORIGINAL/);
    assert.match(why[scout.seriesInstanceUid]!, /2 instance\(s\), fewer than 31/);
  });

  it('feeds the stream into the volume assembler', async () => {
    const study = await openStudyAt({
      studyUid: main.studyInstanceUid,
      url: pacs.dicomweb,
      from: { config: 'DICOMWEB_URL' },
    });
    async function* datasets() {
      for await (const bytes of study.instances()) yield parseDicom(bytes);
    }
    const volume = await assembleVolume(datasets(), { expectedSlices: study.choice.series.instanceCount });
    assert.equal(volume.data.length, 64 * 64 * 40);
  });

  it('follows an ImagingStudy with a contained dicom-wado-rs Endpoint', async () => {
    const imagingStudy: ImagingStudy = {
      resourceType: 'ImagingStudy',
      id: 'ph101',
      status: 'available',
      subject: { reference: 'Patient/ph' },
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${main.studyInstanceUid}` }],
      contained: [pacsEndpoint(pacs.dicomweb)],
      endpoint: [{ reference: '#pacs' }],
    };
    const study = await openStudy(imagingStudy);
    assert.deepEqual(study.location.from, { endpoint: '#pacs' });
    assert.equal(study.choice.series.seriesInstanceUid, main.seriesInstanceUid);
  });

  it('reports an unknown study as not found', async () => {
    await assert.rejects(
      openStudyAt({ studyUid: '1.2.3.4.5', url: pacs.dicomweb, from: { config: 'DICOMWEB_URL' } }),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'not-found' &&
        e.status === 404 &&
        /study 1\.2\.3\.4\.5 is not in the PACS/.test(e.message),
    );
  });

  it('answers 404 for an unknown series without retrying', async () => {
    const client = new DicomwebClient(pacs.dicomweb, { retries: 3, backoffMs: 2000 });
    const started = Date.now();
    await assert.rejects(
      async () => {
        for await (const _ of client.retrieveSeries(main.studyInstanceUid, '1.2.3.999'))
          assert.fail('no instance expected');
      },
      (e: unknown) => e instanceof DicomwebError && e.kind === 'not-found' && !e.retryable,
    );
    assert.ok(Date.now() - started < 1500, 'no backoff wait');
  });

  it('refuses a study whose only series is not CT', async () => {
    await assert.rejects(
      openStudyAt({ studyUid: mr.studyInstanceUid, url: pacs.dicomweb, from: { config: 'DICOMWEB_URL' } }),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'no-usable-series' &&
        e.status === 422 &&
        /modality MR, not CT/.test(e.message),
    );
  });

  it('refuses a study with no usable series and lists each reason', async () => {
    await assert.rejects(
      openStudyAt({ studyUid: short.studyInstanceUid, url: pacs.dicomweb, from: { config: 'DICOMWEB_URL' } }),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'no-usable-series' &&
        /20 instance\(s\), fewer than 31/.test(e.message) &&
        /2 instance\(s\), fewer than 31/.test(e.message),
    );
  });
});
