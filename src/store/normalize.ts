// Normalisation of string search values: FHIR R4 search.html#string says matching is case- and
// accent-insensitive, so both indexed and searched values go through the same function.

/** Lower-cases, strips combining accents and collapses whitespace. */
export function normalizeString(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
