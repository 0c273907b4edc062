// Resources for the store search tests (written by the team; ids chosen for readable assertions).
import type { Resource } from 'fhir/r4.js';

const loinc = (code: string, text?: string) => ({ coding: [{ system: 'http://loinc.org', code }], text });
const mm = (value: number) => ({ value, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' });

/** Patients, observations, a report, a provenance, risk assessments and code systems. */
export function searchFixtures(): Resource[] {
  const pages: Resource[] = Array.from({ length: 25 }, (_, i) => ({
    resourceType: 'Patient',
    id: `page-${String(i).padStart(2, '0')}`,
    name: [{ family: 'Page' }],
  }));
  return [
    {
      resourceType: 'Patient',
      id: 'pat-1',
      name: [{ family: 'Zoë', given: ['Ann'] }],
      birthDate: '1970-05-15',
      identifier: [{ system: 'urn:mrn', value: 'M1' }],
      generalPractitioner: [{ reference: 'Practitioner/doc-1' }],
    },
    {
      resourceType: 'Patient',
      id: 'pat-2',
      name: [{ family: 'Zorro' }],
      birthDate: '1980-01-01',
      identifier: [{ system: 'urn:mrn', value: 'M2' }],
      managingOrganization: { reference: 'http://other.org/fhir/Organization/9' },
    },
    {
      resourceType: 'Patient',
      id: 'pat-3',
      name: [{ family: 'Smith' }],
      birthDate: '1975',
      generalPractitioner: [{ identifier: { system: 'urn:npi', value: 'N1' } }],
    },
    ...pages,
    { resourceType: 'Practitioner', id: 'doc-1', name: [{ family: 'House' }] },
    {
      resourceType: 'Observation',
      id: 'obs-1',
      status: 'final',
      code: loinc('1111-1', 'Lung nodule'),
      subject: { reference: 'Patient/pat-1' },
      effectiveDateTime: '2024-01-10T10:00:00Z',
      valueQuantity: mm(5.5),
    },
    {
      resourceType: 'Observation',
      id: 'obs-2',
      status: 'preliminary',
      code: loinc('2222-2'),
      subject: { reference: 'Patient/pat-1' },
      effectivePeriod: { start: '2024-01-01', end: '2024-01-31' },
      valueQuantity: mm(12),
      component: [{ code: { coding: [{ system: 'http://loinc.org', code: 'c1' }] }, valueQuantity: mm(3) }],
    },
    {
      resourceType: 'Observation',
      id: 'obs-3',
      status: 'final',
      code: loinc('1111-1'),
      subject: { reference: 'Patient/pat-2' },
      effectiveDateTime: '2023-06-01',
      valueQuantity: mm(20),
      performer: [{ reference: 'Practitioner/doc-1' }],
    },
    {
      resourceType: 'Observation',
      id: 'obs-4',
      status: 'cancelled',
      code: { coding: [{ code: '1111-1' }] },
      subject: { reference: 'Patient/pat-2' },
      effectiveDateTime: '2024-02-01',
    },
    {
      resourceType: 'DiagnosticReport',
      id: 'dr-1',
      status: 'final',
      code: { text: 'CT chest' },
      subject: { reference: 'Patient/pat-1' },
      result: [{ reference: 'Observation/obs-1' }, { reference: 'Observation/obs-2' }],
    },
    {
      resourceType: 'Provenance',
      id: 'prov-1',
      target: [{ reference: 'Observation/obs-1' }],
      recorded: '2024-01-10T10:00:00Z',
      agent: [{ who: { reference: 'Practitioner/doc-1' } }],
    },
    {
      resourceType: 'RiskAssessment',
      id: 'ra-1',
      status: 'final',
      subject: { reference: 'Patient/pat-1' },
      prediction: [{ probabilityDecimal: 0.3 }],
    },
    {
      resourceType: 'RiskAssessment',
      id: 'ra-2',
      status: 'final',
      subject: { reference: 'Patient/pat-2' },
      prediction: [{ probabilityDecimal: 0.8 }],
    },
    {
      resourceType: 'CodeSystem',
      id: 'cs-1',
      url: 'http://example.org/cs/lung',
      status: 'active',
      content: 'complete',
    },
    {
      resourceType: 'CodeSystem',
      id: 'cs-2',
      url: 'http://example.org/cs/lung/sub',
      status: 'active',
      content: 'complete',
    },
  ] as Resource[];
}
