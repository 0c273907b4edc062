// Replays Inferno's US Core Test Kit (v5.0.1 groups) against the real server, on SQLite and PostgreSQL, over data
// ct-fhir itself writes: two ORU^R01 from a RIS over MLLP (Patient, ServiceRequest, DiagnosticReport, ImagingStudy;
// the report.extract job's findings and Provenance) and AI findings built and written as the classify job does
// (observations, summary report, Provenance, Device, Organization). For each claimed profile it sends the searches
// Inferno sends (parameter values extracted from returned resources by Inferno's rules: `gt` + one day before a
// date-only value, `system|code` tokens, `patient=id` and `Patient/id`, POST `_search`, date comparators built from
// the resource's own date +/- one day, SHALL multiple-or status lists, `_revinclude=Provenance:target`) and checks
// what Inferno checks: 200 searchset Bundles, every returned resource matches its parameters by Inferno's matching
// rules, reads, references that resolve, profile conformance, must-support coverage. Inferno takes parameter values
// from whichever resource the server lists first; this replays every resource's values, so order cannot hide a miss.
// Test ids are Inferno's (lib/us_core_test_kit/generated/v5.0.1/*). Inferno 5.0.1 has no multiple-and tests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type {
  Bundle,
  CapabilityStatement,
  DiagnosticReport,
  DocumentReference,
  ImagingStudy,
  Patient,
} from 'fhir/r4.js';
import { Client, Message } from 'node-hl7-client';
import { checkResource } from '../../../src/fhir/validation.js';
import { aiFindingsBundle } from '../../../src/findings/ai-findings.js';
import { findingCodes } from '../../../src/findings/codes.js';
import { writeFindings } from '../../../src/pipeline/fhir-io.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { databaseKinds } from '../../support/databases.js';
import { readFileSync } from 'node:fs';
import {
  claimed,
  DIAGNOSTIC_REPORT,
  DOCUMENT_REFERENCE,
  ENCOUNTER,
  OBSERVATION,
  ORGANIZATION_GROUP,
  PATIENT,
  PROVENANCE,
  SERVICE_REQUEST,
} from '../../support/inferno/groups.js';
import { emptyElements } from '../../support/inferno/matching.js';
import { InfernoSession } from '../../support/inferno/session.js';
import { freePort } from '../../support/ports.js';
import { startTestServer, type TestServer } from '../../support/server.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const DAR_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';
// An organization name with a comma: Inferno escapes it (`\,`) in the name search.
const ORGANIZATION = 'Mercy General Hospital, Radiology';

// A complete RIS message (address, phone, order time, ordering provider, visit with its attending doctor and without
// an admission type: its Encounter.type is DataAbsentReason unknown), a follow-up study of the same patient
// (admission type routine), and a minimal one: identifier-only PID, no order time, a time zone offset, a preliminary
// report, a finished emergency visit whose number has no CX-4 (the sending facility's, MSH-4).
const ORU_A = [
  'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240316120000||ORU^R01^ORU_R01|INF-A|P|2.5.1',
  "PID|1||MRN-INF-A^^^&2.16.840.1.113883.19.5&ISO^MR||O'NEIL^MARY^ANN||19600101|F|||12 MAIN ST^^BOSTON^MA^02115^USA||^PRN^PH^^^617^5551234",
  `PV1|1|O|RAD^^^GENHOSP||||1234^SMITH^JOHN^^^DR||||||||||||V-INF-A^^^GENHOSP^VN${'|'.repeat(25)}20240316083000`,
  'ORC|RE|PL-INF-A^RIS|FI-INF-A^PACS||CM||||20240316090000|||1234^SMITH^JOHN^^^DR',
  'OBR|1|PL-INF-A^RIS|FI-INF-A^PACS|24627-2^CT Chest^LN|||20240316110000|||||||||1234^SMITH^JOHN^^^DR||ACC-INF-A||||20240316115500||CT|F|||||||RAD77&WHITE&ANNA',
  'OBX|1|TX|18782-3^Findings^LN|1|FINDINGS: Moderate left pleural effusion.\\.br\\No pneumothorax.||||||F',
  'OBX|2|TX|19005-8^Impression^LN|2|IMPRESSION: Left pleural effusion.||||||F',
  'OBX|3|ST|110180^Study Instance UID^DCM||1.2.826.0.1.3680043.8.498.7001||||||F',
].join('\r');
const ORU_A2 = ORU_A.replaceAll('INF-A', 'INF-A2')
  .replace('MRN-INF-A2', 'MRN-INF-A')
  .replaceAll('20240316', '20240612')
  .replace(
    'Moderate left pleural effusion.',
    'Small left pleural effusion, decreased. New right lower lobe atelectasis.',
  )
  .replace('IMPRESSION: Left pleural effusion.', 'IMPRESSION: Decreasing left pleural effusion.')
  .replace('498.7001', '498.7003')
  .replace('|O|RAD^^^GENHOSP||', '|O|RAD^^^GENHOSP|R|');
