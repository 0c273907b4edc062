// The product's name and version (CapabilityStatement.software, Device.version of the server itself).
export const SOFTWARE = { name: 'ct-fhir', version: '0.1.0' } as const;
