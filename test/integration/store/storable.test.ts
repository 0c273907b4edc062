// Writes the databases cannot hold are a 400 naming the element on SQLite and PostgreSQL alike, whoever writes
// (jobs and HL7 write without the REST validator): a NUL (U+0000) in any string, and an indexed search value over
// the 2048 bytes a PostgreSQL B-tree row can carry with the rest of its key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import type { Observation, Patient } from 'fhir/r4.js';
import { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import { databaseKinds } from '../../support/databases.js';
import { openStore, type StoreFixture } from './helpers.js';

const noise = (chars: number): string => randomBytes(chars).toString('base64').slice(0, chars);

async function rejects400(write: () => Promise<unknown>, expression: string | RegExp): Promise<void> {
  await assert.rejects(write, (err: unknown) => {
    assert.ok(err instanceof OperationOutcomeError, String(err));
    assert.equal(err.status, 400, err.message);
    const at = err.outcome.issue[0]!.expression?.[0] ?? '';
    if (typeof expression === 'string') assert.equal(at, expression);
    else assert.match(at, expression);
    return true;
  });
}

for (const { kind, make } of databaseKinds) {
  describe(`store: values the databases cannot hold (${kind})`, () => {
    let s: StoreFixture;
    before(async () => {
      s = await openStore(make);
    });
    after(async () => s.close());

    it('a NUL in a string, indexed or not, is a 400 naming the element; nothing is written', async () => {
      const p: Patient = { resourceType: 'Patient', name: [{ family: 'Nul\u0000' }] };
      await rejects400(() => s.repo.create(p), 'Patient.name[0].family');
      const o: Observation = {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'x' },
        extension: [{ url: 'urn:e', valueString: 'a\u0000b' }],
      };
      await rejects400(() => s.repo.create(o), 'Observation.extension[0].valueString');
      const created = await s.repo.create<Patient>({ resourceType: 'Patient', name: [{ family: 'Fine' }] });
      await rejects400(() => s.repo.update({ ...created, gender: 'male', name: [{ given: ['\u0000'] }] }), /given/);
      assert.equal((await s.repo.read<Patient>('Patient', created.id!)).meta?.versionId, '1');
    });

    it('the text "\\u0000" (a backslash, not a NUL) is stored', async () => {
      const p = await s.repo.create<Patient>({ resourceType: 'Patient', name: [{ family: 'back\\u0000slash' }] });
      assert.equal((await s.repo.read<Patient>('Patient', p.id!)).name?.[0]?.family, 'back\\u0000slash');
    });

    it('an indexed value over 2048 bytes is a 400 naming the search parameter element', async () => {
      await rejects400(
        () => s.repo.create({ resourceType: 'Patient', identifier: [{ system: 'urn:s', value: noise(9000) }] }),
        'Patient.identifier',
      );
      // Multi-byte characters count as bytes: 1,000 'é' are 2,000 bytes, fine; 1,100 are 2,200 bytes.
      await s.repo.create({ resourceType: 'Patient', identifier: [{ value: 'é'.repeat(1000) }] });
      await rejects400(
        () => s.repo.create({ resourceType: 'Patient', identifier: [{ value: 'é'.repeat(1100) }] }),
        'Patient.identifier',
      );
    });

    it('long text that is not indexed (a display, a narrative) is stored', async () => {
      const text = noise(20000);
      const o = await s.repo.create<Observation>({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'urn:c', code: 'c', display: text }], text },
        note: [{ text }],
      });
      assert.equal((await s.repo.read<Observation>('Observation', o.id!)).note?.[0]?.text, text);
    });
  });
}
