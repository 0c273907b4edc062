// Baseline for the FHIR REST benchmark: a bare node:http server that answers every request with one fixed JSON body.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
// The body comes from a file: a CapabilityStatement is too large for a command-line argument.
const body = process.argv[3] ? readFileSync(process.argv[3]) : Buffer.from('{}');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
