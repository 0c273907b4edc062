import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeText, readSeparators, unescapeText, DEFAULT_SEPARATORS } from '../../../src/hl7v2/encoding.js';
import { Hl7Message, Hl7ParseError, splitBatch } from '../../../src/hl7v2/message.js';
import { fixture } from './fixtures.js';

describe('HL7 v2 escapes', () => {
  it('decodes delimiter escapes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\', () => {
    assert.equal(unescapeText('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f'), 'a|b^c&d~e\\f');
  });
  it('turns \\.br\\ and \\.sp\\ into line breaks and drops highlighting', () => {
    assert.equal(unescapeText('one\\.br\\two\\.sp2\\three \\H\\bold\\N\\'), 'one\ntwo\n\nthree bold');
  });
  it('decodes \\X..\\ hex as UTF-8 and drops \\C..\\ character set switches', () => {
    assert.equal(unescapeText('\\X48494A\\ \\XC3A9\\\\C2842\\'), 'HIJ é');
  });
  it('keeps an unterminated or unknown escape as written', () => {
    assert.equal(unescapeText('50\\% done \\Q\\'), '50\\% done \\Q\\');
  });
  it('escapes separators and line breaks so unescape restores the text', () => {
    const text = 'a|b^c&d~e\\f\r\ng\nh';
    const esc = escapeText(text);
    assert.equal(esc, 'a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\.br\\h');
    assert.equal(unescapeText(esc), 'a|b^c&d~e\\f\ng\nh');
  });
  it('reads separators from MSH-1/MSH-2, including a v2.7 truncation character', () => {
    assert.deepEqual(readSeparators('MSH#!$%@#APP'), {
      field: '#',
      component: '!',
      repetition: '$',
      escape: '%',
      subcomponent: '@',
    });
    assert.equal(readSeparators('MSH|^~\\&#|X').truncation, '#');
  });
  it('rejects wrong encoding characters', () => {
    assert.throws(() => readSeparators('MSH|^~|X'), /4 or 5/);
    assert.throws(() => readSeparators('MSH|^^\\&|X'), /distinct/);
    assert.throws(() => readSeparators('MSH|AB\\&|X'), /non-alphanumeric/);
  });
});

describe('HL7 v2 message parsing', () => {
  const oru = fixture('oru-r01-v251.hl7');

  it('numbers fields as in HL7: MSH-1 is the separator, PID-5 is field 5', () => {
    const m = Hl7Message.parse(oru);
    assert.equal(m.get('MSH-1'), '|');
    assert.equal(m.get('MSH-2'), '^~\\&');
    assert.equal(m.get('MSH-10'), 'MSG00251');
    assert.deepEqual(m.type, { code: 'ORU', event: 'R01', structure: 'ORU_R01' });
    assert.equal(m.version, '2.5.1');
    assert.equal(m.get('PID-5.1'), 'ROE');
    assert.equal(m.get('PID-5.2'), 'RICHARD');
    assert.equal(m.segment('PID')!.rep(3).c(4, 2), '2.16.840.1.113883.19.5');
  });
  it('reads repetitions and the n-th segment of a name', () => {
    const m = Hl7Message.parse(oru);
    const pid = m.segment('PID')!;
    assert.deepEqual(
      pid.reps(3).map((r) => r.c(1)),
      ['MRN456', 'SSN999'],
    );
    assert.equal(m.all('OBX').length, 6);
    assert.equal(m.segment('OBX', 3)!.get(3, 1), '59776-5');
    assert.equal(m.segment('OBX', 9), undefined);
  });
  for (const [name, sep] of [
    ['\\r', '\r'],
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
  ] as const) {
    it(`accepts ${name} segment terminators`, () => {
      const m = Hl7Message.parse(oru.split('\r').join(sep) + sep);
      assert.equal(m.segments.length, 11);
      assert.equal(m.segment('OBX', 6)!.get(5), 'Pulmonary nodule; follow-up CT in 12 months.');
    });
  }
  it('uses the separators the message declares', () => {
    const m = Hl7Message.parse('MSH#!$%@#APP#FAC#R#F#20240101##ADT!A01#1#P#2.5\rPID#1##ID1!!!AUTH!MR$ID2##DOE!JOHN');
    assert.equal(m.get('PID-5.2'), 'JOHN');
    assert.equal(m.segment('PID')!.reps(3)[1]!.c(1), 'ID2');
    assert.equal(m.type.event, 'A01');
  });
  it('rejects bytes that are not HL7, a frame without MSH and bad segment names', () => {
    assert.throws(() => Hl7Message.parse('GET / HTTP/1.1\r\nHost: x\r\n'), Hl7ParseError);
    assert.throws(() => Hl7Message.parse('PID|1||X'), /MSH/);
    assert.throws(() => Hl7Message.parse(''), /empty/);
    assert.throws(
      () => Hl7Message.parse('MSH|^~\\&|A\rbad segment'),
      /segment 2 does not start with a valid segment ID/,
    );
  });
  it('rejects a second MSH in one message: two messages in a frame need an FHS/BHS batch', () => {
    const two = `${oru}\r${fixture('adt-a08.hl7')}`;
    assert.throws(
      () => Hl7Message.parse(two),
      (e: unknown) => e instanceof Hl7ParseError && /second MSH/.test(e.message),
    );
    const batch = splitBatch(`BHS|^~\\&|RIS\r${two}\rBTS|2`);
    assert.deepEqual(
      batch.messages.map((m) => Hl7Message.parse(m).controlId),
      ['MSG00251', 'MSG00702'],
    );
  });
  it('splits an FHS/BHS batch into its messages and leaves a single message alone', () => {
    const a = fixture('adt-a08.hl7');
    const b = fixture('adt-a01.hl7');
    const batch = splitBatch(`FHS|^~\\&|ADT\rBHS|^~\\&|ADT\r${a}\r${b}\rBTS|2\rFTS|1`);
    assert.equal(batch.isBatch, true);
    assert.equal(batch.headers.length, 2);
    assert.equal(batch.messages.length, 2);
    assert.equal(Hl7Message.parse(batch.messages[1]!).controlId, 'MSG00701');
    assert.deepEqual(splitBatch(a), { headers: [], messages: [a], isBatch: false });
    assert.throws(() => splitBatch('BHS|^~\\&\rPID|1'), /before the first MSH/);
  });
  it('decodes default separators in OBX text values', () => {
    const m = Hl7Message.parse(oru);
    assert.equal(m.segment('OBX', 2)!.rep(5).text, 'Pipe | tilde ~ escape \\ hex HELLO done\n\nend');
    assert.equal(DEFAULT_SEPARATORS.field, '|');
  });
});
