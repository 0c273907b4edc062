// A downstream RIS for outbound tests: a real MLLP listener that records every message it gets and answers AA.
import assert from 'node:assert/strict';
import { buildAck } from '../../src/hl7v2/ack.js';
import { MllpListener } from '../../src/hl7v2/listener.js';
import { Hl7Message } from '../../src/hl7v2/message.js';

export interface RecordingRis {
  port: number;
  /** Every message received, in order. */
  received: string[];
  /** The first message containing `text` among those received after the first `from`; fails after 15 s. */
  arrival(text: string, from?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startRis(): Promise<RecordingRis> {
  const received: string[] = [];
  const listener = new MllpListener({
    port: 0,
    handle: async (text) => {
      received.push(text);
      return buildAck(Hl7Message.parse(text), 'AA');
    },
  });
  const { port } = await listener.start();
  return {
    port,
    received,
    arrival: async (text, from = 0) => {
      for (let i = 0; i < 300; i++) {
        const found = received.slice(from).find((t) => t.includes(text));
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`no message with ${text} reached the RIS`);
    },
    close: () => listener.close(),
  };
}

/** The OBX segments of a message. */
export const obxOf = (text: string): string[] => text.split(/\r\n?|\n/).filter((seg) => seg.startsWith('OBX|'));
