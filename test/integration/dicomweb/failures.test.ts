// Bad paths of DICOMweb retrieval against real local servers: a PACS that is down, hangs, stalls mid-stream, drops
// the connection, answers 5xx then recovers, answers 4xx, demands auth, or sends the wrong part type; and file://.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { DicomwebClient, DicomwebError, openStudyAt } from '../../../src/imaging/dicomweb/index.js';
import { createPhantom, phantomIdentity, writePhantom } from '../../../src/imaging/phantom/index.js';
import { freePort } from '../../support/orthanc.js';

const STUDY = '1.2.826.0.1.3680043.8.498.1';
const SERIES = '1.2.826.0.1.3680043.8.498.2';
const BOUNDARY = 'ctfhir-test-boundary';
const FAST = { retries: 2, backoffMs: 5, maxBackoffMs: 20 };

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A local HTTP server; `handler` gets the 1-based request number. Returns its base URL and the request log. */
async function serve(handler: Handler): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/dicom-web`, requests };
}

const PARTS = [
  Buffer.from('instance-one-'.repeat(50)),
  Buffer.from('instance-two'),
  Buffer.from('instance-three-'.repeat(900)),
];
function partBytes(p: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`),
    p,
    Buffer.from('\r\n'),
  ]);
}
const FULL = Buffer.concat([...PARTS.map(partBytes), Buffer.from(`--${BOUNDARY}--\r\n`)]);
const MULTIPART = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of it) out.push(Buffer.from(b));
  return out;
}

