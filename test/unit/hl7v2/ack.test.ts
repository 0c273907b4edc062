import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildAck, ackSource, responseAcks, salvageAckSource, ErrorCode } from '../../../src/hl7v2/ack.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { fixture } from './fixtures.js';

const parse = (t: string): Hl7Message => Hl7Message.parse(t);

describe('ACK builder', () => {
  it('answers with MSA-2 = original MSH-10, swapped sender and receiver, and ACK^event', () => {
    const orig = parse(fixture('oru-r01-v23.hl7'));
    const ack = parse(buildAck(orig, 'AA'));
    assert.equal(ack.get('MSA-1'), 'AA');
    assert.equal(ack.get('MSA-2'), 'MSG00023');
    assert.equal(ack.get('MSH-3'), 'CTFHIR');
    assert.equal(ack.get('MSH-4'), 'CTF');
    assert.equal(ack.get('MSH-5'), 'RIS');
    assert.equal(ack.get('MSH-6'), 'GENHOSP');
    assert.equal(ack.get('MSH-9'), 'ACK');
    assert.equal(ack.get('MSH-9.2'), 'R01');
    assert.equal(ack.version, '2.3');
    assert.equal(ack.segment('ERR'), undefined);
  });
  it('gives every ACK its own MSH-10', () => {
    const orig = parse(fixture('adt-a01.hl7'));
    const ids = new Set(Array.from({ length: 500 }, () => parse(buildAck(orig, 'AA')).controlId));
    assert.equal(ids.size, 500);
    for (const id of ids) assert.ok(id.length <= 20);
  });
  it('writes a v2.5+ ERR with location (ERR-2), code from table 0357 (ERR-3), severity and text (ERR-8)', () => {
    const orig = parse(fixture('oru-r01-no-pid3.hl7'));
    const ack = parse(
      buildAck(orig, 'AE', {
        errors: [
          {
            code: ErrorCode.requiredFieldMissing,
            location: { segment: 'PID', sequence: 1, field: 3 },
            text: 'PID-3 | needed',
          },
        ],
      }),
    );
    const err = ack.segment('ERR')!;
    assert.equal(ack.get('MSA-1'), 'AE');
    assert.equal(err.rawField(2), 'PID^1^3^1');
    assert.equal(err.rep(3).c(1), '101');
    assert.equal(err.rep(3).c(3), 'HL70357');
    assert.equal(err.get(4), 'E');
    assert.equal(err.get(8), 'PID-3 | needed');
    assert.equal(err.rep(1).c(4, 1), '101', 'v2.5.1 keeps ERR-1 for older receivers');
  });
  it('writes a v2.3 ERR-1 (segment^sequence^field^code) and MSA-3 text', () => {
    const orig = parse(fixture('oru-r01-v23.hl7'));
    const ack = parse(
      buildAck(orig, 'AR', {
        errors: [
          { code: ErrorCode.unsupportedVersionId, location: { segment: 'MSH', sequence: 1, field: 12 }, text: 'no' },
        ],
      }),
    );
    assert.equal(ack.get('MSA-3'), 'no');
    const err = ack.segment('ERR')!;
    assert.equal(err.get(1, 1), 'MSH');
    assert.equal(err.get(1, 3), '12');
    assert.equal(err.get(1, 4, 1), '203');
    assert.equal(err.rawField(3), '', 'no ERR-3 before v2.5');
  });
  it('leaves ERR-1 out from v2.7 on', () => {
    const orig = parse(fixture('oru-r01-v27-minimal.hl7'));
    const ack = parse(buildAck(orig, 'AE', { errors: [{ code: '207', text: 'x' }] }));
    assert.equal(ack.segment('ERR')!.rawField(1), '');
    assert.equal(ack.segment('ERR')!.get(3), '207');
  });
  it('in enhanced mode sends the accept ACK per MSH-15 and the application ACK per MSH-16', () => {
    const src = ackSource(parse(fixture('oru-r01-v251.hl7'))); // MSH-15 AL, MSH-16 NE
    const acks = responseAcks(src, 'AA').map(parse);
    assert.deepEqual(
      acks.map((a) => a.get('MSA-1')),
      ['CA'],
    );
    const both = responseAcks({ ...src, acceptAckType: 'ER', appAckType: 'AL' }, 'AE').map(parse);
    assert.deepEqual(
      both.map((a) => a.get('MSA-1')),
      ['AE'],
    );
    const rejected = responseAcks({ ...src, acceptAckType: 'ER', appAckType: 'AL' }, 'AR').map(parse);
    assert.deepEqual(
      rejected.map((a) => a.get('MSA-1')),
      ['CR'],
    );
    assert.deepEqual(responseAcks({ ...src, acceptAckType: 'NE', appAckType: 'NE' }, 'AA'), []);
  });
  it('in enhanced mode accepts a message the application rejected after storing it (CA, then AR)', () => {
    const src = ackSource(parse(fixture('adt-a01.hl7')));
    const codes = (acceptAckType: string, appAckType: string, accepted?: boolean): string[] =>
      responseAcks({ ...src, acceptAckType, appAckType }, 'AR', {}, accepted).map((a) => parse(a).get('MSA-1'));
    assert.deepEqual(codes('AL', 'AL', true), ['CA', 'AR']);
    assert.deepEqual(codes('NE', 'AL', true), ['AR'], 'a sender asking for application ACKs only still hears of it');
    assert.deepEqual(codes('NE', 'AL'), [], 'not stored: a commit reject, which NE does not want');
    assert.deepEqual(codes('AL', 'AL'), ['CR']);
  });
  it('in original mode sends exactly one AA/AE/AR', () => {
    const src = ackSource(parse(fixture('adt-a01.hl7')));
    assert.deepEqual(
      responseAcks(src, 'AE').map((a) => parse(a).get('MSA-1')),
      ['AE'],
    );
  });
  it('salvages MSH-10 and separators from a message that failed to parse', () => {
    const src = salvageAckSource('MSH|^~\\&|APP|FAC|R|F|2024||ORU^R01|CTRL9|P|2.4\rbad seg');
    assert.equal(src.controlId, 'CTRL9');
    const ack = parse(buildAck(src, 'AR'));
    assert.equal(ack.get('MSA-2'), 'CTRL9');
    assert.equal(ack.version, '2.4');
    assert.equal(parse(buildAck(salvageAckSource('garbage'), 'AR')).get('MSA-2'), '');
  });
});
