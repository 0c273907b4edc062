// Checks node-hl7-server 2.5.0 (the MLLP server library the issue names) the way a RIS uses it: 32 ORU^R01 sent
// one after another on ONE connection, each waiting for its ACK, and counts ACKs whose MSA-2 is not the message's
// MSH-10. Our own listener runs the same sequence for comparison. Usage:
//   node --import tsx bench/hl7/check-node-hl7-server.ts
import net from 'node:net';
import { Server } from 'node-hl7-server';
import { MllpListener } from '../../src/hl7v2/listener.js';
import { createInboundProcessor } from '../../src/hl7v2/inbound.js';
import { MllpDecoder, frame } from '../../src/hl7v2/mllp.js';
import { Hl7Message } from '../../src/hl7v2/message.js';

const COUNT = 32;
const message = (i: number): string =>
  `MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240315101500||ORU^R01|CHK${i}|P|2.5.1\r` +
  `PID|1||MRN${i}^^^GENHOSP^MR||DOE^JANE\rOBR|1||FI${i}|24627-2^CT Chest^LN|||20240315093000||||||||||||||||CT|F\r` +
  `OBX|1|TX|18782-3^Findings^LN||No acute findings.||||||F`;

/** Sends COUNT messages sequentially on one socket; returns how many ACKs carried another message's MSA-2. */
async function sequentialOnOneConnection(port: number): Promise<{ wrong: number; missing: number; sample: string[] }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new MllpDecoder();
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    for (const f of decoder.push(c)) queue.push(f.data.toString('utf8'));
    wake?.();
  });
  let wrong = 0;
  let missing = 0;
  const sample: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    socket.write(frame(message(i)));
    if (queue.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const ack = queue.shift();
    if (!ack) {
      missing++;
      continue;
    }
    const msa2 = Hl7Message.parse(ack).get('MSA-2');
    if (msa2 !== `CHK${i}`) {
      wrong++;
      if (sample.length < 3) sample.push(`sent CHK${i}, MSA-2 ${msa2}`);
    }
  }
  socket.destroy();
  return { wrong, missing, sample };
}

async function main(): Promise<void> {
  const server = new Server({ bindAddress: '127.0.0.1' });
  const port = 40000 + Math.floor(Math.random() * 10000);
  const inbound = server.createInbound({ port }, async (_req, res) => {
    await res.sendResponse('AA');
  });
  await new Promise((r) => setTimeout(r, 300));
  const theirs = await sequentialOnOneConnection(port);
  await inbound.close();

  const ours = new MllpListener({ port: 0, handle: createInboundProcessor().handle });
  const addr = await ours.start();
  const mine = await sequentialOnOneConnection(addr.port);
  await ours.close();

  console.log('| server | messages | wrong MSA-2 | no ACK | example |');
  console.log('|---|---|---|---|---|');
  console.log(`| node-hl7-server 2.5.0 | ${COUNT} | ${theirs.wrong} | ${theirs.missing} | ${theirs.sample[0] ?? ''} |`);
  console.log(`| ct-fhir MllpListener | ${COUNT} | ${mine.wrong} | ${mine.missing} | ${mine.sample[0] ?? ''} |`);
  process.exit(0);
}

await main();
