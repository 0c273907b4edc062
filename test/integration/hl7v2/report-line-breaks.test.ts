// A line break inside report text over HL7 v2, through the store (SQLite and PostgreSQL): in a CR-terminated
// message a lone LF in OBX-5 is part of the text (AA, and the report keeps it); in an LF-terminated one it splits the
// segment, and the AR's ERR segment and the warning log name the segment's position, not the report text. A NUL
// character (which PostgreSQL cannot store) is AR too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, DiagnosticReport } from 'fhir/r4.js';
import type { Core } from '../../../src/core.js';
import { dispatch } from '../../../src/fhir/router.js';
import { fhirExecutor } from '../../../src/hl7v2/execute.js';
import { createInboundProcessor, Hl7MessageStore } from '../../../src/hl7v2/index.js';
import { createLogger } from '../../../src/log.js';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';
import { openCoreWithHl7 } from './open-core.js';

const REPORT = 'Mr Burns has a 9 mm nodule.\nBurns, Montgomery DOB 1920: compare prior.';

function oru(controlId: string, end: string): string {
  return [
    `MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240316120000||ORU^R01^ORU_R01|${controlId}|P|2.5.1`,
    'PID|1||MRN782^^^GENHOSP^MR||BURNS^MONTGOMERY||19200101|M',
    `OBR|1|PL9${controlId}^RIS|FI9${controlId}^PACS|24627-2^CT Chest^LN|||20240316110000|||||||||||||||20240316115500||CT|F`,
    `OBX|1|TX|18782-3^Findings^LN|1|${REPORT}||||||F`,
  ].join(end);
}

for (const { kind, make } of databaseKinds) {
  describe(`HL7 v2 line breaks in report text (${kind})`, () => {
    let db: TestDatabase;
    let core: Core;
    let proc: ReturnType<typeof createInboundProcessor>;
    const logLines: string[] = [];
    before(async () => {
      db = await make();
      core = await openCoreWithHl7(db.url);
      proc = createInboundProcessor({
        store: new Hl7MessageStore(core.dataSource),
        execute: fhirExecutor(core.ctx),
        logger: createLogger('debug', {}, (line) => logLines.push(line)),
      });
    });
    after(async () => {
      await core?.close();
      await db?.drop();
    });

    it('a CR-terminated ORU with a lone LF in OBX-5 is AA and the report text keeps the line break', async () => {
      const out = await proc.processMessage(oru('LFCR1', '\r'));
      assert.equal(out.code, 'AA', out.acks.join('\n'));
      const res = await dispatch(core.ctx, {
        method: 'GET',
        path: 'DiagnosticReport',
        query: new URLSearchParams('identifier=FI9LFCR1'),
      });
      const reports = ((res.body as Bundle).entry ?? []).map((e) => e.resource as DiagnosticReport);
      assert.equal(reports.length, 1);
      const text = Buffer.from(reports[0]!.presentedForm![0]!.data!, 'base64').toString();
      assert.ok(text.includes(REPORT), text);
    });

    it('an LF-terminated one is AR naming segment 5; neither the ACK nor the log quotes the text', async () => {
      logLines.length = 0;
      const out = await proc.processMessage(oru('LFLF1', '\n'));
      assert.equal(out.code, 'AR');
      const ack = out.acks.join('\n');
      assert.match(ack, /segment 5 does not start with a valid segment ID/);
      assert.doesNotMatch(ack, /Burns, Montgomery|compare prior/);
      assert.ok(
        logLines.some((l) => l.includes('segment 5')),
        logLines.join('\n'),
      );
      assert.doesNotMatch(logLines.join('\n'), /Burns, Montgomery|compare prior/);
    });

    it('a message with a NUL character is AR on both databases, not a failure storing it', async () => {
      const out = await proc.processMessage(oru('NUL1', '\r').replace('MONTGOMERY', 'MONT\u0000GOMERY'));
      assert.equal(out.code, 'AR');
      assert.match(out.acks.join('\n'), /NUL character/);
    });
  });
}
