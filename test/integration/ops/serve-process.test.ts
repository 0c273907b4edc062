// `ct-fhir serve` as a process: a failure to start (PostgreSQL unreachable, no such database, HOST that does not
// resolve) is one line and exit 1, not a stack; SIGTERM while it is still starting stops it cleanly (exit 0) once
// startup is done, instead of killing it silently; a startup that never finishes exits SHUTDOWN_TIMEOUT_MS later.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { postgresDatabase, sqliteDatabase } from '../../support/databases.js';
import { freePort } from '../../support/ports.js';

interface Run {
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

function serve(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['bin/ct-fhir.js', 'serve'], {
    env: { ...process.env, PORT: '0', MLLP_PORT: '0', WORKERS: '0', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { stderr: () => stderr, exited, kill: (s) => child.kill(s) };
}

/** Exit 1 and a single `ct-fhir serve: cannot start: ...` line matching `message`, no stack trace. */
async function failsWithOneLine(env: Record<string, string>, message: RegExp): Promise<void> {
  const run = serve(env);
  const { code } = await run.exited;
  const lines = run.stderr().trimEnd().split('\n');
  assert.equal(code, 1, run.stderr());
  assert.equal(lines.length, 1, run.stderr());
  assert.match(lines[0]!, /^ct-fhir serve: cannot start: /);
  assert.match(lines[0]!, message);
}

describe('ct-fhir serve: failures to start are one line', () => {
  it('PostgreSQL unreachable', async () => {
    const port = await freePort();
    await failsWithOneLine(
      { DATABASE_URL: `postgres://postgres:pw@127.0.0.1:${port}/x` },
      new RegExp(`database postgres://\\*\\*\\*@127\\.0\\.0\\.1:${port}/x: connect ECONNREFUSED`),
    );
  });

  it('a database that does not exist', async () => {
    const db = await postgresDatabase();
    const url = new URL(db.url);
    const name = `ctfhir_missing_${randomBytes(4).toString('hex')}`;
    url.pathname = `/${name}`;
    try {
      await failsWithOneLine({ DATABASE_URL: url.toString() }, new RegExp(`database "${name}" does not exist`));
    } finally {
      await db.drop();
    }
  });

  it('a HOST that does not resolve', async () => {
    const db = sqliteDatabase();
    try {
      await failsWithOneLine(
        { DATABASE_URL: db.url, HOST: 'ct-fhir-no-such-host.invalid' },
        /cannot listen on HOST=ct-fhir-no-such-host\.invalid PORT=0: getaddrinfo/,
      );
    } finally {
      await db.drop();
    }
  });
});

/** A TCP gate in front of PostgreSQL: holds connections (startup waits on its database) until opened. */
async function gate(target: URL): Promise<{ port: number; arrived: Promise<void>; open(): void; close(): void }> {
  const held: Socket[] = [];
  let opened = false;
  let arrive = (): void => undefined;
  const arrived = new Promise<void>((r) => (arrive = r));
  const pass = (client: Socket): void => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  };
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (opened) return pass(client);
    client.pause();
    held.push(client);
    arrive();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    arrived,
    open: () => {
      opened = true;
      for (const c of held.splice(0)) pass(c);
    },
    close: () => {
      for (const c of held) c.destroy();
      server.close();
    },
  };
}

describe('ct-fhir serve: SIGTERM during startup', () => {
  it('finishes starting, then stops cleanly with exit 0 and says so', async () => {
    const db = await postgresDatabase();
    const url = new URL(db.url);
    const g = await gate(new URL(db.url));
    try {
      url.host = `127.0.0.1:${g.port}`;
      const run = serve({ DATABASE_URL: url.toString(), LOG_LEVEL: 'info' });
      await g.arrived;
      run.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      g.open();
      const { code, signal } = await run.exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, run.stderr());
      const msgs = run
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => (JSON.parse(l) as { msg: string }).msg);
      const order = ['stop requested while starting; stopping once started', 'listening', 'shutting down', 'stopped'];
      assert.deepEqual(
        msgs.filter((m) => order.includes(m)),
        order,
      );
    } finally {
      g.close();
      await db.drop();
    }
  });

  it('exits 1 when startup has not finished SHUTDOWN_TIMEOUT_MS after the signal', async () => {
    const db = await postgresDatabase();
    const url = new URL(db.url);
    const g = await gate(new URL(db.url));
    try {
      url.host = `127.0.0.1:${g.port}`;
      const run = serve({ DATABASE_URL: url.toString(), SHUTDOWN_TIMEOUT_MS: '300' });
      await g.arrived;
      run.kill('SIGTERM');
      const { code } = await run.exited;
      assert.equal(code, 1, run.stderr());
      assert.match(run.stderr(), /startup did not finish in time after the stop request/);
    } finally {
      g.close();
      await db.drop();
    }
  });
});
