import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DicomwebError,
  MultipartParser,
  boundaryOf,
  parseContentType,
  readMultipart,
} from '../../../../src/imaging/dicomweb/index.js';
import type { MultipartPart } from '../../../../src/imaging/dicomweb/index.js';

const BOUNDARY = 'b0undary-XYZ';

function body(parts: Uint8Array[], opts: { preamble?: string; epilogue?: string; padding?: string } = {}): Buffer {
  const chunks: Buffer[] = [Buffer.from(opts.preamble ?? '')];
  for (const p of parts) {
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}${opts.padding ?? ''}\r\nContent-Type: application/dicom\r\nContent-Length: ${p.length}\r\n\r\n`,
      ),
    );
    chunks.push(Buffer.from(p));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n${opts.epilogue ?? ''}`));
  return Buffer.concat(chunks);
}

/** Random bytes that contain partial delimiters, CRLFs and dashes (the hard cases for a boundary scanner). */
function tricky(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  const pieces = [
    Buffer.from(`\r\n--${BOUNDARY.slice(0, 5)}`),
    Buffer.from('\r\n\r\n'),
    Buffer.from('--'),
    Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}`),
  ];
  for (let i = 0; i < n;) {
    x = (x * 1103515245 + 12345) >>> 0;
    if (x % 17 === 0) {
      const p = pieces[x % pieces.length]!;
      out.set(p.subarray(0, Math.min(p.length, n - i)), i);
      i += p.length;
    } else out[i++] = x >>> 24;
  }
  return out;
}

function feed(data: Buffer, sizes: (i: number) => number): MultipartPart[] {
  const parser = new MultipartParser(BOUNDARY);
  const parts: MultipartPart[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.max(1, sizes(i));
    parts.push(...parser.push(data.subarray(off, off + n)));
    off += n;
  }
  parser.end();
  return parts;
}

describe('multipart/related stream parser', () => {
  const payloads = [tricky(5000, 1), tricky(1, 2), new Uint8Array(0), tricky(70000, 3)];
  const data = body(payloads, { preamble: 'ignored preamble\r\n', epilogue: 'ignored epilogue' });

  it('returns every part byte-identical whatever the chunk size, including delimiters split across chunks', () => {
    for (const size of [1, 2, 3, 7, BOUNDARY.length + 3, 64, 1000, 65536, data.length]) {
      const parts = feed(data, () => size);
      assert.equal(parts.length, payloads.length, `chunk size ${size}`);
      parts.forEach((p, i) =>
        assert.deepEqual(Buffer.from(p.body), Buffer.from(payloads[i]!), `part ${i}, chunk size ${size}`),
      );
      assert.equal(parts[0]!.headers['content-type'], 'application/dicom');
    }
  });

  it('handles random chunk boundaries', () => {
    let x = 99;
    for (let run = 0; run < 30; run++) {
      const parts = feed(data, () => {
        x = (x * 1103515245 + 12345) >>> 0;
        return 1 + (x % 200);
      });
      assert.equal(parts.length, payloads.length);
      parts.forEach((p, i) => assert.ok(Buffer.from(p.body).equals(Buffer.from(payloads[i]!))));
    }
  });

  it('emits a part as soon as its closing delimiter arrives (streaming, not buffering the response)', () => {
    const parser = new MultipartParser(BOUNDARY);
    const first = body([tricky(100, 5), tricky(100, 6)]);
    const cut = first.indexOf(`--${BOUNDARY}`, 10) + 2 + BOUNDARY.length + 2;
    assert.equal(parser.push(first.subarray(0, cut)).length, 1);
    assert.equal(parser.push(first.subarray(cut)).length, 1);
    parser.end();
  });

  it('accepts transport padding after a delimiter and returns parts as standalone arrays', () => {
    const parts = feed(body([tricky(300, 7)], { padding: '  \t' }), () => 13);
    assert.equal(parts.length, 1);
    assert.equal(parts[0]!.body.byteOffset, 0);
    assert.equal(parts[0]!.body.buffer.byteLength, 300);
  });

  it('fails clearly on a body cut before the closing delimiter', () => {
    const cut = body([tricky(500, 8), tricky(500, 9)]);
    assert.throws(
      () => feed(cut.subarray(0, cut.length - 30), () => 100),
      (e: unknown) =>
        e instanceof DicomwebError &&
        e.kind === 'protocol' &&
        /ended before its closing boundary \(1 complete part/.test(e.message),
    );
  });

  it('fails clearly on oversized parts and header blocks and malformed headers', () => {
    const big = new MultipartParser(BOUNDARY, { maxPartBytes: 1000 });
    assert.throws(() => big.push(body([tricky(5000, 1)])), /part exceeds 1000 bytes/);
    const headers = new MultipartParser(BOUNDARY, { maxHeaderBytes: 64 });
    assert.throws(() => headers.push(Buffer.from(`--${BOUNDARY}\r\nX: ${'a'.repeat(200)}`)), /headers exceed 64 bytes/);
    const malformed = new MultipartParser(BOUNDARY);
    assert.throws(
      () => malformed.push(Buffer.from(`--${BOUNDARY}\r\nno colon here\r\n\r\nbody`)),
      /malformed multipart header/,
    );
    const line = new MultipartParser(BOUNDARY);
    assert.throws(() => line.push(Buffer.from(`--${BOUNDARY}XX\r\n`)), /malformed multipart delimiter/);
  });

  it('reads parts from an async stream one at a time', async () => {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let off = 0; off < data.length; off += 777) yield data.subarray(off, off + 777);
    }
    const sizes: number[] = [];
    for await (const part of readMultipart(chunks(), BOUNDARY)) sizes.push(part.body.length);
    assert.deepEqual(
      sizes,
      payloads.map((p) => p.length),
    );
  });

  it('takes the boundary from the Content-Type, quoted or not, and rejects non-multipart answers', () => {
    assert.equal(boundaryOf('multipart/related; type="application/dicom"; boundary="a b;c"'), 'a b;c');
    assert.equal(boundaryOf('Multipart/Related;boundary=xyz;type=application/dicom'), 'xyz');
    assert.deepEqual(parseContentType('application/dicom; transfer-syntax=1.2.840.10008.1.2.1'), {
      type: 'application/dicom',
      params: { 'transfer-syntax': '1.2.840.10008.1.2.1' },
    });
    assert.throws(() => boundaryOf('application/json'), /expected a multipart\/related response/);
    assert.throws(() => boundaryOf('multipart/related; type="application/dicom"'), /without a valid boundary/);
    assert.throws(() => boundaryOf(null), /got "\(none\)"/);
  });
});
