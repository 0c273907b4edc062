// Baselines for the FHIR REST benchmark: a server that answers every request with one fixed JSON body.
//   node:http  (default)  the floor of any Node HTTP server
//   express               an express 5 app with the same settings and raw body parser as ct-fhir's, no FHIR work:
//                         the floor of any handler on the framework the design prescribes
// Usage: bare-server.ts <port> <body file> [node|express]
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import express from 'express';

const port = Number(process.argv[2] ?? 0);
// The body comes from a file: a CapabilityStatement is too large for a command-line argument.
const body = process.argv[3] ? readFileSync(process.argv[3]) : Buffer.from('{}');
const kind = process.argv[4] ?? 'node';

function nodeServer(): Server {
  return createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': body.length });
      res.end(body);
    });
  });
}

function expressServer(): Server {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.raw({ type: () => true, limit: '10mb' }));
  app.use((_req, res) => {
    res.status(200).type('application/fhir+json').send(body);
  });
  return createServer(app);
}

const server = kind === 'express' ? expressServer() : nodeServer();
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
