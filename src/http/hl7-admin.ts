// Admin API for the HL7 v2 inbound store: list stored messages by status (raw text included: the operator needs it
// to fix a feed) and re-process one (after a mapping fix or an outage).
import express from 'express';
import { badRequest, notFound } from '../fhir/outcomes.js';
import type { createInboundProcessor } from '../hl7v2/inbound.js';
import type { Hl7MessageStore } from '../hl7v2/store/message-store.js';
import type { Hl7MessageRow } from '../hl7v2/store/schema.js';
import { jsonRoute } from './json-route.js';

type Processor = ReturnType<typeof createInboundProcessor>;
const STATUSES = new Set(['received', 'processed', 'error']);

function view(m: Hl7MessageRow): Record<string, unknown> {
  return {
    id: m.id,
    controlId: m.controlId,
    sendingApplication: m.sendingApplication,
    sendingFacility: m.sendingFacility,
    messageType: m.messageType,
    status: m.status,
    reason: m.reason,
    attempts: m.attempts,
    receivedAt: new Date(Number(m.receivedAt)).toISOString(),
    raw: m.raw,
  };
}

/** Routes under /admin/hl7. */
export function hl7AdminRouter(store: Hl7MessageStore, processor: Processor): express.Router {
  const r = express.Router();
  r.get(
    '/messages',
    jsonRoute(async (_req, q) => {
      const status = q.get('status') ?? undefined;
      if (status && !STATUSES.has(status))
        throw badRequest(`status must be received, processed or error, got ${status}`);
      const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
        throw badRequest('limit must be a positive integer');
      const rows = await store.list({ status: status as Hl7MessageRow['status'] | undefined, limit });
      return { messages: rows.map(view) };
    }),
  );
  r.post(
    '/messages/:id/reprocess',
    jsonRoute(async (req) => {
      const outcome = await processor.reprocess(String(req.params.id));
      if (!outcome) throw notFound(`HL7 message ${req.params.id} not found`);
      return { code: outcome.code, acks: outcome.acks };
    }),
  );
  return r;
}
