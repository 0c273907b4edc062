// Configuration from environment and flags: defaults, flags over env, clear errors naming the variable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertKnownFlags, CONFIG_KEYS, ConfigError, flagsToEnv, loadConfig } from '../../../src/config.js';
import { serve } from '../../../src/commands/serve.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.baseUrl, 'http://127.0.0.1:8080/fhir');
    assert.equal(c.databaseUrl, 'sqlite:data/ct-fhir.sqlite');
    assert.equal(c.mllpPort, 2575);
    assert.deepEqual(c.inference.providers, ['cpu']);
    assert.equal(c.hl7Outbound, undefined);
    assert.equal(c.hl7GroupCommit, false);
    assert.equal(c.shutdownTimeoutMs, 10_000);
  });

  it('reads booleans as true/false, 1/0 or yes/no', () => {
    assert.equal(loadConfig({ HL7_GROUP_COMMIT: 'true' }).hl7GroupCommit, true);
    assert.equal(loadConfig({ HL7_GROUP_COMMIT: 'YES' }).hl7GroupCommit, true);
    assert.equal(loadConfig({ HL7_GROUP_COMMIT: '0' }).hl7GroupCommit, false);
  });

  it('lets --flags override environment variables', () => {
    const { env, rest } = flagsToEnv([
      '--port',
      '9090',
      '--database-url=postgres://u@127.0.0.1:5432/x',
      '--mllp-port',
      '0',
      'extra',
    ]);
    const c = loadConfig({ PORT: '1', ...env });
    assert.equal(c.port, 9090);
    assert.equal(c.databaseUrl, 'postgres://u@127.0.0.1:5432/x');
    assert.equal(c.mllpPort, 0);
    assert.deepEqual(rest, ['extra']);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with sqlite: or postgres:\/\//],
    [{ INFERENCE_PROVIDERS: 'tpu' }, /INFERENCE_PROVIDERS accepts cpu and cuda/],
    [{ HL7_OUTBOUND: 'ris' }, /HL7_OUTBOUND must be host:port/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be/],
    [{ HL7_GROUP_COMMIT: 'maybe' }, /HL7_GROUP_COMMIT must be true or false/],
    [{ SHUTDOWN_TIMEOUT_MS: '-1' }, /SHUTDOWN_TIMEOUT_MS must be an integer/],
    [{ DICOMWEB_URL: 'pacs.local' }, /DICOMWEB_URL must be an http\(s\):\/\/ or file:\/\/ URL/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a ConfigError naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    });
  }

  it('names every variable it reads in CONFIG_KEYS, so the flag check knows them all', () => {
    const read = new Set<string>();
    const src = new Proxy({} as Record<string, string | undefined>, {
      get: (_t, key) => {
        if (typeof key === 'string') read.add(key);
        return undefined;
      },
    });
    loadConfig(src);
    assert.deepEqual(
      [...read].filter((k) => !CONFIG_KEYS.includes(k)),
      [],
    );
  });

  it('rejects a mistyped flag and a stray argument instead of ignoring them', async () => {
    assert.throws(() => assertKnownFlags(flagsToEnv(['--worker', '0']).env), /unknown option --worker/);
    assert.doesNotThrow(() => assertKnownFlags(flagsToEnv(['--workers', '0', '--log-level', 'warn']).env));
    assert.doesNotThrow(() => assertKnownFlags({ JOB_LEASE_MS: '10' }, ['JOB_LEASE_MS']), 'a command adds its own');
    await assert.rejects(serve(['--worker', '0']), (e) => e instanceof ConfigError && /--worker/.test(e.message));
    await assert.rejects(
      serve(['--workers', '0', 'bogus']),
      (e) => e instanceof ConfigError && /bogus/.test(e.message),
    );
  });
});
