// Operational settings: AUTH other than none is refused (not implemented yet), ADMIN_TOKEN, BASE_URL as an absolute
// http(s) URL, HTTP timeouts and connection cap, the database URL as logs show it, and README documenting every
// variable the code reads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { commandConfig, CONFIG_KEYS, ConfigError, loadConfig, redactDatabaseUrl } from '../../../src/config.js';
import { workerLimits } from '../../../src/core.js';

const refuses = (env: Record<string, string>, message: RegExp): void => {
  assert.throws(
    () => loadConfig(env),
    (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'),
  );
};

describe('operational configuration', () => {
  it('refuses AUTH other than none: it is not implemented yet', () => {
    refuses({ AUTH: 'smart' }, /^AUTH=smart is not implemented yet/);
    refuses({ AUTH: 'basic' }, /not implemented yet/);
    assert.equal(loadConfig({ AUTH: 'none' }).auth, 'none');
    assert.equal(loadConfig({}).auth, 'none');
  });

  it('takes ADMIN_TOKEN of at least 16 characters; unset or empty is no token', () => {
    assert.equal(loadConfig({ ADMIN_TOKEN: 'a'.repeat(32) }).adminToken, 'a'.repeat(32));
    assert.equal(loadConfig({}).adminToken, undefined);
    assert.equal(loadConfig({ ADMIN_TOKEN: '' }).adminToken, undefined);
    refuses({ ADMIN_TOKEN: 'secret' }, /ADMIN_TOKEN must be at least 16 characters/);
  });

  it('requires BASE_URL to be an absolute http(s) URL', () => {
    for (const bad of ['fhir.example.org/fhir', '/fhir', 'ftp://example.org/fhir', 'http//x'])
      refuses({ BASE_URL: bad }, /^BASE_URL must be an absolute http:\/\/ or https:\/\/ URL/);
    assert.equal(loadConfig({ BASE_URL: 'https://fhir.example.org/r4/' }).baseUrl, 'https://fhir.example.org/r4');
  });

  it('has HTTP timeouts and a connection cap with sensible defaults', () => {
    const c = loadConfig({});
    assert.equal(c.httpRequestTimeoutMs, 120_000);
    assert.equal(c.httpMaxConnections, 1024);
    assert.equal(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '30000' }).httpRequestTimeoutMs, 30_000);
    refuses({ HTTP_REQUEST_TIMEOUT_MS: '0' }, /HTTP_REQUEST_TIMEOUT_MS must be an integer/);
    refuses({ HTTP_MAX_CONNECTIONS: '0' }, /HTTP_MAX_CONNECTIONS must be an integer/);
  });

  it('reads JOB_LIMITS for serve as for worker, merged with the default limit by limit', () => {
    assert.deepEqual(workerLimits(loadConfig({})), { 'imaging.classify': { perProcess: 1 } });
    // Before, serve's in-process workers ignored JOB_LIMITS and worker replaced the default per-process limit.
    const { config } = commandConfig(['--job-limits', 'imaging.classify=/2,report.extract=2']);
    assert.deepEqual(workerLimits(config), {
      'imaging.classify': { perProcess: 1, cluster: 2 },
      'report.extract': { perProcess: 2 },
    });
    assert.deepEqual(workerLimits(loadConfig({ JOB_LIMITS: 'imaging.classify=4' })), {
      'imaging.classify': { perProcess: 4 },
    });
    refuses({ JOB_LIMITS: 'inference' }, /^JOB_LIMITS item "inference" must be/);
  });

  it('shows the database URL without user info or secret query parameters', () => {
    assert.equal(
      redactDatabaseUrl('postgres://ct:pw@db:5432/ctfhir?password=x&sslpassword=y&sslkey=/k.pem&sslmode=require'),
      'postgres://***@db:5432/ctfhir?sslmode=require',
    );
    assert.equal(redactDatabaseUrl('postgres://db:5432/ctfhir?password=x'), 'postgres://db:5432/ctfhir');
    assert.equal(redactDatabaseUrl('sqlite:data/ct-fhir.sqlite'), 'sqlite:data/ct-fhir.sqlite');
    assert.doesNotMatch(redactDatabaseUrl('postgres://u:p w@[bad/x'), /p w/);
  });

  it('README documents every variable the server and the worker read', () => {
    const readme = readFileSync('README.md', 'utf8');
    const worker = readFileSync('src/commands/worker.ts', 'utf8');
    const workerKeys = [.../commandConfig\(argv, \[([^\]]*)\]/.exec(worker)![1]!.matchAll(/'([A-Z_]+)'/g)].map(
      (m) => m[1]!,
    );
    assert.ok(workerKeys.includes('JOB_LEASE_MS'));
    const missing = [...CONFIG_KEYS, ...workerKeys].filter((k) => !readme.includes(`\`${k}\``));
    assert.deepEqual(missing, []);
  });
});
