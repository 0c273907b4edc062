// The hl7.oru-out job against a real MLLP listener as the RIS: a resend after a failed attempt keeps its MSH-10 (it
// identifies the message, HL7 v2.5.1 2.14.9.10, so the RIS can tell a resend) and the ACK is still matched by MSA-2;
// an abort of the job (lease lost, worker stopping) ends the delivery at once instead of waiting for the ACK timeout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildAck } from '../../../src/hl7v2/ack.js';
import { MllpListener, type MessageHandler } from '../../../src/hl7v2/listener.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { getJob } from '../../../src/jobs/admin.js';
import type { Job } from '../../../src/jobs/types.js';
import { Worker } from '../../../src/jobs/worker.js';
import { silentLogger } from '../../../src/log.js';
import type { FocusPayload } from '../../../src/pipeline/job-types.js';
import { HL7_ORU_OUT, oruOutHandler } from '../../../src/pipeline/oru-out.js';
import { writeTestAiFindings } from '../../support/ai-findings.js';
import { sqliteDatabase } from '../../support/databases.js';
import { jobContext, postPatient, postStudy } from '../../support/outbound-study.js';
import { startTestServer, type TestServer } from '../../support/server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startRis(handle: MessageHandler): Promise<{ listener: MllpListener; port: number }> {
  // closeTimeoutMs 0: a RIS that never answers does not hold the test's cleanup.
  const listener = new MllpListener({ port: 0, handle, closeTimeoutMs: 0 });
  return { listener, port: (await listener.start()).port };
}

describe('hl7.oru-out delivery', () => {
  let server: TestServer;
  let focus: string;
  before(async () => {
    server = await startTestServer(sqliteDatabase());
    const patient = await postPatient(server, 'MRN-RESEND-1');
    const study = await postStudy(server, {
      subject: `Patient/${patient.id}`,
      uid: '1.2.3.4.77',
      accession: 'ACC-RESEND-1',
    });
    await writeTestAiFindings(server.ctx, study);
    focus = `ImagingStudy/${study.id}`;
  });
  after(async () => server.stop());

  it('a retry after AR resends the same MSH-10, and the job completes on the AA of the second attempt', async () => {
    const received: string[] = [];
    const ris = await startRis(async (text) => {
      received.push(text);
      // The first delivery is refused as a transient failure (AR invites a resend), the next accepted.
      return buildAck(Hl7Message.parse(text), received.length === 1 ? 'AR' : 'AA');
    });
    const worker = new Worker(server.queue, {
      handlers: {
        [HL7_ORU_OUT]: oruOutHandler({
          ctx: server.ctx,
          outbound: { host: '127.0.0.1', port: ris.port },
          logger: silentLogger,
        }),
      },
      pollMs: 20,
      backoff: { baseMs: 20, jitter: 0 },
      listen: false,
    });
    worker.start();
    try {
      const { job } = await server.queue.enqueue({ type: HL7_ORU_OUT, payload: { focus } });
      let done: Job = job;
      for (let i = 0; i < 300 && done.status !== 'completed' && done.status !== 'dead'; i++) {
        await sleep(20);
        done = await getJob(server.queue, job.id);
      }
      assert.equal(done.status, 'completed', done.lastError);
      assert.equal(done.attempts, 2);
      assert.equal(received.length, 2);
      const [first, second] = received.map((t) => Hl7Message.parse(t).controlId);
      assert.ok(first);
      assert.equal(second, first, 'the resend keeps its message control id');
      assert.equal(done.result?.data?.controlId, first, 'the AA was matched by MSA-2 to that id');
    } finally {
      await worker.stop(1000);
      await ris.listener.close();
    }
  });

  it('an abort of the job ends a delivery that waits for its ACK at once, with the abort as the reason', async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => (arrived = r));
    // A RIS that reads the message and never answers.
    const ris = await startRis(async () => {
      arrived();
      return new Promise<undefined>(() => undefined);
    });
    const handler = oruOutHandler({
      ctx: server.ctx,
      outbound: { host: '127.0.0.1', port: ris.port },
      logger: silentLogger,
      ackTimeoutMs: 30_000,
    });
    const abort = new AbortController();
    const context = jobContext(abort.signal);
    const job = { id: '1', type: HL7_ORU_OUT, payload: { focus } } as Job<FocusPayload>;
    try {
      const run = handler(job, context);
      await arrival;
      const t0 = Date.now();
      abort.abort(new Error('lease lost'));
      // The signal's reason, as the worker expects of an aborted run (a plain error: released or retried, not failed).
      await assert.rejects(run, (err: unknown) => err === abort.signal.reason);
      assert.ok(Date.now() - t0 < 1000, `settled ${Date.now() - t0} ms after the abort`);
    } finally {
      await ris.listener.close();
    }
  });

  it("an AE's reason reaches the job's error as its code and location, never the RIS's free text", async () => {
    const ris = await startRis(async (text) => {
      const msg = Hl7Message.parse(text);
      return (
        `MSH|^~\\&|RIS|H|CTFHIR|CTF|20240101000000||ACK^R01^ACK|A${Date.now()}|P|2.5.1\r` +
        `MSA|AE|${msg.controlId}\r` +
        'ERR||PID^1^3|204^Unknown key identifier^HL70357|E||||Patient DOE^JANE MRN-SECRET-9 not found'
      );
    });
    const handler = oruOutHandler({
      ctx: server.ctx,
      outbound: { host: '127.0.0.1', port: ris.port },
      logger: silentLogger,
    });
    const job = { id: '2', type: HL7_ORU_OUT, payload: { focus } } as Job<FocusPayload>;
    try {
      await assert.rejects(handler(job, jobContext()), (err: Error) => {
        assert.equal(err.name, 'PermanentJobError');
        assert.equal(err.message, 'RIS answered AE (error 204 at PID^1^3)');
        return true;
      });
    } finally {
      await ris.listener.close();
    }
  });
});