const ORU_B = [
  'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240520093000+0100||ORU^R01^ORU_R01|INF-B|P|2.5.1',
  'PID|1||MRN-INF-B^^^GENHOSP^MR',
  `PV1|1|E||E|||||||||||||||V-INF-B^^^^VN${'|'.repeat(25)}20240520073000|20240520094500`,
  'ORC|RE|PL-INF-B^RIS|FI-INF-B^PACS||IP',
  'OBR|1|PL-INF-B^RIS|FI-INF-B^PACS|24627-2^CT Chest^LN|||20240520081500+0100|||||||||||ACC-INF-B||||20240520091000+0100||CT|P',
  'OBX|1|TX|18782-3^Findings^LN|1|FINDINGS: 8 mm nodule in the right upper lobe. No pleural effusion.||||||P',
  'OBX|2|ST|110180^Study Instance UID^DCM||1.2.826.0.1.3680043.8.498.7002||||||P',
].join('\r');

/** Sends one message over MLLP as a RIS does (node-hl7-client) and returns MSA-1. */
async function sendHl7(port: number, text: string): Promise<string> {
  const client = new Client({ host: '127.0.0.1' });
  try {
    const ack = await new Promise<Message>((resolve) => {
      const conn = client.createConnection({ port, waitAck: false }, (res) => resolve(res.getMessage()));
      void conn.sendMessage(new Message({ text }));
    });
    return ack.get('MSA.1').toString();
  } finally {
    client.closeAll();
  }
}

/** Polls a search until `done` holds for its Bundle (jobs run in the server's worker). */
async function waitFor(server: TestServer, query: string, done: (b: Bundle) => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${server.baseUrl}/${query}`, { headers: { accept: 'application/fhir+json' } });
    if (done((await res.json()) as Bundle)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${query}`);
}

/** Whether a Coding in `node` is data-absent-reason#unknown (Inferno's check_for_dar_code). */
function hasDarCode(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasDarCode);
  if (!node || typeof node !== 'object') return false;
  const o = node as { system?: unknown; code?: unknown };
  if (o.system === 'http://terminology.hl7.org/CodeSystem/data-absent-reason' && o.code === 'unknown') return true;
  return Object.values(node).some(hasDarCode);
}

/** The bundled model's labels: what the classify job reports for a study. */
const MODEL = JSON.parse(readFileSync('models/ctnet-phantom/model.json', 'utf8')) as {
  name: string;
  description: string;
  version: string;
  architecture: string;
  intendedUse: string;
  limitations: string[];
  labels: { abnormality: string; location: string | null; threshold: number }[];
};

// DocumentReference: its metadata.yml lists the $docref operation (SHALL), for which the v5.0.1 group has no test;
// ct-fhir does not implement $docref.
const CLAIMED_GROUPS = [PATIENT, DIAGNOSTIC_REPORT, OBSERVATION, SERVICE_REQUEST, ENCOUNTER, DOCUMENT_REFERENCE];

