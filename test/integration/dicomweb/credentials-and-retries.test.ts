// Regression tests (review of the imaging I/O): PACS credentials never reach an error message and travel as HTTP
// auth, not in the URL; an error answer whose body stalls cannot hang a request; 408 and 429 are retried after
// Retry-After, 501 and 505 are not.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import type { Endpoint, ImagingStudy } from 'fhir/r4.js';
import { DicomwebClient, DicomwebError, openGet, openStudy } from '../../../src/imaging/dicomweb/index.js';
import { classifyError } from '../../../src/pipeline/classify-job.js';
import { PermanentJobError } from '../../../src/jobs/types.js';

const STUDY = '1.2.826.0.1.3680043.8.498.1';
const FAST = { retries: 2, backoffMs: 5, maxBackoffMs: 20 };

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A local server; `handler` gets the 1-based request number. Returns its base URL and the requests seen. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<{ url: string; port: number; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/dicom-web`, port, requests };
}

const noSeries = (_req: IncomingMessage, res: ServerResponse): void => void res.writeHead(204).end();

describe('PACS credentials', () => {
  it('moves user info of the base URL into Basic auth and out of the URL', async () => {
    const { port, requests } = await serve(noSeries);
    const client = new DicomwebClient(`http://pacs%20user:S3cret%3Apw@127.0.0.1:${port}/dicom-web`, FAST);
    assert.deepEqual(await client.searchSeries(STUDY), []);
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.headers.authorization, `Basic ${Buffer.from('pacs user:S3cret:pw').toString('base64')}`);
    assert.doesNotMatch(client.baseUrl, /S3cret|pacs/);
  });

  it('lets explicit auth win over user info, still stripping it from the URL', async () => {
    const { port, requests } = await serve(noSeries);
    const client = new DicomwebClient(`http://u:S3cret@127.0.0.1:${port}/dicom-web`, {
      ...FAST,
      auth: { type: 'bearer', token: 'tok' },
    });
    await client.searchSeries(STUDY);
    assert.equal(requests[0]!.headers.authorization, 'Bearer tok');
  });

  it('a request that cannot be built fails at once, permanently, without quoting the URL or the secret', async () => {
    const { url, requests } = await serve(noSeries);
    const withUser = url.replace('http://', 'http://pacsuser:S3cretPw@');
    await assert.rejects(openGet(`${withUser}/studies`, 'application/dicom+json', FAST), (e: unknown) => {
      assert.ok(e instanceof DicomwebError);
      assert.equal(e.kind, 'bad-request');
      assert.equal(e.retryable, false);
      assert.doesNotMatch(`${e.message} ${String(e.cause ?? '')}`, /S3cretPw|pacsuser/);
      assert.ok(classifyError(e) instanceof PermanentJobError);
      return true;
    });
    // A header value fetch refuses (a token with a line break) must not leak the token either.
    const client = new DicomwebClient(url, { ...FAST, auth: { type: 'bearer', token: 'Tok\nS3cretPw' } });
    await assert.rejects(
      client.searchSeries(STUDY),
      (e: unknown) =>
        e instanceof DicomwebError && e.kind === 'bad-request' && !e.retryable && !/S3cretPw/.test(e.message),
    );
    assert.equal(requests.length, 0);
  });

  it('an unreachable PACS behind a user:password URL is reported without the password', async () => {
    const { port } = await serve(noSeries);
    servers.pop()!.close(); // nothing listens there any more
    await new Promise((r) => setTimeout(r, 20));
    const client = new DicomwebClient(`http://pacsuser:S3cretPw@127.0.0.1:${port}/dicom-web`, FAST);
    await assert.rejects(client.searchSeries(STUDY), (e: unknown) => {
      assert.ok(e instanceof DicomwebError);
      assert.equal(e.kind, 'connection');
      assert.doesNotMatch(e.message, /S3cretPw|pacsuser/);
      return true;
    });
  });

  it('DICOMWEB_URL credentials go to that PACS only, never to an address an Endpoint names', async () => {
    const configured = await serve(noSeries);
    const other = await serve(noSeries);
    const auth = { type: 'basic' as const, username: 'ct-fhir', password: 'S3cret' };
    const study = (address?: string): ImagingStudy => {
      const s: ImagingStudy = {
        resourceType: 'ImagingStudy',
        id: 's1',
        status: 'available',
        subject: { reference: 'Patient/p' },
        identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${STUDY}` }],
      };
      if (!address) return s;
      const endpoint: Endpoint = {
        resourceType: 'Endpoint',
        id: 'e',
        status: 'active',
        connectionType: { code: 'dicom-wado-rs' },
        payloadType: [{ text: 'DICOM' }],
        address,
      };
      return { ...s, contained: [endpoint], endpoint: [{ reference: '#e' }] };
    };
    const options = { ...FAST, dicomwebUrl: configured.url, dicomwebAuth: auth };
    // 204: no series, so "not found"; what counts is the header each PACS saw.
    await assert.rejects(openStudy(study(), options), /not in the PACS/);
    await assert.rejects(openStudy(study(`${configured.url}/`), options), /not in the PACS/);
    await assert.rejects(openStudy(study(other.url), options), /not in the PACS/);
    // An Endpoint on the same PACS that brings its own user info uses it.
    await assert.rejects(openStudy(study(configured.url.replace('//', '//own:pw@')), options), /not in the PACS/);
    const basic = (user: string): string => `Basic ${Buffer.from(user).toString('base64')}`;
    assert.deepEqual(
      configured.requests.map((r) => r.headers.authorization),
      [basic('ct-fhir:S3cret'), basic('ct-fhir:S3cret'), basic('own:pw')],
    );
    assert.deepEqual(
      other.requests.map((r) => r.headers.authorization),
      [undefined],
    );
  });
});

describe('error answers', () => {
  it(
    'an error answer whose body stalls is given up after the idle limit, not awaited forever',
    { timeout: 10_000 },
    async () => {
      const { url } = await serve((_req, res) => {
        res.writeHead(503, { 'content-type': 'text/plain', 'content-length': '1000' });
        res.write('overloaded'); // and never the rest
      });
      const started = Date.now();
      await assert.rejects(
        openGet(`${url}/studies`, 'application/dicom+json', { timeoutMs: 300, idleTimeoutMs: 300 }),
        (e: unknown) => e instanceof DicomwebError && e.upstreamStatus === 503 && /503 .*: overloaded/.test(e.message),
      );
      const took = Date.now() - started;
      assert.ok(took < 2000, `took ${took} ms`);
    },
  );

  it('retries 429 and 408 after the Retry-After the PACS asks for', async () => {
    const times: number[] = [];
    const { url, requests } = await serve((_req, res, n) => {
      times.push(Date.now());
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end('quota exceeded');
      else if (n === 2) res.writeHead(408).end();
      else res.writeHead(204).end();
    });
    assert.deepEqual(await new DicomwebClient(url, FAST).searchSeries(STUDY), []);
    assert.equal(requests.length, 3);
    assert.ok(times[1]! - times[0]! >= 950, `waited ${times[1]! - times[0]!} ms after Retry-After: 1`);
  });

  it('a throttled PACS that stays throttled is a retryable failure for the job queue', async () => {
    const { url, requests } = await serve((_req, res) => res.writeHead(429).end());
    await assert.rejects(new DicomwebClient(url, FAST).searchSeries(STUDY), (e: unknown) => {
      assert.ok(e instanceof DicomwebError && e.retryable && e.upstreamStatus === 429);
      assert.equal(classifyError(e), e, 'the job is retried later, not failed');
      return true;
    });
    assert.equal(requests.length, 3);
  });

  it('a Retry-After beyond the bound is not waited for in-process', async () => {
    const { url, requests } = await serve((_req, res) => res.writeHead(503, { 'retry-after': '3600' }).end());
    const started = Date.now();
    await assert.rejects(
      new DicomwebClient(url, { ...FAST, maxRetryAfterMs: 1000 }).searchSeries(STUDY),
      (e: unknown) => e instanceof DicomwebError && e.retryable && e.retryAfterMs === 3_600_000,
    );
    assert.equal(requests.length, 1);
    assert.ok(Date.now() - started < 1000);
  });

  it('does not retry 501 Not Implemented or 505', async () => {
    for (const status of [501, 505]) {
      const { url, requests } = await serve((_req, res) => res.writeHead(status).end());
      await assert.rejects(
        new DicomwebClient(url, FAST).searchSeries(STUDY),
        (e: unknown) => e instanceof DicomwebError && e.upstreamStatus === status && !e.retryable,
      );
      assert.equal(requests.length, 1, `${status} asked once`);
    }
  });
});
