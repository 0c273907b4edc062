// What the outbound ORU tests need in FHIR: a Patient with an MRN and an ImagingStudy with a study UID and an
// accession number (the RIS's keys), and a JobContext for running a handler directly.
import type { DiagnosticReport, ImagingStudy, Patient } from 'fhir/r4.js';
import type { JobContext } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/log.js';
import { fhirFetch, type TestServer } from './server.js';

const ACSN = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] };

/** A JobContext for calling a job handler outside a worker. */
export function jobContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { signal, attempt: 1, workerId: 't', logger: silentLogger };
}

/** Creates a Patient identified by `mrn` (urn:mrn). */
export async function postPatient(server: TestServer, mrn: string): Promise<Patient> {
  const body: Patient = { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }] };
  return (await fhirFetch(server, 'Patient', { method: 'POST', body })).body as Patient;
}

/** Creates an ImagingStudy of `subject` with study UID `uid` (dotted) and accession number `accession`. */
export async function postStudy(
  server: TestServer,
  study: { subject: string; uid: string; accession: string; status?: ImagingStudy['status'] },
): Promise<ImagingStudy> {
  const body: ImagingStudy = {
    resourceType: 'ImagingStudy',
    status: study.status ?? 'registered',
    identifier: [
      { system: 'urn:dicom:uid', value: `urn:oid:${study.uid}` },
      { type: ACSN, value: study.accession },
    ],
    subject: { reference: study.subject },
  };
  return (await fhirFetch(server, 'ImagingStudy', { method: 'POST', body })).body as ImagingStudy;
}

/** Creates a final CT chest report (LOINC 24627-2) on `study` of `patient` whose conclusion is `text`. */
export async function postReport(
  server: TestServer,
  report: { patient: Patient; study: ImagingStudy; text: string },
): Promise<DiagnosticReport> {
  const body: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
    subject: { reference: `Patient/${report.patient.id}` },
    imagingStudy: [{ reference: `ImagingStudy/${report.study.id}` }],
    conclusion: report.text,
  };
  return (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body })).body as DiagnosticReport;
}
