import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MllpDecoder, frame, payloadText, type FrameIssue } from '../../../src/hl7v2/mllp.js';
import { fixture } from './fixtures.js';

const msg = fixture('oru-r01-v251.hl7');
const texts = (frames: { data: Buffer }[]): string[] => frames.map((f) => f.data.toString('utf8'));

describe('MLLP frame decoder', () => {
  it('reassembles a message split into 1-byte chunks', () => {
    const d = new MllpDecoder();
    const bytes = frame(msg);
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...texts(d.push(bytes.subarray(i, i + 1))));
    assert.deepEqual(out, [msg]);
  });
  it('yields every frame of a chunk with several pipelined messages', () => {
    const d = new MllpDecoder();
    const parts = ['A', 'B', 'C'].map((x) => `MSH|^~\\&|${x}`);
    assert.deepEqual(texts(d.push(Buffer.concat(parts.map((p) => frame(p))))), parts);
  });
  it('handles FS at the end of one chunk and CR at the start of the next', () => {
    const d = new MllpDecoder();
    const bytes = frame('MSH|x');
    assert.deepEqual(d.push(bytes.subarray(0, bytes.length - 1)), []);
    assert.deepEqual(texts(d.push(bytes.subarray(bytes.length - 1))), ['MSH|x']);
  });
  it('keeps an FS not followed by CR as payload', () => {
    const d = new MllpDecoder();
    const payload = Buffer.from([0x4d, 0x1c, 0x41]);
    const b = Buffer.concat([Buffer.from([0x0b]), payload.subarray(0, 2)]);
    d.push(b);
    assert.deepEqual(
      d.push(Buffer.concat([payload.subarray(2), Buffer.from([0x1c, 0x0d])])).map((f) => [...f.data]),
      [[0x4d, 0x1c, 0x41]],
    );
  });
  it('discards bytes before VT and reports them', () => {
    const issues: FrameIssue[] = [];
    const d = new MllpDecoder({ onIssue: (i) => issues.push(i) });
    assert.deepEqual(texts(d.push(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), frame('MSH|ok')]))), ['MSH|ok']);
    assert.deepEqual(issues, [{ kind: 'garbage', bytes: 16 }]);
  });
  it('drops a truncated frame when a new VT starts, and decodes the good frame after it', () => {
    const issues: FrameIssue[] = [];
    const d = new MllpDecoder({ onIssue: (i) => issues.push(i) });
    const truncated = Buffer.concat([Buffer.from([0x0b]), Buffer.from('MSH|cut off')]);
    assert.deepEqual(d.push(truncated), []);
    assert.deepEqual(texts(d.push(frame('MSH|good'))), ['MSH|good']);
    assert.equal(issues[0]!.kind, 'truncated');
    // and within one chunk
    assert.deepEqual(texts(d.push(Buffer.concat([truncated, frame('MSH|good2')]))), ['MSH|good2']);
  });
  it('reports a frame over the limit once, keeps its head for the AR, and recovers', () => {
    const issues: FrameIssue[] = [];
    const d = new MllpDecoder({ maxFrameBytes: 1000, onIssue: (i) => issues.push(i) });
    const big = frame(`MSH|^~\\&|A|B|C|D|||ORU^R01|BIG1|P|2.5\r${'OBX|1|TX|||'.padEnd(5000, 'x')}`);
    const out = [];
    for (let i = 0; i < big.length; i += 700) out.push(...d.push(big.subarray(i, i + 700)));
    out.push(...d.push(frame('MSH|next')));
    assert.equal(out.length, 2);
    assert.equal(out[0]!.oversize, big.length - 3);
    assert.match(out[0]!.data.toString(), /^MSH\|.*BIG1/);
    assert.equal(out[1]!.data.toString(), 'MSH|next');
    assert.deepEqual(
      issues.map((i) => i.kind),
      ['too-large'],
    );
  });
  it('keeps the frame that follows an oversized frame cut off before its end, in a later chunk', () => {
    const issues: FrameIssue[] = [];
    const d = new MllpDecoder({ maxFrameBytes: 1000, onIssue: (i) => issues.push(i) });
    const cut = frame(`MSH|^~\\&|A|B|C|D|||ORU^R01|BIG2|P|2.5\r${'x'.repeat(3000)}`).subarray(0, 2000); // no FS CR
    const after = frame('MSH|after'); // split too: its VT arrives in a chunk without its FS CR
    const out = [cut.subarray(0, 1500), cut.subarray(1500), after.subarray(0, 6), after.subarray(6)].flatMap((c) =>
      d.push(c),
    );
    assert.deepEqual(texts(out), ['MSH|after']);
    assert.deepEqual(
      issues.map((i) => i.kind),
      ['too-large', 'truncated'],
    );
  });
  it('decodes a 10 MB message pushed in 64 KiB chunks', () => {
    const d = new MllpDecoder();
    const body = `MSH|^~\\&|A\rOBX|1|TX|||${'y'.repeat(10 * 1024 * 1024)}`;
    const bytes = frame(body);
    let got: Buffer | undefined;
    for (let i = 0; i < bytes.length; i += 65536) {
      const f = d.push(bytes.subarray(i, i + 65536));
      if (f.length) got = f[0]!.data;
    }
    assert.equal(got?.length, Buffer.byteLength(body));
  });
  it('reports the partial frame left when the connection ends', () => {
    const issues: FrameIssue[] = [];
    const d = new MllpDecoder({ onIssue: (i) => issues.push(i) });
    d.push(Buffer.from('\x0bMSH|half'));
    assert.equal(d.inProgress, true);
    assert.equal(d.end(), 8);
    assert.deepEqual(issues, [{ kind: 'truncated', bytes: 8 }]);
  });
  it('reads ISO 8859-1 when MSH-18 names it and UTF-8 otherwise', () => {
    const latin = Buffer.from('MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5||||||8859/1\rPID|1||1||M\xfcller', 'latin1');
    assert.match(payloadText(latin), /Müller/);
    assert.match(payloadText(Buffer.from('MSH|^~\\&|A\rPID|1||1||Müller', 'utf8')), /Müller/);
  });
  it('reads the ISO 8859 part MSH-18 names (its first repetition), not 8859/1 for every 8859', () => {
    const msg = (charset: string, text: string): Buffer =>
      Buffer.concat([
        Buffer.from(`MSH|^~\\&|A|B|C|D|||ORU^R01|1|P|2.5||||||${charset}\rOBX|1|TX|||`, 'latin1'),
        Buffer.from(text, 'latin1'),
      ]);
    assert.match(payloadText(msg('8859/15', 'cost \xa4 5')), /cost € 5/, '0xA4 is the euro sign in Latin-9');
    assert.match(payloadText(msg('8859/1', 'cost \xa4 5')), /cost ¤ 5/);
    assert.match(payloadText(msg('8859/2~UNICODE UTF-8', '\xb1')), /ą/, 'Latin-2, first repetition');
  });
});
