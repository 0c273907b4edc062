// Version of the report-label extractor, recorded in the FHIR Device that authors report-derived Observations.
// Bump it whenever rules or vocabulary change what is extracted.

/** Extractor name and version (FHIR Device.deviceName / Device.version). */
export const EXTRACTOR_NAME = 'ct-fhir report-label extractor';
export const EXTRACTOR_VERSION = '1.3.0';
