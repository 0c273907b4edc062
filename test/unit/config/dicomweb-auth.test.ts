// PACS credentials for DICOMWEB_URL: a bearer token (DICOMWEB_TOKEN) or Basic auth (DICOMWEB_USERNAME with
// DICOMWEB_PASSWORD); half a pair or both kinds at once is a configuration error naming the variables.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertKnownFlags, flagsToEnv, loadConfig } from '../../../src/config.js';

describe('DICOMWEB_* credentials', () => {
  it('are absent by default', () => {
    assert.equal(loadConfig({}).dicomwebAuth, undefined);
  });

  it('read a bearer token or a user name with its password', () => {
    assert.deepEqual(loadConfig({ DICOMWEB_TOKEN: 't0k' }).dicomwebAuth, { type: 'bearer', token: 't0k' });
    assert.deepEqual(loadConfig({ DICOMWEB_USERNAME: 'ct-fhir', DICOMWEB_PASSWORD: 'p:w' }).dicomwebAuth, {
      type: 'basic',
      username: 'ct-fhir',
      password: 'p:w',
    });
  });

  it('refuse half a pair, a colon in the user name and both kinds at once, without echoing the secret', () => {
    for (const [env, message] of [
      [{ DICOMWEB_USERNAME: 'ct-fhir' }, /DICOMWEB_USERNAME and DICOMWEB_PASSWORD go together/],
      [{ DICOMWEB_PASSWORD: 'S3cret' }, /DICOMWEB_USERNAME and DICOMWEB_PASSWORD go together/],
      [{ DICOMWEB_USERNAME: 'a:b', DICOMWEB_PASSWORD: 'S3cret' }, /must not contain ":"/],
      [{ DICOMWEB_TOKEN: 'S3cret', DICOMWEB_USERNAME: 'u', DICOMWEB_PASSWORD: 'S3cret' }, /exclude each other/],
    ] as const) {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof Error && message.test(e.message) && !e.message.includes('S3cret'),
      );
    }
  });

  it('are known flags', () => {
    assert.doesNotThrow(() =>
      assertKnownFlags(
        flagsToEnv(['--dicomweb-username', 'u', '--dicomweb-password', 'p', '--dicomweb-token', 't']).env,
      ),
    );
  });
});
