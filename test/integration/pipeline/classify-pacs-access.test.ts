// Regression tests of how imaging.classify reaches the PACS: an Endpoint reference that no longer resolves (deleted)
// falls back to DICOMWEB_URL instead of failing the job to the dead letter; an Endpoint address with user:password
// authenticates with Basic auth and its password never reaches the Task; the DICOMWEB_URL credentials the job is
// given are sent to that PACS.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Bundle, Endpoint, ImagingStudy, Task } from 'fhir/r4.js';
import type { FhirContext } from '../../../src/fhir/context.js';
import { createPhantom, parseFindings, phantomIdentity, writePhantom } from '../../../src/imaging/phantom/index.js';
import type { ModelRegistry } from '../../../src/imaging/model/registry.js';
import type { Job, JobContext } from '../../../src/jobs/types.js';
import { PermanentJobError } from '../../../src/jobs/types.js';
import { classifyHandler } from '../../../src/pipeline/classify-job.js';
import type { FocusPayload } from '../../../src/pipeline/job-types.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { silentLogger } from '../../../src/log.js';
import { sqliteDatabase } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

/** A PACS stand-in that records each request and answers `status` with an empty body. */
async function recordingPacs(
  status: number,
): Promise<{ url: string; port: number; requests: IncomingMessage[]; server: Server }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    res.writeHead(status).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/dicom-web`, port, requests, server };
}

async function waitForTask(server: TestServer, focus: string): Promise<Task> {
  for (let i = 0; i < 600; i++) {
    const [task] = (
      ((await fhirFetch(server, `Task?focus=${focus}&code=imaging.classify`)).body as Bundle).entry ?? []
    ).map((e) => e.resource as Task);
    if (task && ['completed', 'failed'].includes(task.status)) return task;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no finished imaging.classify Task for ${focus}`);
}

const endpoint = (address: string): Endpoint => ({
  resourceType: 'Endpoint',
  status: 'active',
  connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs' },
  payloadType: [{ text: 'DICOM' }],
  address,
});

const imagingStudy = (studyUid: string, endpointId?: string): ImagingStudy => ({
  resourceType: 'ImagingStudy',
  status: 'available',
  identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` }],
  subject: { display: 'Phantom' },
  ...(endpointId ? { endpoint: [{ reference: `Endpoint/${endpointId}` }] } : {}),
});

describe('imaging.classify and the PACS (sqlite)', () => {
  let server: TestServer;
  let dir: string;
  let pacs: Awaited<ReturnType<typeof recordingPacs>>;
  const id = phantomIdentity(5151);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ct-fhir-pacs-access-'));
    const phantom = createPhantom({
      seed: 5151,
      geometry: { nx: 64, ny: 64, nz: 40, dx: 5, dy: 5, dz: 7 },
      findings: parseFindings(''),
    });
    await writePhantom(phantom, id, join(dir, 'study'));
    pacs = await recordingPacs(401);
    server = await startTestServer(sqliteDatabase(), {
      WORKERS: '1',
      DICOMWEB_URL: pathToFileURL(join(dir, 'study')).href,
    });
  });
  after(async () => {
    await server.stop();
    pacs.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('falls back to DICOMWEB_URL when the Endpoint the study names was deleted', async () => {
    const ep = (
      await fhirFetch(server, 'Endpoint', { method: 'POST', body: endpoint('http://old-pacs.invalid/dicom-web') })
    ).body as Endpoint;
    assert.equal((await fhirFetch(server, `Endpoint/${ep.id}`, { method: 'DELETE' })).status, 204);
    const s = (
      await fhirFetch(server, 'ImagingStudy', { method: 'POST', body: imagingStudy(id.studyInstanceUid, ep.id) })
    ).body as ImagingStudy;
    const task = await waitForTask(server, `ImagingStudy/${s.id}`);
    assert.equal(task.status, 'completed', task.statusReason?.text);
  });

  it('authenticates with the user:password of an Endpoint address and never shows the password', async () => {
    const address = `http://pacsuser:S3cretPw@127.0.0.1:${pacs.port}/dicom-web`;
    const ep = (await fhirFetch(server, 'Endpoint', { method: 'POST', body: endpoint(address) })).body as Endpoint;
    const s = (await fhirFetch(server, 'ImagingStudy', { method: 'POST', body: imagingStudy('1.2.3.4', ep.id) }))
      .body as ImagingStudy;
    const task = await waitForTask(server, `ImagingStudy/${s.id}`);
    assert.equal(task.status, 'failed');
    assert.match(task.statusReason?.text ?? '', /401/);
    assert.doesNotMatch(JSON.stringify(task), /S3cretPw|pacsuser/);
    assert.equal(pacs.requests.length, 1, '401 is not retried');
    assert.equal(
      pacs.requests[0]!.headers.authorization,
      `Basic ${Buffer.from('pacsuser:S3cretPw').toString('base64')}`,
    );
  });
});

describe('imaging.classify with DICOMWEB_URL credentials', () => {
  it('sends the configured credentials to DICOMWEB_URL', async () => {
    const pacs = await recordingPacs(204);
    try {
      const study: ImagingStudy = { ...imagingStudy('1.2.3.4'), id: 's1' };
      const repo = { read: async () => study } as unknown as FhirContext['repo'];
      const handler = classifyHandler({
        ctx: { repo } as FhirContext,
        terminology: getTerminology(),
        organization: 'test',
        models: {} as ModelRegistry,
        dicomwebUrl: pacs.url,
        dicomwebAuth: { type: 'bearer', token: 'configured-token' },
      });
      const job = { id: 1, payload: { focus: 'ImagingStudy/s1' } } as unknown as Job<FocusPayload>;
      const ctx: JobContext = { signal: new AbortController().signal, attempt: 1, workerId: 'w', logger: silentLogger };
      // 204: the PACS has no series of the study, a permanent failure; the header is what this test is about.
      await assert.rejects(
        handler(job, ctx),
        (e: unknown) => e instanceof PermanentJobError && /not in the PACS/.test(e.message),
      );
      assert.deepEqual(
        pacs.requests.map((r) => r.headers.authorization),
        ['Bearer configured-token'],
      );
    } finally {
      pacs.server.close();
    }
  });
});