describe('DICOMweb failures', () => {
  it('reports a PACS that is down (connection refused) after retrying', async () => {
    const port = await freePort();
    const client = new DicomwebClient(`http://127.0.0.1:${port}/dicom-web`, FAST);
    await assert.rejects(
      client.searchSeries(STUDY),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'connection' &&
        e.status === 502 &&
        e.retryable &&
        /PACS unreachable .*ECONNREFUSED/.test(e.message),
    );
  });

  it('times out on a PACS that never answers, retrying with backoff', async () => {
    const { url, requests } = await serve(() => undefined);
    const client = new DicomwebClient(url, { ...FAST, retries: 1, timeoutMs: 250 });
    const started = Date.now();
    await assert.rejects(
      client.searchSeries(STUDY),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'timeout' &&
        e.status === 504 &&
        /did not answer .* within 250 ms/.test(e.message),
    );
    const took = Date.now() - started;
    assert.ok(took >= 500 && took < 3000, `took ${took} ms`);
    assert.equal(requests.length, 2);
  });

  it('retries 5xx answers and succeeds when the PACS recovers', async () => {
    const { url, requests } = await serve((_req, res, n) => {
      if (n < 3) {
        res.writeHead(503).end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/dicom+json' });
      res.end(
        JSON.stringify([
          {
            '0020000E': { vr: 'UI', Value: [SERIES] },
            '00080060': { vr: 'CS', Value: ['CT'] },
            '00201209': { vr: 'IS', Value: [3] },
          },
        ]),
      );
    });
    const series = await new DicomwebClient(url, FAST).searchSeries(STUDY);
    assert.equal(requests.length, 3);
    assert.deepEqual(
      series.map((s) => [s.seriesInstanceUid, s.modality, s.instanceCount]),
      [[SERIES, 'CT', 3]],
    );
  });

  it('does not retry a 4xx answer', async () => {
    const { url, requests } = await serve((_req, res) =>
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad includefield'),
    );
    await assert.rejects(
      new DicomwebClient(url, FAST).searchSeries(STUDY),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'http' &&
        e.upstreamStatus === 400 &&
        !e.retryable &&
        /400 Bad Request .*bad includefield/.test(e.message),
    );
    assert.equal(requests.length, 1);
  });

  it('sends bearer and basic credentials and never retries a 401', async () => {
    const seen: (string | undefined)[] = [];
    const { url, requests } = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(req.headers.authorization === 'Bearer s3cret' ? 204 : 401).end();
    });
    assert.deepEqual(
      await new DicomwebClient(url, { ...FAST, auth: { type: 'bearer', token: 's3cret' } }).searchSeries(STUDY),
      [],
    );
    await assert.rejects(
      new DicomwebClient(url, { ...FAST, auth: { type: 'basic', username: 'ann', password: 'pw' } }).searchSeries(
        STUDY,
      ),
      (e: unknown) => e instanceof DicomwebError && e.upstreamStatus === 401 && !/pw|ann/.test(e.message),
    );
    assert.deepEqual(seen, ['Bearer s3cret', `Basic ${Buffer.from('ann:pw').toString('base64')}`]);
    assert.equal(requests.length, 2);
  });

  it('resumes a WADO-RS stream that stalls mid-body without delivering an instance twice', async () => {
    const { url, requests } = await serve((_req, res, n) => {
      res.writeHead(200, { 'content-type': MULTIPART });
      if (n === 1)
        res.write(FULL.subarray(0, FULL.indexOf('instance-three') + 100)); // then silence
      else res.end(FULL);
    });
    const client = new DicomwebClient(url, { ...FAST, idleTimeoutMs: 200 });
    const got = await collect(client.retrieveSeries(STUDY, SERIES));
    assert.deepEqual(got, PARTS);
    assert.equal(requests.length, 2);
  });

  it('resumes after the connection drops mid-body', async () => {
    const { url, requests } = await serve((req, res, n) => {
      res.writeHead(200, { 'content-type': MULTIPART });
      if (n === 1) {
        res.write(FULL.subarray(0, FULL.indexOf('instance-two') + 3));
        setTimeout(() => req.socket.destroy(), 20);
      } else res.end(FULL);
    });
    const got = await collect(new DicomwebClient(url, FAST).retrieveSeries(STUDY, SERIES));
    assert.deepEqual(got, PARTS);
    assert.equal(requests.length, 2);
  });

  it('resumes by SOP Instance UID when the PACS answers the re-request in another order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ctfhir-resume-'));
    try {
      const written = await writePhantom(
        createPhantom({ seed: 78, geometry: { nx: 16, ny: 16, nz: 3, dx: 22, dy: 22, dz: 30 }, findings: [] }),
        phantomIdentity(78),
        join(dir, 'study'),
      );
      const instances = await Promise.all(written.files.map((f) => readFile(f)));
      assert.equal(instances.length, 3);
      const body = (parts: Buffer[]): Buffer =>
        Buffer.concat([...parts.map(partBytes), Buffer.from(`--${BOUNDARY}--\r\n`)]);
      const { url, requests } = await serve((req, res, n) => {
        res.writeHead(200, { 'content-type': MULTIPART });
        if (n === 1) {
          // the first instance, then the connection drops
          res.write(body(instances).subarray(0, partBytes(instances[0]!).length + BOUNDARY.length + 40));
          setTimeout(() => req.socket.destroy(), 20);
        } else res.end(body([...instances].reverse()));
      });
      const got = await collect(new DicomwebClient(url, FAST).retrieveSeries(STUDY, SERIES));
      assert.equal(requests.length, 2);
      assert.equal(got.length, 3, 'each instance once');
      assert.deepEqual(
        new Set(got.map((b) => b.toString('base64'))),
        new Set(instances.map((b) => b.toString('base64'))),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up after the configured retries when the stream keeps stalling', async () => {
    const { url, requests } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MULTIPART });
      res.write(FULL.subarray(0, 40));
    });
    const client = new DicomwebClient(url, { ...FAST, retries: 1, idleTimeoutMs: 100 });
    await assert.rejects(
      collect(client.retrieveSeries(STUDY, SERIES)),
      (e: unknown) => e instanceof DicomwebError && e.kind === 'timeout' && /stalled for 100 ms/.test(e.message),
    );
    assert.equal(requests.length, 2);
  });

  it('asks for Explicit VR Little Endian when the PACS refuses transfer-syntax=* (406)', async () => {
    const accepts: (string | undefined)[] = [];
    const { url } = await serve((req, res) => {
      accepts.push(req.headers.accept);
      if (req.headers.accept?.includes('transfer-syntax=*')) {
        res.writeHead(406).end();
        return;
      }
      res.writeHead(200, { 'content-type': MULTIPART }).end(FULL);
    });
    assert.deepEqual(await collect(new DicomwebClient(url, FAST).retrieveSeries(STUDY, SERIES)), PARTS);
    assert.deepEqual(accepts, [
      'multipart/related; type="application/dicom"; transfer-syntax=*',
      'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1',
    ]);
  });

  it('rejects a part that is not application/dicom and a non-multipart answer', async () => {
    const { url } = await serve((req, res) => {
      if (req.url?.includes('/series/9')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': MULTIPART });
      res.end(
        Buffer.concat([
          Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/octet-stream\r\n\r\nxx\r\n--${BOUNDARY}--`),
        ]),
      );
    });
    const client = new DicomwebClient(url, FAST);
    await assert.rejects(
      collect(client.retrieveSeries(STUDY, SERIES)),
      /part 1 .* is application\/octet-stream, not application\/dicom/,
    );
    await assert.rejects(
      collect(client.retrieveSeries(STUDY, '9')),
      /expected a multipart\/related response, got "application\/json"/,
    );
  });

  it('refuses UIDs that are not DICOM UIDs before building a URL', async () => {
    const client = new DicomwebClient('http://127.0.0.1:9/dicom-web', FAST);
    await assert.rejects(
      client.searchSeries('1.2/../../x'),
      (e: unknown) => e instanceof DicomwebError && e.kind === 'bad-request',
    );
    assert.throws(() => new DicomwebClient('ftp://pacs', FAST), /must be http\(s\)/);
  });
});

describe('file:// endpoints', () => {
  it('reads the chosen series of a study from a local folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ctfhir-file-pacs-'));
    try {
      const id = phantomIdentity(77);
      const written = await writePhantom(
        createPhantom({ seed: 77, geometry: { nx: 32, ny: 32, nz: 34, dx: 11.2, dy: 11.2, dz: 11 }, findings: [] }),
        id,
        join(dir, 'study'),
      );
      const study = await openStudyAt({
        studyUid: id.studyInstanceUid,
        url: pathToFileURL(dir).href,
        from: { config: 'DICOMWEB_URL' },
      });
      assert.equal(study.source, 'file');
      assert.equal(study.choice.series.seriesInstanceUid, id.seriesInstanceUid);
      const got = await collect(study.instances());
      const files = await Promise.all(written.files.map((f) => readFile(f)));
      assert.deepEqual(got, files);
      await assert.rejects(
        openStudyAt({ studyUid: '1.2.3', url: pathToFileURL(dir).href, from: { config: 'DICOMWEB_URL' } }),
        (e: unknown) =>
          e instanceof DicomwebError && e.kind === 'not-found' && /study 1\.2\.3 is not in/.test(e.message),
      );
      await assert.rejects(
        openStudyAt({
          studyUid: '1.2.3',
          url: pathToFileURL(join(dir, 'missing')).href,
          from: { config: 'DICOMWEB_URL' },
        }),
        /cannot read the folder/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
