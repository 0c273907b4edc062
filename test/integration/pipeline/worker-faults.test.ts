// The report pipeline on real `ct-fhir worker` processes, with the RIS holding its ACK so that the delivery job is
// caught mid-send: worker A is killed with SIGKILL, worker B takes the job over after the lease and is stopped with
// SIGTERM (the run is released, not lost, not counted), worker C delivers it. The RIS gets the same ORU^R01 each
// time with one MSH-10; the findings, their Provenance and the jobs' Tasks exist once, and every Task ends up showing
// its job's last state, also where the process that committed that state was killed before it wrote the Task.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Bundle, Observation, Provenance, Task } from 'fhir/r4.js';
import { buildAck } from '../../../src/hl7v2/ack.js';
import { MllpListener } from '../../../src/hl7v2/listener.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { HL7_ORU_OUT } from '../../../src/pipeline/oru-out.js';
import { databaseKinds } from '../../support/databases.js';
import { waitFor } from '../../support/jobs-process.js';
import { postPatient, postReport, postStudy } from '../../support/outbound-study.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

/** How old an unmirrored transition gets before a sweep writes its Task (the default is 30 s). */
const TASK_RESYNC_MS = 2000;

interface Proc {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

for (const { kind, make } of databaseKinds) {
  describe(`pipeline jobs on worker processes that are killed and stopped (${kind})`, () => {
    let server: TestServer;
    let ris: MllpListener;
    let risPort = 0;
    const received: string[] = [];
    let hold = true;
    const held: (() => void)[] = [];
    const procs: Proc[] = [];

    before(async () => {
      ris = new MllpListener({
        port: 0,
        closeTimeoutMs: 200,
        handle: async (text) => {
          received.push(text);
          // Holding: the ACK comes only when the test ends (the sender waits for it, or is killed or aborted).
          if (hold) await new Promise<void>((r) => held.push(r));
          return buildAck(Hl7Message.parse(text), 'AA');
        },
      });
      risPort = (await ris.start()).port;
      // A worker killed between a job's commit and its Task's leaves that Task to the sweep: soon, in this test.
      server = await startTestServer(await make(), { TASK_RESYNC_MS: String(TASK_RESYNC_MS) });
    });
    after(async () => {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      for (const r of held) r();
      await ris.close();
      await server.stop();
    });

    const worker = (): Proc => {
      const child = spawn(process.execPath, ['bin/ct-fhir.js', 'worker'], {
        env: {
          ...process.env,
          DATABASE_URL: server.db.url,
          WORKERS: '2',
          JOB_TYPES: 'report.extract,hl7.oru-out,findings.compare',
          HL7_OUTBOUND: `127.0.0.1:${risPort}`,
          JOB_LEASE_MS: '1500',
          JOB_POLL_MS: '100',
          JOB_STOP_TIMEOUT_MS: '300',
          TASK_RESYNC_MS: String(TASK_RESYNC_MS),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.on('exit', (code, signal) => r({ code, signal })),
      );
      const p = { child, exited, stderr: () => stderr };
      procs.push(p);
      return p;
    };
    const search = async <T>(query: string): Promise<T[]> =>
      (((await fhirFetch(server, query)).body as Bundle).entry ?? [])
        .filter((e) => e.search?.mode !== 'include')
        .map((e) => e.resource as T);

    it('kill -9 mid-send, then SIGTERM mid-send: delivered once more each time, same MSH-10, nothing doubled', async () => {
      const patient = await postPatient(server, `MRN-FAULT-${kind}`);
      const study = await postStudy(server, {
        subject: `Patient/${patient.id}`,
        uid: kind === 'sqlite' ? '1.2.3.99.1' : '1.2.3.99.2',
        accession: `ACC-FAULT-${kind}`,
      });
      const a = worker();
      const dr = await postReport(server, { patient, study, text: 'Small left pleural effusion. No pneumothorax.' });
      const focus = `DiagnosticReport/${dr.id}`;
      const sends = (n: number): Promise<true> =>
        waitFor(`${n} ORU^R01 at the RIS`, async () => (received.length >= n ? true : undefined), 30_000).catch(
          (err: Error) => {
            throw new Error(`${err.message}; worker logs:\n${procs.map((p) => p.stderr()).join('\n---\n')}`);
          },
        );

      await sends(1);
      a.child.kill('SIGKILL');
      assert.equal((await a.exited).signal, 'SIGKILL');
      const [delivery] = await server.queue.jobs('SELECT * FROM job WHERE type = :t', { t: HL7_ORU_OUT });
      assert.equal(delivery?.status, 'running', 'killed mid-send');

      const b = worker();
      await sends(2); // B took the delivery over after A's lease expired
      b.child.kill('SIGTERM');
      assert.equal((await b.exited).code, 0, b.stderr());
      const released = (await server.queue.get(delivery.id))!;
      assert.equal(released.status, 'queued', 'released at stop, not lost');
      assert.equal(released.attempts, 1, "the released run is not counted (A's run is)");

      hold = false;
      for (const r of held.splice(0)) r();
      worker();
      await waitFor(
        'the delivery to complete',
        async () => ((await server.queue.get(delivery.id))?.status === 'completed' ? true : undefined),
        30_000,
      );
      const ids = new Set(received.map((m) => m.split('\r')[0]!.split('|')[9]));
      assert.equal(ids.size, 1, `one MSH-10 for every send, got ${[...ids].join(', ')}`);
      assert.ok(received.length >= 3);

      const findings = await search<Observation>(`Observation?derived-from=${focus}&_count=100`);
      const codes = findings.map((o) => o.code.coding![0]!.code);
      assert.equal(new Set(codes).size, codes.length, 'one Observation per finding');
      assert.ok(findings.length > 0 && findings.every((o) => o.meta?.versionId === '1'));
      const provenance = await search<Provenance>(`Provenance?target=Observation/${findings[0]!.id}`);
      assert.equal(provenance.length, 1);
      // Jobs read on each poll: a finished job may still queue its follow-up; the last states go into the failure.
      let seen = '';
      await waitFor(
        'every Task to show its job completed',
        async () => {
          const jobs = await server.queue.jobs('SELECT * FROM job ORDER BY id');
          const tasks = await search<Task>('Task?_count=100');
          seen = `jobs ${jobs.map((j) => `${j.type}:${j.status}`).join(', ')}; tasks ${tasks.map((t) => t.status).join(', ')}`;
          return tasks.length === jobs.length && tasks.every((t) => t.status === 'completed') ? true : undefined;
        },
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (${seen})`);
      });
    });
  });
}