for (const { kind, make } of databaseKinds) {
  describe(`Inferno US Core 5.0.1 replay on ct-fhir's own output (${kind})`, () => {
    let server: TestServer;
    let inferno: InfernoSession;

    before(async () => {
      server = await startTestServer(await make(), {
        WORKERS: '1',
        MLLP_PORT: String(await freePort()),
        ORGANIZATION,
      });
      for (const message of [ORU_A, ORU_A2, ORU_B]) assert.equal(await sendHl7(server.mllpPort!, message), 'AA');
      const total = (b: Bundle): number => b.total ?? (b.entry ?? []).length;
      await waitFor(server, 'Task?code=report.extract&status=completed&_total=accurate', (b) => total(b) === 3);
      // AI findings for both studies of the first patient, one per label of the bundled model (more than a page),
      // built and written as the imaging.classify job does.
      const codes = findingCodes(getTerminology());
      for (const [n, accession] of ['ACC-INF-A', 'ACC-INF-A2'].entries()) {
        const studies = await fetch(`${server.baseUrl}/ImagingStudy?identifier=${accession}`);
        const study = ((await studies.json()) as Bundle).entry?.[0]?.resource as ImagingStudy;
        assert.ok(study, `the ORU^R01 made an ImagingStudy for ${accession}`);
        const findings = MODEL.labels.map((l, i) => {
          const probability = ((i * 37 + n * 11) % 100) / 100;
          return { ...l, probability, positive: probability >= l.threshold };
        });
        const algorithm = {
          ...{ name: MODEL.name, displayName: MODEL.description, version: MODEL.version },
          type: `CT image classifier (${MODEL.architecture})`,
          notes: [MODEL.intendedUse, ...MODEL.limitations],
        };
        const now = new Date().toISOString();
        const { bundle } = aiFindingsBundle({
          ...{ study, findings, codes, organizationName: ORGANIZATION, algorithm, now, display: codes.display },
        });
        await writeFindings(server.ctx, bundle, 'AI findings');
      }
      await waitFor(server, 'Task?status=requested,ready,accepted,in-progress&_total=accurate', (b) => total(b) === 0);
      const ids: string[] = [];
      for (const mrn of ['MRN-INF-A', 'MRN-INF-B']) {
        const res = await fetch(`${server.baseUrl}/Patient?identifier=${mrn}`);
        const patient = ((await res.json()) as Bundle).entry?.[0]?.resource as Patient | undefined;
        assert.ok(patient?.id, `Patient ${mrn}`);
        ids.push(patient.id);
      }
      inferno = new InfernoSession(server.baseUrl, ids);
    });
    after(async () => server?.stop());

    describe('us_core_v501_capability_statement', () => {
      let cs: CapabilityStatement;
      it('us_core_conformance_support: GET /metadata is a valid CapabilityStatement', async () => {
        const { status, body } = await inferno.metadata();
        assert.equal(status, 200);
        assert.equal(body.resourceType, 'CapabilityStatement');
        cs = body as unknown as CapabilityStatement;
        const errors = checkResource(cs).outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
        assert.deepEqual([...errors, ...emptyElements(cs, 'CapabilityStatement')], []);
      });
      it('us_core_fhir_version: R4', () => assert.equal(cs.fhirVersion, '4.0.1'));
      it('us_core_json_support: format lists JSON', () =>
        assert.ok(
          cs.format.some((f) => ['json', 'application/json', 'application/fhir+json'].includes(f)),
          'CapabilityStatement does not state support for JSON',
        ));
      it('us_core_profile_support: US Core Patient and other profiles, as claimed', () => {
        assert.equal(cs.rest?.[0]?.mode, 'server');
        const resources = cs.rest![0]!.resource ?? [];
        const listed = resources.flatMap((r) => (r.supportedProfile ?? []).map((url) => ({ type: r.type, url })));
        assert.ok(
          listed.some((p) => p.url === PATIENT.profile),
          'US Core Patient profile not supported',
        );
        assert.ok(
          listed.some((p) => p.url !== PATIENT.profile && p.url.startsWith(US_CORE)),
          'No US Core profiles other than Patient are supported',
        );
        assert.deepEqual(
          listed.sort((a, b) => a.url.localeCompare(b.url)),
          claimed.profiles.map(({ type, url }) => ({ type, url })).sort((a, b) => a.url.localeCompare(b.url)),
        );
        // Every interaction and search parameter the replayed tests use is listed for its type (a skipped search
        // sends nothing: ct-fhir has no US Core discharge-disposition parameter).
        for (const g of [...CLAIMED_GROUPS, ORGANIZATION_GROUP, PROVENANCE]) {
          const entry = resources.find((r) => r.type === g.type);
          assert.ok(entry, g.type);
          const interactions = (entry.interaction ?? []).map((i) => i.code);
          for (const code of ['read', 'search-type'])
            assert.ok(interactions.includes(code as never), `${g.type} ${code}`);
          const params = new Set((entry.searchParam ?? []).map((p) => p.name));
          for (const name of g.searches.filter((s) => s.skip === undefined).flatMap((s) => s.names))
            assert.ok(params.has(name), `${g.type} ${name}`);
          if (g.provenanceExpected || CLAIMED_GROUPS.includes(g))
            assert.ok(
              (entry.searchRevInclude ?? []).some((r) => r === '*' || r === 'Provenance:target'),
              `${g.type} _revinclude`,
            );
        }
      });
      it('us_core_instantiate: instantiates the US Core Server CapabilityStatement', () =>
        assert.ok(
          cs.instantiates?.includes('http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server'),
          'instantiates does not include us-core-server',
        ));
    });

    for (const g of CLAIMED_GROUPS) {
      describe(g.id, () => {
        // A search with no values in ct-fhir's output is skipped by Inferno (s.skip says why).
        for (const s of g.searches)
          it(s.id, async () => assert.ok((await inferno.runSearch(g, s)).length > 0 || s.skip !== undefined, s.id));
        it(`${g.id}_read_test`, async () => inferno.runRead(g, inferno.scratchOf(g).all));
        it(`${g.id}_provenance_revinclude_search_test`, async () => {
          const found = await inferno.runRevinclude(g);
          // Inferno skips when none come back; ct-fhir writes Provenance for findings and AI reports only.
          if (g.provenanceExpected) assert.ok(found.length > 0, `no Provenance for ${g.type}`);
        });
        it(`${g.id}_validation_test`, () => inferno.runValidation(g, inferno.scratchOf(g).all));
        it(`${g.id}_must_support_test`, () => {
          inferno.runMustSupport(g, inferno.scratchOf(g).all);
        });
        if (g.references.length)
          it(`${g.id}_reference_resolution_test`, async () => {
            await inferno.runReferences(g, inferno.scratchOf(g).all);
          });
      });
    }

    describe(ORGANIZATION_GROUP.id, () => {
      const g = ORGANIZATION_GROUP;
      it(`${g.id}_read_test`, async () => {
        assert.ok(inferno.delayed.size > 0, 'no Organization references were saved');
        for (const id of inferno.delayed) inferno.scratchOf(g).all.push(await inferno.read(g.type, id));
      });
      // The address search has no value to search with (ORGANIZATION is a name): Inferno skips it.
      for (const s of g.searches)
        it(s.id, async () => assert.ok((await inferno.runSearch(g, s)).length > 0 || s.skip !== undefined, s.id));
      it(`${g.id}_validation_test`, () => inferno.runValidation(g, inferno.scratchOf(g).all));
      it(`${g.id}_must_support_test`, () => {
        inferno.runMustSupport(g, inferno.scratchOf(g).all);
      });
    });

    describe(PROVENANCE.id, () => {
      const g = PROVENANCE;
      it(`${g.id}_read_test`, async () => inferno.runRead(g, inferno.provenance));
      it(`${g.id}_validation_test`, () => inferno.runValidation(g, inferno.provenance));
      it(`${g.id}_must_support_test`, () => {
        inferno.runMustSupport(g, inferno.provenance);
      });
      it(`${g.id}_reference_resolution_test`, async () => {
        await inferno.runReferences(g, inferno.provenance);
      });
    });

    describe('us_core_v400_clinical_notes_guidance', () => {
      const reports: DiagnosticReport[] = [];
      it('us_core_v400_clinical_note_types: DocumentReference and DiagnosticReport by patient', async () => {
        const categories = new Set<string>();
        for (const patient of inferno.patientIds) {
          await inferno.search('DocumentReference', { patient });
          const found = (await inferno.search('DiagnosticReport', { patient })) as DiagnosticReport[];
          reports.push(...found.filter((r) => r.resourceType === 'DiagnosticReport'));
        }
        for (const c of reports.flatMap((r) => r.category ?? []))
          for (const x of c.coding ?? []) categories.add(x.code!);
        // Inferno skips (not fails) for the note types and the cardiology and pathology categories ct-fhir never writes.
        assert.ok(categories.has('LP29684-5'), 'radiology reports');
      });
      // The ORU reports' text is a Binary that both presentedForm and a DocumentReference point at (clinical-note.ts).
      it('us_core_v400_clinical_note_attachments: each DiagnosticReport.presentedForm url is a DocumentReference attachment', async () => {
        const urls = new Set<string>();
        for (const patient of inferno.patientIds)
          for (const d of (await inferno.search('DocumentReference', { patient })) as DocumentReference[])
            for (const c of d.content ?? []) if (c.attachment.url) urls.add(c.attachment.url);
        assert.ok(
          reports.some((r) => r.presentedForm?.length),
          'reports with presentedForm',
        );
        const unmatched = reports.flatMap((r) => (r.presentedForm ?? []).filter((a) => !a.url || !urls.has(a.url)));
        assert.deepEqual(unmatched, []);
      });
    });

    describe('us_core_311_data_absent_reason', () => {
      it('us_core_311_data_absent_reason_extension: a validated resource uses the DataAbsentReason extension', () =>
        assert.ok(
          inferno.validated.some((r) => JSON.stringify(r).includes(DAR_EXTENSION)),
          'No resources using the DataAbsentReason Extension have been found',
        ));
      // Encounter.type of a visit without PV1-4 (ORU_A): the us_core_v501_encounter validation test saw it.
      it('us_core_311_data_absent_reason_code_system: a validated resource uses the DataAbsentReason code unknown', () =>
        assert.ok(
          inferno.validated.some(hasDarCode),
          'No resources using the DataAbsentReason CodeSystem have been found',
        ));
    });
  });
}
