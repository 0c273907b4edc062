// Entry point of the v2 -> FHIR mapping: checks version and message type against mappings/messages.json and
// runs the handler, returning a transaction Bundle (pure: no I/O). HL7 v2.5.1 2.9.2: unsupported type/event/version
// are AR with ERR codes 200/201/203.
import { ErrorCode } from '../ack.js';
import type { Hl7Message } from '../message.js';
import { mappingConfig, type MappingConfig } from './config.js';
import { TransactionBuilder } from './bundle.js';
import { MappingError, type MappingResult, type Trigger } from './result.js';
import type { MapContext } from './common.js';
import { mapOru } from './oru.js';
import { mapOrder } from './order.js';
import { mapAdt, mapMerge } from './adt.js';
import { offsetOf } from './datatypes.js';

export { MappingError, type MappingResult, type MergeOperation, type PatientMatch, type Trigger } from './result.js';
export { loadMappingConfig, mappingConfig, type MappingConfig } from './config.js';

const HANDLERS: Record<string, (ctx: MapContext) => Trigger[] | void> = {
  oru: mapOru,
  order: mapOrder,
  adt: mapAdt,
  merge: mapMerge,
};

/** Maps one parsed message to a FHIR transaction Bundle; throws MappingError for AE/AR outcomes. */
export function mapMessage(msg: Hl7Message, cfg: MappingConfig = mappingConfig()): MappingResult {
  const version = msg.version;
  if (!cfg.messages.versions.includes(version)) {
    throw new MappingError('AR', [
      {
        code: ErrorCode.unsupportedVersionId,
        location: { segment: 'MSH', sequence: 1, field: 12 },
        text: `HL7 version "${version.slice(0, 10)}" is not supported`,
      },
    ]);
  }
  const { code, event } = msg.type;
  const key = `${code}^${event}`;
  const handlerName = cfg.messages.messages[key];
  const handler = handlerName ? HANDLERS[handlerName] : undefined;
  if (!handler) {
    const knownCode = Object.keys(cfg.messages.messages).some((k) => k.startsWith(`${code}^`));
    throw new MappingError('AR', [
      {
        code: knownCode ? ErrorCode.unsupportedEventCode : ErrorCode.unsupportedMessageType,
        location: { segment: 'MSH', sequence: 1, field: 9 },
        text: `message type ${key.slice(0, 16)} is not supported`,
      },
    ]);
  }
  const tx = new TransactionBuilder();
  const ctx: MapContext = {
    cfg,
    msg,
    tx,
    warnings: [],
    patients: [],
    merges: [],
    cancelStudies: [],
    retireNotes: [],
    authority: msg.get('MSH-4') || msg.get('MSH-3'),
    timezone: offsetOf(msg.get('MSH-7')) ?? cfg.messages.defaultTimezone,
  };
  const triggers = handler(ctx) ?? [];
  return {
    messageType: key,
    bundle: tx.build(),
    entryLocations: [...tx.locations],
    entryFields: [...tx.fields],
    triggers,
    warnings: ctx.warnings,
    patients: ctx.patients,
    merges: ctx.merges,
    cancelStudies: ctx.cancelStudies,
    retireNotes: ctx.retireNotes,
    keepOnUpdate: cfg.messages.keepOnUpdate?.[key] ?? [],
  };
}
