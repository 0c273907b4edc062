import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Message } from 'node-hl7-client';
import { buildOruR01, stableControlId, type FindingsMessageInput } from '../../../src/hl7v2/oru-out.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { mapMessage } from '../../../src/hl7v2/mapping/index.js';

const input: FindingsMessageInput = {
  controlId: 'OUT1',
  patient: { id: 'MRN123', assigningAuthority: 'GENHOSP', family: 'DOE', given: 'JANE' },
  accession: 'ACC5001',
  studyInstanceUid: '1.2.840.113619.2.55.3.320',
  findings: [
    {
      code: { code: 'pleural-effusion', display: 'Pleural effusion' },
      snomed: { code: '60046008', display: 'Pleural effusion' },
      bodySite: { code: '3120008', display: 'Pleura' },
      present: true,
      probability: 0.8712345,
      status: 'P',
    },
    { code: { code: 'nodule', display: 'Nodule | mass ^ x' }, present: false, status: 'F' },
  ],
};

describe('outbound ORU^R01 builder', () => {
  it('writes OBR with the accession, ZDS with the study UID, one CWE OBX per finding and an NM probability', () => {
    const m = Hl7Message.parse(buildOruR01(input));
    assert.equal(m.controlId, 'OUT1');
    assert.equal(m.get('OBR-18'), 'ACC5001');
    assert.equal(m.get('OBR-25'), 'P');
    assert.equal(m.get('ZDS-1'), '1.2.840.113619.2.55.3.320');
    const obx = m.all('OBX');
    assert.equal(obx.length, 3);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((c) => obx[0]!.get(3, c)),
      ['pleural-effusion', 'Pleural effusion', '99CTA', '60046008', 'Pleural effusion', 'SCT'],
    );
    assert.equal(obx[0]!.get(5), '52101004');
    assert.equal(obx[0]!.get(11), 'P');
    assert.equal(obx[0]!.get(20), '3120008');
    assert.equal(obx[1]!.get(2), 'NM');
    assert.equal(obx[1]!.get(5), '0.8712');
    assert.equal(obx[1]!.get(4), obx[0]!.get(4), 'probability grouped with its finding by OBX-4');
    assert.equal(obx[2]!.get(5), '272519000');
    assert.equal(obx[2]!.get(3, 2), 'Nodule | mass ^ x', 'separators in text are escaped');
    assert.equal(obx[2]!.get(11), 'F');
  });
  it('sends corrected findings as C and withdrawn ones as D, with OBR-25 C', () => {
    const findings = (statuses: ('P' | 'F' | 'C' | 'D')[]) =>
      Hl7Message.parse(
        buildOruR01({
          ...input,
          findings: statuses.map((status, i) => ({ code: { code: `c${i}`, display: 'x' }, present: true, status })),
        }),
      );
    const m = findings(['C', 'D', 'F']);
    assert.equal(m.get('OBR-25'), 'C');
    assert.deepEqual(
      m.all('OBX').map((o) => o.get(11)),
      ['C', 'D', 'F'],
    );
    assert.equal(findings(['F', 'F']).get('OBR-25'), 'F');
    assert.equal(findings(['D', 'P']).get('OBR-25'), 'P', 'preliminary while any finding is');
  });

  it('is readable by node-hl7-client', () => {
    const m = new Message({ text: buildOruR01(input) });
    assert.equal(m.get('MSH.10').toString(), 'OUT1');
    assert.equal(m.get('OBR.18').toString(), 'ACC5001');
  });
  it('maps back through the inbound ORU mapping', () => {
    const r = mapMessage(Hl7Message.parse(buildOruR01(input)));
    const types = r.bundle.entry!.map((e) => e.resource!.resourceType);
    assert.deepEqual([...new Set(types)].sort(), [
      'DiagnosticReport',
      'ImagingStudy',
      'Observation',
      'Patient',
      'ServiceRequest',
    ]);
  });
  it('rejects a missing accession, a bad study UID and a probability outside 0..1', () => {
    assert.throws(() => buildOruR01({ ...input, accession: '' }), /accession/);
    assert.throws(() => buildOruR01({ ...input, studyInstanceUid: '1.2.x' }), /UID/);
    assert.throws(
      () => buildOruR01({ ...input, findings: [{ ...input.findings[0]!, probability: 1.5 }] }),
      /probability/,
    );
  });
  it('stableControlId: the same for one job and content, new for changed findings, versions or another job', () => {
    const content = { input, versions: ['Observation/1/1'] };
    const id = stableControlId('42', content);
    assert.match(id, /^[A-Z0-9]{20}$/, 'fits the v2.5.1 MSH-10 length');
    assert.equal(stableControlId('42', structuredClone(content)), id);
    const changed = { ...input, findings: input.findings.slice(1) };
    assert.notEqual(stableControlId('42', { input: changed, versions: content.versions }), id);
    assert.notEqual(stableControlId('42', { input, versions: ['Observation/1/3'] }), id, 'changed and changed back');
    assert.notEqual(stableControlId('43', content), id);
    assert.equal(Hl7Message.parse(buildOruR01({ ...input, controlId: id })).controlId, id);
  });
});
