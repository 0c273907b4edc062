// A report moved to another study (a RIS correcting which exam it belongs to) takes its findings along: the RIS was
// sent them for the first study's accession and must hear that they are withdrawn there, while the new study gets
// them as current results.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, ImagingStudy } from 'fhir/r4.js';
import type { Job } from '../../../src/jobs/types.js';
import { silentLogger } from '../../../src/log.js';
import type { FocusPayload } from '../../../src/pipeline/job-types.js';
import { oruOutHandler } from '../../../src/pipeline/oru-out.js';
import { extractHandler } from '../../../src/pipeline/report-jobs.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { sqliteDatabase } from '../../support/databases.js';
import { jobContext, postPatient, postStudy } from '../../support/outbound-study.js';
import { obxOf, startRis, type RecordingRis } from '../../support/ris.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const context = jobContext();
const job = (payload: FocusPayload): Job<FocusPayload> =>
  ({ id: `j-${payload.focus}-${payload.study ?? ''}`, type: 't', payload, attempts: 1 }) as Job<FocusPayload>;
/** OBX-11 of the finding OBX segments (the CWE ones, not the NM probabilities). */
const resultStatuses = (message: string): string[] =>
  obxOf(message)
    .filter((s) => s.split('|')[2] === 'CWE')
    .map((s) => s.split('|')[11]!);

describe('a report moved to another study', () => {
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

  it('withdraws its findings at the RIS for the old study and sends them for the new one', async () => {
    const patient = await postPatient(server, 'MRN-RELINK');
    const study = (n: number): Promise<ImagingStudy> =>
      postStudy(server, {
        subject: `Patient/${patient.id}`,
        uid: `1.2.3.77.${n}`,
        accession: `ACC-RELINK-${n}`,
        status: 'available',
      });
    const [first, second] = [await study(1), await study(2)];
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
      subject: { reference: `Patient/${patient.id}` },
      imagingStudy: [{ reference: `ImagingStudy/${first.id}` }],
      conclusion: 'Small left pleural effusion.',
    };
    const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report })).body as DiagnosticReport;
    const focus = `DiagnosticReport/${dr.id}`;

    const queued: FocusPayload[] = [];
    const onFindings = async (f: string, s?: string): Promise<void> => {
      queued.push(s ? { focus: f, study: s } : { focus: f });
    };
    const extract = extractHandler({ ctx: server.ctx, terminology: getTerminology(), organization: 'T', onFindings });
    const send = oruOutHandler({
      ctx: server.ctx,
      outbound: { host: '127.0.0.1', port: ris.port },
      logger: silentLogger,
    });

    await extract(job({ focus }), context);
    assert.deepEqual(queued, [{ focus }], 'the first extraction is sent for its own study only');
    await send(job(queued[0]!), context);
    assert.deepEqual(resultStatuses(await ris.arrival('ACC-RELINK-1')), ['F']);

    const moved = { ...dr, imagingStudy: [{ reference: `ImagingStudy/${second.id}` }] };
    assert.equal((await fhirFetch(server, focus, { method: 'PUT', body: moved })).status, 200);
    queued.length = 0;
    await extract(job({ focus }), context);
    assert.deepEqual(queued, [{ focus }, { focus, study: `ImagingStudy/${first.id}` }]);
    const before = ris.received.length;
    for (const payload of queued) await send(job(payload), context);
    assert.deepEqual(resultStatuses(await ris.arrival('ACC-RELINK-2', before)), ['F'], 'current on the new study');
    assert.deepEqual(resultStatuses(await ris.arrival('ACC-RELINK-1', before)), ['D'], 'withdrawn on the old one');

    // A retry of that extraction (its findings already moved) still queues the withdrawal: the report's previous
    // version names the old study.
    queued.length = 0;
    await extract(job({ focus }), context);
    assert.deepEqual(queued, [{ focus }, { focus, study: `ImagingStudy/${first.id}` }]);
  });
});
