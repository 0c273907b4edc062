// The token value and the query that find a resource by one of its identifiers (FHIR R4 search.html#token and
// #escaping). One definition for every writer that upserts by identifier and every reader that looks one up, so a
// value holding `|`, `,`, `$` or `\` means the same thing on both sides.
import type { Identifier } from 'fhir/r4.js';
import { escapeValue } from './search/parse-values.js';

/** `system|value`, or `value` alone when the identifier has no system (then any system matches), escaped. */
export function identifierToken(id: Identifier): string {
  const value = escapeValue(id.value ?? '');
  return id.system ? `${escapeValue(id.system)}|${value}` : value;
}

/** `identifier=<token>`, each part URL-encoded and the bar kept readable: for a conditional create or update URL
 * and for If-None-Exist. */
export function identifierQuery(id: Identifier): string {
  const part = (s: string): string => encodeURIComponent(escapeValue(s));
  return `identifier=${id.system ? `${part(id.system)}|` : ''}${part(id.value ?? '')}`;
}
