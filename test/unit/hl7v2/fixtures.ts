// Loads a team-written HL7 v2 fixture in wire form (segments joined by \r).
import { readFileSync } from 'node:fs';

/** The fixture text with `\r` segment terminators. */
export function fixture(name: string): string {
  const text = readFileSync(new URL(`../../fixtures/hl7v2/${name}`, import.meta.url), 'utf8');
  return text.trimEnd().split('\n').join('\r');
}
