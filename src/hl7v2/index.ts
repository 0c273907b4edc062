// Public surface of the HL7 v2 interface, for the integrator: start the MLLP listener over the inbound pipeline,
// the raw message store's tables, the outbound sender and ORU^R01 builder.
import type tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { MllpListener } from './listener.js';
import { createInboundProcessor, type InboundOptions } from './inbound.js';
import type { Logger } from '../log.js';

export { Hl7Message, Hl7ParseError, splitBatch } from './message.js';
export { buildAck, responseAcks, ErrorCode, type AckError, type ErrorLocation } from './ack.js';
export { MllpDecoder, frame } from './mllp.js';
export { MllpListener, type MessageHandler } from './listener.js';
export { createInboundProcessor, type Executor, type InboundOptions, type ProcessOutcome } from './inbound.js';
export { mapMessage, MappingError, type MappingResult, type MergeOperation, type Trigger } from './mapping/index.js';
export { fhirExecutor, ExecuteError } from './execute.js';
export { MllpSender, outboundDisposition, type SendOptions, type SendResult, type SendOutcome } from './sender.js';
export { buildOruR01, stableControlId, type FindingsMessageInput, type OutboundFinding } from './oru-out.js';
export { Hl7MessageStore } from './store/message-store.js';
export { hl7Entities, hl7Migrations, hl7StoreModule, type Hl7MessageRow } from './store/schema.js';

export interface Hl7ServerOptions extends InboundOptions {
  port: number;
  host?: string;
  tls?: tls.TlsOptions;
  maxFrameBytes?: number;
  logger?: Logger;
}

/** Starts the MLLP listener (MLLP_PORT) over the inbound pipeline, after finishing messages a crash left behind. */
export async function startHl7Server(
  options: Hl7ServerOptions,
): Promise<{ listener: MllpListener; address: AddressInfo; processor: ReturnType<typeof createInboundProcessor> }> {
  const processor = createInboundProcessor(options);
  await processor.recover();
  const listener = new MllpListener({
    port: options.port,
    host: options.host,
    tls: options.tls,
    maxFrameBytes: options.maxFrameBytes,
    handle: processor.handle,
    logger: options.logger,
  });
  const address = await listener.start();
  return { listener, address, processor };
}
