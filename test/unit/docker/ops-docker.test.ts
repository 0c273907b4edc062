// docker/ for operations (no Docker engine here): compose migrates once before api and worker start and restarts
// services; ADMIN_TOKEN comes from the environment; both images run as a user that exists and check /healthz on the
// port the server listens on (docker/healthcheck.sh, run here against a real `ct-fhir serve`).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort } from '../../support/ports.js';

interface Service {
  build?: { dockerfile: string };
  command?: string[];
  restart?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync('docker/compose.yaml', 'utf8')) as { services: Record<string, Service> };

/** A Dockerfile's instructions (continuation lines joined, comments dropped). */
function instructions(file: string): { op: string; args: string }[] {
  return readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1) }));
}

describe('compose.yaml', () => {
  it('runs `ct-fhir migrate` once, and api and worker only after it succeeded', () => {
    const migrate = compose.services.migrate!;
    assert.deepEqual(migrate.command, ['migrate']);
    assert.equal(migrate.build?.dockerfile, 'docker/Dockerfile');
    assert.match(migrate.environment!.DATABASE_URL!, /^postgres:\/\//);
    assert.equal(migrate.depends_on?.postgres?.condition, 'service_healthy');
    assert.notEqual(migrate.restart, 'unless-stopped', 'a one-shot service');
    for (const name of ['api', 'worker'])
      assert.equal(compose.services[name]!.depends_on?.migrate?.condition, 'service_completed_successfully', name);
  });

  it('restarts the long-running services unless stopped', () => {
    for (const name of ['postgres', 'orthanc', 'api', 'worker'])
      assert.equal(compose.services[name]!.restart, 'unless-stopped', name);
  });

  it("passes ADMIN_TOKEN to the api from docker compose's environment", () => {
    assert.match(compose.services.api!.environment!.ADMIN_TOKEN!, /^\$\{ADMIN_TOKEN\b/);
  });
});

describe('Dockerfiles', () => {
  for (const file of ['docker/Dockerfile', 'docker/Dockerfile.gpu']) {
    it(`${file}: runs as a user its base image has or it creates`, () => {
      const ins = instructions(file);
      const user = ins.find((i) => i.op === 'USER')?.args;
      assert.ok(user, 'a USER instruction');
      const base = ins.find((i) => i.op === 'FROM')!.args;
      const created = ins.some((i) => i.op === 'RUN' && new RegExp(`useradd\\b[^&;]*\\s${user}\\b`).test(i.args));
      assert.ok((base.startsWith('node:') && user === 'node') || created, `${file}: USER ${user} must exist`);
    });

    it(`${file}: checks health with docker/healthcheck.sh, which it copies`, () => {
      const ins = instructions(file);
      assert.deepEqual(JSON.parse(ins.find((i) => i.op === 'HEALTHCHECK')!.args.replace(/^.*?CMD\s+/, '')), [
        'sh',
        'docker/healthcheck.sh',
      ]);
      assert.ok(ins.some((i) => i.op === 'COPY' && i.args.startsWith('docker/healthcheck.sh ')));
    });
  }
});

describe('docker/healthcheck.sh', () => {
  const check = (pid: number, port: number): number | null =>
    spawnSync('sh', ['docker/healthcheck.sh'], {
      env: { ...process.env, HEALTHCHECK_PID: String(pid), PORT: String(port) },
    }).status;

  it('asks /healthz on PORT of a running `serve`, and passes a process that is not `serve`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctfhir-health-'));
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/ct-fhir.js', 'serve'], {
      env: {
        ...process.env,
        PORT: String(port),
        MLLP_PORT: '0',
        WORKERS: '0',
        DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    try {
      for (let i = 0; i < 200 && !log.includes('"listening"'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(log, /"listening"/);
      assert.equal(check(child.pid!, port), 0, 'healthy on its PORT');
      const closed = await freePort();
      assert.equal(check(child.pid!, closed), 1, 'unhealthy when nothing answers on PORT');
      assert.equal(check(process.pid, closed), 0, 'a process that is not `serve` has no HTTP to check');
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
