// Loads a team-written HL7 v2 fixture in wire form (segments joined by \r), and the mapping's refusal of a message.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { mapMessage, MappingError } from '../../../src/hl7v2/mapping/index.js';

/** The fixture text with `\r` segment terminators. */
export function fixture(name: string): string {
  const text = readFileSync(new URL(`../../fixtures/hl7v2/${name}`, import.meta.url), 'utf8');
  return text.trimEnd().split('\n').join('\r');
}

/** The MappingError the mapping throws for `text`; fails the test if it maps. */
export function mappingErrorOf(text: string): MappingError {
  try {
    mapMessage(Hl7Message.parse(text));
  } catch (err) {
    assert.ok(err instanceof MappingError);
    return err;
  }
  assert.fail('expected a MappingError');
}
