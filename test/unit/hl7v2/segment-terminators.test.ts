// Segment terminators and parse errors: a lone LF inside a field of a CR-terminated message is a line break in the
// text (HL7 v2.5.1 2.5.4: segments end with CR), and a line that is not a segment is reported by its position only,
// never by its text (a stray line break in report text would otherwise put patient data in the ACK and the log).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Hl7Message, Hl7ParseError, splitBatch } from '../../../src/hl7v2/message.js';

const segments = [
  'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240316120000||ORU^R01^ORU_R01|LF001|P|2.5.1',
  'PID|1||MRN782^^^GENHOSP^MR||BURNS^MONTGOMERY||19200101|M',
  'OBR|1|PL9^RIS|FI9^PACS|24627-2^CT Chest^LN',
  'OBX|1|TX|18782-3^Findings^LN|1|Mr Burns has a 9 mm nodule.\nBurns, Montgomery DOB 1920: compare prior.||||||F',
];

describe('HL7 v2 segment terminators', () => {
  it('a CR-terminated message keeps a lone LF inside OBX-5 as a line break', () => {
    for (const end of ['\r', '\r\n']) {
      const text = segments.join('\r') + end;
      const m = Hl7Message.parse(text);
      assert.deepEqual(
        m.segments.map((s) => s.name),
        ['MSH', 'PID', 'OBR', 'OBX'],
      );
      assert.equal(
        m.segment('OBX')!.rep(5).text,
        'Mr Burns has a 9 mm nodule.\nBurns, Montgomery DOB 1920: compare prior.',
      );
      assert.equal(m.segment('OBX')!.get(11), 'F');
    }
  });

  it('CRLF after CR-terminated segments still ends a segment', () => {
    const text = `${segments[0]}\r${segments[1]}\r\n${segments[2]}\r`;
    assert.deepEqual(
      Hl7Message.parse(text).segments.map((s) => s.name),
      ['MSH', 'PID', 'OBR'],
    );
  });

  it('LF- and CRLF-terminated messages still parse', () => {
    for (const end of ['\n', '\r\n']) {
      const text = segments.slice(0, 3).join(end) + end;
      assert.deepEqual(
        Hl7Message.parse(text).segments.map((s) => s.name),
        ['MSH', 'PID', 'OBR'],
      );
    }
  });

  it('in an LF-terminated message the LF ends OBX: the error names segment 5, not its text', () => {
    const text = segments.join('\n');
    assert.throws(
      () => Hl7Message.parse(text),
      (e: unknown) =>
        e instanceof Hl7ParseError &&
        e.message === 'segment 5 does not start with a valid segment ID' &&
        !/Burns/i.test(e.message),
    );
  });

  it('a batch of CR-terminated messages keeps the LF in the field', () => {
    const batch = splitBatch(`BHS|^~\\&|RIS\r${segments.join('\r')}\rBTS|1\r`);
    assert.equal(batch.messages.length, 1);
    assert.match(Hl7Message.parse(batch.messages[0]!).segment('OBX')!.rep(5).text, /nodule\.\nBurns/);
  });

  it('a segment before the first MSH of a batch is named by position', () => {
    assert.throws(
      () => splitBatch('BHS|^~\\&|RIS\rBurns, Montgomery\rMSH|^~\\&|A'),
      (e: unknown) => e instanceof Hl7ParseError && e.message === 'segment 2 comes before the first MSH in a batch',
    );
  });
});
