import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Endpoint, ImagingStudy } from 'fhir/r4.js';
import { DicomwebError, locateStudy, studyUidOf } from '../../../../src/imaging/dicomweb/index.js';

const UID = '1.2.840.113619.2.55.3.1234';

function study(extra: Partial<ImagingStudy> = {}): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    id: 's1',
    status: 'available',
    subject: { reference: 'Patient/p' },
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${UID}` }],
    ...extra,
  };
}
function endpoint(
  id: string,
  address: string,
  code = 'dicom-wado-rs',
  status: Endpoint['status'] = 'active',
): Endpoint {
  return {
    resourceType: 'Endpoint',
    id,
    status,
    address,
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code },
    payloadType: [{ text: 'DICOM' }],
  };
}

describe('ImagingStudy -> study UID and DICOMweb endpoint', () => {
  it('reads the study UID from the urn:dicom:uid identifier, a bare urn:oid identifier, or the STU3 uid', () => {
    assert.equal(studyUidOf(study()), UID);
    assert.equal(studyUidOf(study({ identifier: [{ system: 'urn:dicom:uid', value: UID }] })), UID);
    assert.equal(
      studyUidOf(study({ identifier: [{ system: 'http://acme/acc', value: 'A1' }, { value: `urn:oid:${UID}` }] })),
      UID,
    );
    assert.equal(studyUidOf({ ...study({ identifier: [] }), uid: UID } as ImagingStudy), UID);
  });

  it('rejects a missing or malformed study UID', () => {
    assert.throws(
      () => studyUidOf(study({ identifier: [] })),
      (e: unknown) => e instanceof DicomwebError && e.status === 422 && /has no Study Instance UID/.test(e.message),
    );
    assert.throws(
      () => studyUidOf(study({ identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.x' }] })),
      /is not a DICOM UID/,
    );
  });

  it('uses a contained wado-rs Endpoint first, then a resolved one, then DICOMWEB_URL', async () => {
    const contained = study({
      contained: [endpoint('pacs', 'https://pacs.example/dicom-web')],
      endpoint: [{ reference: '#pacs' }],
    });
    assert.deepEqual(await locateStudy(contained, { dicomwebUrl: 'http://fallback' }), {
      studyUid: UID,
      url: 'https://pacs.example/dicom-web',
      from: { endpoint: '#pacs' },
    });
    const referenced = study({ endpoint: [{ reference: 'Endpoint/e1' }, { reference: 'Endpoint/e2' }] });
    const resolved = await locateStudy(referenced, {
      resolveEndpoint: async (ref) =>
        ref === 'Endpoint/e1' ? endpoint('e1', 'dicom://x', 'dicom-qido-rs') : endpoint('e2', 'file:///data/pacs'),
    });
    assert.equal(resolved.url, 'file:///data/pacs');
    assert.deepEqual(await locateStudy(study(), { dicomwebUrl: 'http://pacs:8042/dicom-web' }), {
      studyUid: UID,
      url: 'http://pacs:8042/dicom-web',
      from: { config: 'DICOMWEB_URL' },
    });
  });

  it('skips endpoints that are off or of another connection type and says which were tried', async () => {
    const s = study({
      contained: [endpoint('a', 'http://a', 'dicom-wado-rs', 'off'), endpoint('b', 'http://b', 'hl7-fhir-rest')],
      endpoint: [{ reference: '#a' }, { reference: '#b' }, { reference: 'Endpoint/gone' }],
    });
    await assert.rejects(
      locateStudy(s, { resolveEndpoint: async () => undefined }),
      (e: unknown) =>
        e instanceof DicomwebError &&
        /DICOMWEB_URL is not set; endpoints tried: #a \(connectionType dicom-wado-rs, status off\), #b \(connectionType hl7-fhir-rest, status active\), Endpoint\/gone \(not found\)/.test(
          e.message,
        ),
    );
  });
});
