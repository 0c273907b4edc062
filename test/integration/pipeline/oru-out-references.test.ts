// The outbound ORU^R01 reads the study's patient and order wherever their references point on this server: a PACS
// gateway may send ImagingStudy.subject as the absolute URL http://<base>/Patient/x, which is the same Patient.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../../../src/jobs/types.js';
import { silentLogger } from '../../../src/log.js';
import type { FocusPayload } from '../../../src/pipeline/job-types.js';
import { oruOutHandler } from '../../../src/pipeline/oru-out.js';
import { sqliteDatabase } from '../../support/databases.js';
import { jobContext, postPatient, postStudy } from '../../support/outbound-study.js';
import { startRis, type RecordingRis } from '../../support/ris.js';
import { writeTestAiFindings } from '../../support/ai-findings.js';
import { startTestServer, type TestServer } from '../../support/server.js';

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
    const patient = await postPatient(server, 'MRN-ABS-1');
    const study = await postStudy(server, {
      subject: `${server.baseUrl}/Patient/${patient.id}`,
      uid: '1.2.3.4.99',
      accession: 'ACC-ABS-1',
    });
    await writeTestAiFindings(server.ctx, study);
    const handler = oruOutHandler({
      ctx: server.ctx,
      outbound: { host: '127.0.0.1', port: ris.port },
      logger: silentLogger,
    });
    const job = { id: 'j', type: 'hl7.oru-out', payload: { focus: `ImagingStudy/${study.id}` } } as Job<FocusPayload>;
    await handler(job, jobContext());
    const sent = await ris.arrival('ACC-ABS-1');
    assert.match(sent.split(/\r\n?|\n/).find((s) => s.startsWith('PID|')) ?? '', /MRN-ABS-1/);
  });
});
