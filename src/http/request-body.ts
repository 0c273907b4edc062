// Reads a request body from node:http with a size limit, inflating gzip/deflate/br Content-Encoding. A declared
// Content-Length over the limit is refused before any byte is read; the limit also applies to the inflated size, so a
// small compressed body cannot expand past it. Errors are OperationOutcome errors (413, 415, 400).
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { OperationOutcomeError } from '../fhir/outcomes.js';
import { badRequest, tooLarge, unsupportedMediaType } from '../fhir/outcomes.js';

function decoded(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  switch (encoding) {
    case 'identity':
    case '':
      return req;
    case 'gzip':
    case 'x-gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      throw unsupportedMediaType(`Content-Encoding ${encoding} is not supported; use gzip, deflate, br or identity`);
  }
}

/** The whole body, or undefined when the request has none; rejects with 413 past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = req.headers['content-length'];
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  const tooBig = (): OperationOutcomeError => tooLarge(`Request body exceeds ${limit} bytes`);
  if (declared !== undefined && Number(declared) > limit) throw tooBig();
  const stream = decoded(req);
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const fail = (err: OperationOutcomeError): void => {
      stream.removeAllListeners('data');
      if (stream !== req) stream.destroy();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooBig());
      else chunks.push(chunk);
    });
    stream.once('end', () => resolve(size === 0 ? undefined : Buffer.concat(chunks, size)));
    stream.once('error', (err: Error) => fail(badRequest(`The request body could not be read: ${err.message}`)));
    // A client that hangs up mid-body gets no answer; the handler just stops.
    req.once('aborted', () => fail(badRequest('The client aborted the request body')));
  });
}
