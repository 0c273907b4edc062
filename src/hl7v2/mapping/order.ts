// ORM^O01 and OMI^O23 -> Patient, Encounter, ServiceRequest (status from ORC-1, or ORC-5 for SC) and an ImagingStudy
// (status registered, identifiers: study UID from IPC-3/ZDS-1, accession from IPC-1/OBR-18, modality IPC-5); an
// order that ends revoked (ORC-1 CA, or SC with ORC-5 CA) cancels its stub while it has no images
// (MappingResult.cancelStudies).
// ct-fhir rules: the v2-to-FHIR IG has no OMI/IPC/ZDS map.
import type { ServiceRequest } from 'fhir/r4.js';
import { ErrorCode } from '../ack.js';
import { identifierQuery } from '../../fhir/identifier-token.js';
import { lookup } from './datatypes.js';
import { MappingError } from './result.js';
import {
  encounterEntry,
  imagingStudyEntry,
  orderGroups,
  orderIdentifiers,
  patientEntry,
  serviceRequestEntry,
  studyUid,
  studyUidIdentifier,
  type MapContext,
} from './common.js';

/** Maps every ORC/OBR group of an ORM^O01 or OMI^O23. */
export function mapOrder(ctx: MapContext): void {
  const { msg, cfg } = ctx;
  const subject = patientEntry(ctx, msg.segment('PID')).ref;
  const encounter = encounterEntry(ctx, msg.segment('PV1'), subject);
  const groups = orderGroups(msg);
  if (groups.length === 0) {
    throw new MappingError('AE', [
      { code: ErrorCode.segmentSequence, location: { segment: 'OBR' }, text: 'the order needs an OBR segment' },
    ]);
  }
  for (const g of groups) {
    const control = g.orc?.get(1) ?? '';
    // ERL.2 counts ORC segments in the message; a group without an ORC is named by its OBR's position.
    const at = { segment: 'ORC', sequence: g.orc ? msg.occurrence(g.orc) : g.sequence, field: 1 };
    if (!g.orc || !control) {
      throw new MappingError('AE', [
        {
          code: ErrorCode.requiredFieldMissing,
          location: at,
          text: 'ORC-1 order control is required',
        },
      ]);
    }
    const byControl = lookup(cfg.vocabularies['order-control']!, control);
    const byStatus = lookup(cfg.vocabularies['order-status']!, g.orc.get(5));
    const status = (control.toUpperCase() === 'SC' ? (byStatus ?? 'active') : byControl) as
      ServiceRequest['status'] | undefined;
    if (!status) {
      throw new MappingError('AE', [
        {
          code: ErrorCode.tableValueNotFound,
          location: at,
          text: `ORC-1 order control "${control.slice(0, 4)}" is not supported`,
        },
      ]);
    }
    const ids = orderIdentifiers(ctx, g);
    const basedOn = serviceRequestEntry(ctx, g, ids, status, subject, encounter);
    // The stub follows the status the order ends in (SC takes ORC-5), so an SC/CA cancels it like ORC-1 CA.
    const stub = lookup(cfg.vocabularies['imaging-study-status']!, status);
    const uid = studyUid(ctx, g);
    const accession = ids.all.find((i) => i.type?.coding?.[0]?.code === 'ACSN');
    if (stub === 'registered' && uid) {
      imagingStudyEntry(ctx, g, uid, 'registered', accession, subject, basedOn);
    } else if (stub === 'cancelled') {
      // The order's stub is found by its study UID, or by the accession when a cancellation does not repeat the UID.
      const key = uid ? studyUidIdentifier(uid) : accession;
      if (key) ctx.cancelStudies.push(identifierQuery(key));
    }
  }
}
