// Transfer syntaxes ct-fhir cannot decode, retrieved from a real Orthanc: the series is asked for again as Explicit
// VR Little Endian, which Orthanc transcodes to (JPEG Extended 12-bit made by dcmtk's dcmcjpeg); a syntax Orthanc
// cannot transcode either ends the retrieval with a clear 'transfer-syntax' error.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger, type Logger } from '../../../src/log.js';
import { parseDicom } from '../../../src/imaging/dicom/index.js';
import { DicomwebClient, DicomwebError } from '../../../src/imaging/dicomweb/index.js';
import { assembleVolume } from '../../../src/imaging/volume/index.js';
import { syntheticSlice, writeSyntheticSeries, type SeriesSpec } from '../../support/ct-series.js';
import { writeCtSlice } from '../../support/dicom-writer.js';
import { orthancUnavailable, startOrthanc, type OrthancServer } from '../../support/orthanc.js';

const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
const HTJ2K = '1.2.840.10008.1.2.4.201';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const dcmtk = spawnSync('dcmcjpeg', ['-h'], { stdio: 'ignore' }).error === undefined;
const skip = orthancUnavailable() ?? (dcmtk ? undefined : 'dcmtk is not installed (apt-get install dcmtk)');

interface Stored {
  studyUid: string;
  seriesUid: string;
  spec: SeriesSpec;
  sopUids: Set<string>;
}

