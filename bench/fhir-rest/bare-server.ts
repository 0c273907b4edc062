// Baselines for the FHIR REST benchmark: a server that answers every request with one fixed JSON body.
//   node:http  (default)  the floor of any Node HTTP server
//   express               an express 5 app with the same settings and raw body parser as ct-fhir's, no FHIR work:
//                         the floor of any handler on the framework the design prescribes
//   db-read               node:http plus one prepared SELECT of the stored resource per request from the benchmark's
//                         own database (better-sqlite3 or a pg pool of 10), written as stored: the floor of any read
//                         that goes to the database, with no FHIR work at all (no headers, checks, metrics or logs)
// Usage: bare-server.ts <port> <body file> [node|express|db-read <database url>]
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import Database from 'better-sqlite3';
import express from 'express';
import pg from 'pg';

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

// content::text: PostgreSQL sends jsonb as text anyway; the floor skips parsing and re-serialising it.
const READ = 'SELECT content::text FROM resource WHERE resource_type = $1 AND id = $2';

/** Reads the resource named by the path (/fhir/Type/id) from the database for every request. */
function dbReadServer(databaseUrl: string): Server {
  let read: (type: string, id: string) => Promise<string>;
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    const stmt = db.prepare(READ.replace('::text', '').replace(/\$\d/g, '?')).pluck();
    read = async (type, id) => stmt.get(type, id) as string;
  } else {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    read = async (type, id) =>
      (await pool.query<string[]>({ name: 'read', text: READ, values: [type, id], rowMode: 'array' })).rows[0]![0]!;
  }
  return createServer((req, res) => {
    const [, , type = '', id = ''] = (req.url ?? '').split('/');
    void read(type, id).then((content) => {
      const bytes = Buffer.from(content);
      res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': bytes.length });
      res.end(bytes);
    });
  });
}

const server =
  kind === 'express' ? expressServer() : kind === 'db-read' ? dbReadServer(process.argv[5] ?? '') : nodeServer();
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
