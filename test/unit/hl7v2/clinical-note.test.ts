// US Core clinical notes guidance in the ORU^R01 mapping: the report text is a Binary, a DocumentReference points at
// it, and the DiagnosticReport's presentedForm has the same url (keeping its inline data).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Binary, BundleEntry, DiagnosticReport, DocumentReference, Resource } from 'fhir/r4.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { loadMappingConfig, mapMessage, type MappingResult } from '../../../src/hl7v2/mapping/index.js';
import { mappingConfig } from '../../../src/hl7v2/mapping/config.js';
import { fixture } from './fixtures.js';

const mapText = (text: string, cfg = mappingConfig()): MappingResult => mapMessage(Hl7Message.parse(text), cfg);
const entriesOf = (r: MappingResult, type: string): BundleEntry[] =>
  (r.bundle.entry ?? []).filter((e) => e.resource?.resourceType === type);
const only = <T extends Resource>(r: MappingResult, type: string): { entry: BundleEntry; resource: T } => {
  const found = entriesOf(r, type);
  assert.equal(found.length, 1, `one ${type} entry`);
  return { entry: found[0]!, resource: found[0]!.resource as T };
};
const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');

const V251 = fixture('oru-r01-v251.hl7');
/** An OBX segment with OBX-11 set to `status`. */
const withObx11 = (obx: string, status: string): string => {
  const fields = obx.split('|');
  while (fields.length < 12) fields.push('');
  fields[11] = status;
  return fields.join('|');
};