/** A logger that keeps the fields of each warning, by message. */
function recorder(): { logger: Logger; warnings: [string, Record<string, unknown>][] } {
  const warnings: [string, Record<string, unknown>][] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (msg, fields = {}) => void warnings.push([msg, fields]),
  };
  return { logger, warnings };
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('retrieval of transfer syntaxes ct-fhir cannot decode, from Orthanc', { skip }, () => {
  let pacs: OrthancServer;
  let dir = '';
  const series: Record<'lossy' | 'mixed' | 'htj2k', Stored> = {} as Record<'lossy' | 'mixed' | 'htj2k', Stored>;

  /** Writes a synthetic series, encodes the slices `jpeg` picks as JPEG Extended (lossy 12-bit), uploads all. */
  async function store(name: keyof typeof series, spec: SeriesSpec, jpeg: (i: number) => boolean): Promise<void> {
    const written = writeSyntheticSeries(join(dir, name), spec);
    const sopUids = new Set<string>();
    for (const file of written.files) {
      const i = Number(file.slice(-9, -4));
      let path = file;
      if (jpeg(i)) {
        path = `${file}.jpeg`;
        execFileSync('dcmcjpeg', ['+ee', file, path], { stdio: 'pipe' });
      }
      const bytes = new Uint8Array(readFileSync(path));
      sopUids.add(parseDicom(bytes).string('SOPInstanceUID')!);
      await pacs.upload(bytes);
    }
    series[name] = { studyUid: written.studyUid, seriesUid: written.seriesUid, spec, sopUids };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctfhir-transcode-'));
    pacs = await startOrthanc();
    await store('lossy', { rows: 64, columns: 48, slices: 4, seed: 3 }, () => true);
    // Slices 4 and 3 (native) go in first, so the stream switches after them.
    await store('mixed', { rows: 32, columns: 32, slices: 5, seed: 4 }, (i) => i < 3);
    // HTJ2K: Orthanc stores it but cannot decode it, so it cannot transcode it (the bytes are never decoded).
    await store(
      'htj2k',
      {
        rows: 16,
        columns: 16,
        slices: 2,
        seed: 5,
        slice: () => ({ encapsulated: { transferSyntaxUid: HTJ2K, frames: [new Uint8Array(64).fill(7)] } }),
      },
      () => false,
    );
  });
  after(async () => {
    await pacs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('asks again for Explicit VR Little Endian when the stored JPEG Extended cannot be decoded', async () => {
    const s = series.lossy;
    const { logger, warnings } = recorder();
    const client = new DicomwebClient(pacs.dicomweb, { retries: 0, logger });
    const parts = await collect(client.retrieveSeries(s.studyUid, s.seriesUid));
    const datasets = parts.map((b) => parseDicom(b));
    assert.deepEqual(
      datasets.map((d) => d.transferSyntaxUid),
      datasets.map(() => EXPLICIT_LE),
    );
    assert.deepEqual(new Set(datasets.map((d) => d.string('SOPInstanceUID'))), s.sopUids);
    const why = warnings.filter(([msg]) => msg === 'dicomweb transcode').map(([, f]) => String(f.why));
    assert.equal(why.length, 1);
    assert.ok(why[0]!.includes(`is in JPEG Extended (Process 2 & 4) (${JPEG_EXTENDED})`), why[0]);
    const volume = await assembleVolume(datasets, { expectedSlices: s.spec.slices });
    // Lossy: the HU of the transcoded volume stay close to the synthetic slices (12-bit, IJG quality 90).
    let error = 0;
    for (let z = 0; z < s.spec.slices; z++) {
      const expected = syntheticSlice(s.spec, z);
      const slice = volume.data.subarray(z * expected.length, (z + 1) * expected.length);
      for (let i = 0; i < expected.length; i++) error += Math.abs(slice[i]! - (expected[i]! - 1024));
    }
    assert.ok(error / volume.data.length < 15, `mean absolute error ${error / volume.data.length} HU`);
  });

  it('keeps the decodable instances it already has and fetches only the rest transcoded', async () => {
    const s = series.mixed;
    const { logger, warnings } = recorder();
    const client = new DicomwebClient(pacs.dicomweb, { retries: 0, logger });
    const datasets = (await collect(client.retrieveSeries(s.studyUid, s.seriesUid))).map((b) => parseDicom(b));
    assert.equal(datasets.length, s.spec.slices);
    assert.deepEqual(new Set(datasets.map((d) => d.string('SOPInstanceUID'))), s.sopUids);
    assert.ok(datasets.every((d) => d.transferSyntaxUid === EXPLICIT_LE));
    const volume = await assembleVolume(datasets, { expectedSlices: s.spec.slices });
    assert.equal(volume.data.length, 5 * 32 * 32);
    const switched = warnings.filter(([msg]) => msg === 'dicomweb transcode').map(([, f]) => f.delivered);
    assert.deepEqual(switched, [2], 'switched once, after the two native instances');
  });

  it('fails clearly, without retrying, when the PACS cannot transcode the stored syntax either', async () => {
    const s = series.htj2k;
    const client = new DicomwebClient(pacs.dicomweb, { retries: 3, backoffMs: 2000 });
    const started = Date.now();
    await assert.rejects(
      collect(client.retrieveSeries(s.studyUid, s.seriesUid)),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'transfer-syntax' &&
        !e.retryable &&
        e.message.includes(`High-Throughput JPEG 2000 Image Compression (Lossless Only) (${HTJ2K})`) &&
        e.message.includes(`Explicit VR Little Endian (${EXPLICIT_LE})`),
    );
    assert.ok(Date.now() - started < 1500, 'no backoff wait');
  });
});

describe('transfer syntax fallback against a local server', () => {
  const STUDY = '1.2.826.0.1.3680043.8.498.1';
  const SERIES = '1.2.826.0.1.3680043.8.498.2';
  const BOUNDARY = 'ctfhir-ts-boundary';
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  /** A CT slice whose header says `ts` (the pixel bytes are never decoded here). */
  function slice(ts: string): Uint8Array {
    const spec = {
      rows: 2,
      columns: 2,
      pixels: new Int16Array(4),
      position: [0, 0, 0] as [number, number, number],
      studyUid: STUDY,
      seriesUid: SERIES,
      instanceNumber: 1,
    };
    if (ts === EXPLICIT_LE) return writeCtSlice(spec);
    return writeCtSlice({ ...spec, encapsulated: { transferSyntaxUid: ts, frames: [new Uint8Array(8)] } });
  }

  function multipart(parts: Uint8Array[]): Buffer {
    const head = `--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`;
    return Buffer.concat([
      ...parts.flatMap((p) => [Buffer.from(head), p, Buffer.from('\r\n')]),
      Buffer.from(`--${BOUNDARY}--\r\n`),
    ]);
  }

  /** Serves one WADO-RS answer per request; records the Accept headers. */
  async function serve(
    answer: (accept: string, res: ServerResponse) => void,
  ): Promise<{ url: string; accepts: string[] }> {
    const accepts: string[] = [];
    const server = createServer((req, res) => {
      accepts.push(req.headers.accept ?? '');
      answer(req.headers.accept ?? '', res);
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const addr = server.address();
    return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/dicom-web`, accepts };
  }
  const MULTIPART = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

  it('fails clearly when the PACS refuses Explicit VR Little Endian too (406)', async () => {
    const { url, accepts } = await serve((accept, res) => {
      if (accept.includes('transfer-syntax=*'))
        res.writeHead(200, { 'content-type': MULTIPART }).end(multipart([slice(JPEG_BASELINE)]));
      else res.writeHead(406).end('no transcoding here');
    });
    await assert.rejects(
      collect(new DicomwebClient(url, { retries: 2, backoffMs: 5 }).retrieveSeries(STUDY, SERIES)),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'transfer-syntax' &&
        !e.retryable &&
        /JPEG Baseline \(Process 1\) \(1\.2\.840\.10008\.1\.2\.4\.50\), which ct-fhir cannot decode/.test(e.message) &&
        /it failed: PACS answered 406/.test(e.message),
    );
    assert.deepEqual(accepts, [
      'multipart/related; type="application/dicom"; transfer-syntax=*',
      `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`,
    ]);
  });

  it('fails clearly when the PACS ignores the request and sends the undecodable syntax again', async () => {
    const { url, accepts } = await serve((_accept, res) => {
      res.writeHead(200, { 'content-type': MULTIPART }).end(multipart([slice(JPEG_BASELINE)]));
    });
    await assert.rejects(
      collect(new DicomwebClient(url, { retries: 2, backoffMs: 5 }).retrieveSeries(STUDY, SERIES)),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'transfer-syntax' &&
        /although Explicit VR Little Endian was asked for/.test(e.message),
    );
    assert.equal(accepts.length, 2);
  });

  it('asks for Explicit VR Little Endian when a configured syntax is refused (406)', async () => {
    const { url, accepts } = await serve((accept, res) => {
      if (accept.endsWith(EXPLICIT_LE))
        res.writeHead(200, { 'content-type': MULTIPART }).end(multipart([slice(EXPLICIT_LE)]));
      else res.writeHead(406).end();
    });
    const client = new DicomwebClient(url, { retries: 0, transferSyntax: '1.2.840.10008.1.2.4.80' });
    const parts = await collect(client.retrieveSeries(STUDY, SERIES));
    assert.equal(parts.length, 1);
    assert.equal(parseDicom(parts[0]!).transferSyntaxUid, EXPLICIT_LE);
    assert.equal(accepts.length, 2);
  });
});
