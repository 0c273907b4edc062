// The outbound ORU^R01 reads the study's patient and order wherever their references point on this server: a PACS
// gateway may send ImagingStudy.subject as the absolute URL http://<base>/Patient/x, which is the same Patient.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ImagingStudy, Patient } from 'fhir/r4.js';
import type { Job, JobContext } from '../../../src/jobs/types.js';
import { silentLogger } from '../../../src/log.js';
import type { FocusPayload } from '../../../src/pipeline/job-types.js';
import { oruOutHandler } from '../../../src/pipeline/oru-out.js';
import { sqliteDatabase } from '../../support/databases.js';
import { startRis, type RecordingRis } from '../../support/ris.js';
import { writeTestAiFindings } from '../../support/ai-findings.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

describe('outbound ORU with absolute references on this server', () => {
  let server: TestServer;
  let ris: RecordingRis;
  before(async () => {
    ris = await startRis();
    server = await startTestServer(sqliteDatabase());
  });
  after(async () => {
    await server.stop();
    await ris.close();
  });

  it("sends the study's findings with the patient its absolute subject names", async () => {
    const patient = (
      await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'MRN-ABS-1' }] },
      })
    ).body as Patient;
    const body: ImagingStudy = {
      resourceType: 'ImagingStudy',
      status: 'registered',
      identifier: [
        { system: 'urn:dicom:uid', value: 'urn:oid:1.2.3.4.99' },
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
          value: 'ACC-ABS-1',
        },
      ],
      subject: { reference: `${server.baseUrl}/Patient/${patient.id}` },
    };
    const study = (await fhirFetch(server, 'ImagingStudy', { method: 'POST', body })).body as ImagingStudy;
    await writeTestAiFindings(server.ctx, study);
    const handler = oruOutHandler({
      ctx: server.ctx,
      outbound: { host: '127.0.0.1', port: ris.port },
      logger: silentLogger,
    });
    const job = { id: 'j', type: 'hl7.oru-out', payload: { focus: `ImagingStudy/${study.id}` } } as Job<FocusPayload>;
    const context: JobContext = {
      signal: new AbortController().signal,
      attempt: 1,
      workerId: 't',
      logger: silentLogger,
    };
    await handler(job, context);
    const sent = await ris.arrival('ACC-ABS-1');
    assert.match(sent.split(/\r\n?|\n/).find((s) => s.startsWith('PID|')) ?? '', /MRN-ABS-1/);
  });
});