describe('ORU^R01 report text as Binary + DocumentReference (US Core clinical notes)', () => {
  it('writes a Binary and a DocumentReference whose attachment url is the report presentedForm url', () => {
    const r = mapText(V251);
    const report = only<DiagnosticReport>(r, 'DiagnosticReport');
    const binary = only<Binary>(r, 'Binary');
    const doc = only<DocumentReference>(r, 'DocumentReference');
    const patient = only(r, 'Patient').entry.fullUrl;
    const encounter = only(r, 'Encounter').entry.fullUrl;

    // The Binary: PUT by an id derived from the report key, text/plain, tied to the report.
    assert.match(binary.resource.id!, /^report-text-[0-9a-f]{40}$/);
    assert.deepEqual(binary.entry.request, { method: 'PUT', url: `Binary/${binary.resource.id}` });
    assert.equal(binary.resource.contentType, 'text/plain; charset=utf-8');
    assert.deepEqual(binary.resource.securityContext, { reference: report.entry.fullUrl });

    // The report keeps its inline text and gains the Binary's url; the DocumentReference points at the same url.
    const form = report.resource.presentedForm![0]!;
    const url = `Binary/${binary.resource.id}`;
    assert.equal(form.url, url);
    assert.equal(form.data, binary.resource.data);
    const text = decode(form.data);
    assert.match(text, /^Lungs: 8 mm nodule in the right upper lobe\nNo pneumothorax\./);
    assert.equal(doc.resource.content.length, 1);
    assert.deepEqual(doc.resource.content[0]!.format, {
      system: 'http://ihe.net/fhir/ValueSet/IHE.FormatCode.codesystem',
      code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient',
      display: 'mimeType Sufficient',
    });
    const att = doc.resource.content[0]!.attachment;
    assert.equal(att.url, url);
    assert.equal(att.contentType, 'text/plain; charset=utf-8');
    assert.equal(att.data, undefined, 'the DocumentReference points at the Binary rather than copying the text');
    assert.equal(att.size, Buffer.byteLength(text, 'utf8'));
    assert.equal(att.hash, createHash('sha1').update(text, 'utf8').digest('base64'));
    assert.equal(att.title, 'CT Chest');

    // Keyed as the report is: a resend or a correction updates the same DocumentReference.
    assert.deepEqual(doc.resource.identifier, report.resource.identifier);
    assert.equal(doc.entry.request?.method, 'PUT');
    assert.equal(doc.entry.request?.url, `DocumentReference?identifier=urn%3Act-fhir%3Ahl7v2%3AGENHOSP|ACC5002`);

    // The US Core elements.
    assert.equal(report.resource.status, 'corrected', 'the fixture is OBR-25 C');
    assert.equal(doc.resource.status, 'current');
    assert.equal(doc.resource.docStatus, 'amended');
    assert.deepEqual(doc.resource.type?.coding, [
      { system: 'http://loinc.org', code: '24627-2', display: 'CT Chest' },
      { system: 'http://loinc.org', code: '18748-4', display: 'Diagnostic imaging study' },
    ]);
    assert.deepEqual(doc.resource.category, [
      {
        coding: [
          {
            system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category',
            code: 'clinical-note',
            display: 'Clinical Note',
          },
        ],
      },
    ]);
    assert.deepEqual(doc.resource.subject, { reference: patient });
    assert.equal(doc.resource.date, report.resource.issued);
    assert.deepEqual(doc.resource.author, report.resource.resultsInterpreter);
    assert.deepEqual(doc.resource.context, {
      related: [{ reference: report.entry.fullUrl }],
      encounter: [{ reference: encounter }],
      period: { start: report.resource.effectiveDateTime, end: report.resource.effectiveDateTime },
    });
    assert.deepEqual(r.retireNotes, []);
  });

  it('derives the same Binary id from the same report key, another from another key', () => {
    const id = (text: string): string => only<Binary>(mapText(text), 'Binary').resource.id!;
    assert.equal(id(V251), id(V251.replace('Pulmonary nodule;', 'Pulmonary nodule, corrected;')));
    assert.notEqual(id(V251), id(V251.replace('ACC5002', 'ACC5003')));
  });

  it('docStatus and status follow the report status: preliminary, final, cancelled', () => {
    const withStatus = (code: string): DocumentReference =>
      only<DocumentReference>(mapText(V251.replace('||CT|C|', `||CT|${code}|`)), 'DocumentReference').resource;
    assert.deepEqual([withStatus('P').status, withStatus('P').docStatus], ['current', 'preliminary']);
    assert.deepEqual([withStatus('F').status, withStatus('F').docStatus], ['current', 'final']);
    assert.deepEqual([withStatus('X').status, withStatus('X').docStatus], ['entered-in-error', 'entered-in-error']);
  });

  it('a report left without text writes no Binary or DocumentReference and retires an earlier one', () => {
    // Every text OBX withdrawn (OBX-11 D or W): only the coded OBX are left.
    const withdrawn = V251.split('\r')
      .map((s) => (/^OBX\|\d+\|(TX|FT)\|/.test(s) ? withObx11(s, 'D') : s))
      .join('\r');
    const r = mapText(withdrawn);
    assert.equal(entriesOf(r, 'Binary').length, 0);
    assert.equal(entriesOf(r, 'DocumentReference').length, 0);
    assert.equal(only<DiagnosticReport>(r, 'DiagnosticReport').resource.presentedForm, undefined);
    assert.deepEqual(r.retireNotes, ['identifier=urn%3Act-fhir%3Ahl7v2%3AGENHOSP|ACC5002']);
  });

  it('two groups with one report key: one DocumentReference with both texts, each in its own Binary', () => {
    const lines = V251.split('\r');
    const obr = lines.findIndex((s) => s.startsWith('OBR|'));
    const second = [
      lines[obr]!.replace('OBR|1|', 'OBR|2|'),
      'OBX|1|TX|18782-3^Findings^LN|1|Addendum: nodule unchanged.||||||F',
    ];
    const r = mapText([...lines, ...second].join('\r'));
    const binaries = entriesOf(r, 'Binary').map((e) => e.resource as Binary);
    assert.equal(binaries.length, 2);
    assert.notEqual(binaries[0]!.id, binaries[1]!.id);
    const doc = only<DocumentReference>(r, 'DocumentReference').resource;
    const report = only<DiagnosticReport>(r, 'DiagnosticReport').resource;
    const urls = binaries.map((b) => `Binary/${b.id}`);
    assert.deepEqual(
      doc.content.map((c) => c.attachment.url),
      urls,
    );
    assert.deepEqual(
      report.presentedForm!.map((a) => a.url),
      urls,
    );
    assert.equal(decode(binaries[1]!.data), 'Addendum: nodule unchanged.');
    assert.deepEqual(r.retireNotes, []);
  });

  it('without messages.json clinicalNote: the text stays inline only, as before', () => {
    const cfg = mappingConfig();
    const r = mapText(V251, { ...cfg, messages: { ...cfg.messages, clinicalNote: undefined } });
    assert.equal(entriesOf(r, 'Binary').length, 0);
    assert.equal(entriesOf(r, 'DocumentReference').length, 0);
    const form = only<DiagnosticReport>(r, 'DiagnosticReport').resource.presentedForm![0]!;
    assert.equal(form.url, undefined);
    assert.match(decode(form.data), /^Lungs: 8 mm nodule/);
    const withdrawn = V251.split('\r')
      .map((s) => (/^OBX\|\d+\|(TX|FT)\|/.test(s) ? withObx11(s, 'W') : s))
      .join('\r');
    assert.deepEqual(
      mapText(withdrawn, { ...cfg, messages: { ...cfg.messages, clinicalNote: undefined } }).retireNotes,
      [],
    );
  });

  it('a clinicalNote status map with a code outside R4 stops loading, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctfhir-mappings-'));
    cpSync(fileURLToPath(new URL('../../../mappings', import.meta.url)), dir, { recursive: true });
    const file = join(dir, 'messages.json');
    const messages = JSON.parse(readFileSync(file, 'utf8')) as { clinicalNote: { docStatus: Record<string, string> } };
    messages.clinicalNote.docStatus.final = 'done';
    writeFileSync(file, JSON.stringify(messages));
    assert.throws(() => loadMappingConfig(dir), /mappings\/messages\.json: clinicalNote\.docStatus final: done/);
  });
});
