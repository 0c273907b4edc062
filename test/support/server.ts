// Starts the real server (the same composition as `ct-fhir serve`) on a free loopback port over a test database.
import { startServer, type RunningServer, type ServerParts } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import type { TestDatabase } from './databases.js';

export interface TestServer extends RunningServer {
  db: TestDatabase;
  stop(): Promise<void>;
}

/** The configuration of a test server: a free loopback port, no MLLP, no workers, `db`; `env` overrides. */
export function testServerConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', WORKERS: '0', DATABASE_URL: db.url, ...env });
}

/** A listening server on 127.0.0.1:<free port> over `db`, without MLLP or workers unless asked. */
export async function startTestServer(
  db: TestDatabase,
  env: Record<string, string> = {},
  parts: ServerParts = {},
): Promise<TestServer> {
  const server = await startServer(testServerConfig(db, env), silentLogger, parts);
  return {
    ...server,
    db,
    stop: async () => {
      await server.close();
      await db.drop();
    },
  };
}

/** fetch against the server's FHIR base with FHIR JSON headers. */
export async function fhirFetch(
  server: { baseUrl: string },
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`${server.baseUrl}/${path.replace(/^\//, '')}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // non-JSON bodies stay text so a test can assert on them
  }
  return { status: res.status, headers: res.headers, body };
}
