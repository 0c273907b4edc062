// Group commit: what arrives while a flush runs goes into the next flush together; a failed flush fails its items
// only; lanes keep one key's items in order and apart from other keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit, GroupCommitLanes } from '../../../src/store/group-commit.js';

/** A flush that records its batches and waits for `release()` before finishing each. */
function gatedFlush() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  let started: () => void = () => {};
  const flush = async (items: number[]): Promise<string[]> => {
    batches.push(items);
    started();
    await new Promise<void>((r) => gates.push(r));
    if (items.includes(-1)) throw new Error('bad batch');
    return items.map((i) => `done ${i}`);
  };
  const nextStart = () => new Promise<void>((r) => (started = r));
  return { flush, batches, release: () => gates.shift()?.(), nextStart };
}

describe('GroupCommit', () => {
  it('flushes items submitted in one turn together, and those arriving during a flush in the next one', async () => {
    const g = gatedFlush();
    const gc = new GroupCommit(g.flush);
    let start = g.nextStart();
    const a = [gc.submit(1), gc.submit(2)];
    await start;
    start = g.nextStart();
    const b = [gc.submit(3), gc.submit(4), gc.submit(5)];
    g.release();
    assert.deepEqual(await Promise.all(a), ['done 1', 'done 2']);
    await start;
    g.release();
    assert.deepEqual(await Promise.all(b), ['done 3', 'done 4', 'done 5']);
    assert.deepEqual(g.batches, [
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('fails only the items of a failed flush and keeps going', async () => {
    const g = gatedFlush();
    const gc = new GroupCommit(g.flush);
    let start = g.nextStart();
    const bad = [gc.submit(7), gc.submit(-1)].map((p) => p.catch((e: Error) => e.message));
    await start;
    start = g.nextStart();
    const good = gc.submit(8);
    g.release();
    assert.deepEqual(await Promise.all(bad), ['bad batch', 'bad batch']);
    await start;
    g.release();
    assert.equal(await good, 'done 8');
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit(async (items: number[]) => {
      batches.push(items);
      return items;
    }, 2);
    assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((i) => gc.submit(i))), [1, 2, 3, 4, 5]);
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
  });

  it('rejects a flush that returns the wrong number of results', async () => {
    const gc = new GroupCommit(async () => ['only one']);
    const out = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    assert.deepEqual(
      out.map((o) => o.status),
      ['rejected', 'rejected'],
    );
  });
});

describe('GroupCommitLanes', () => {
  it('keeps items with one key in one lane, in order, and lets other keys flush in other lanes', async () => {
    const seen: string[][] = [];
    const lanes = new GroupCommitLanes(async (items: string[]) => {
      seen.push(items);
      return items;
    }, 8);
    const keys = ['MRN1', 'MRN2', 'MRN3', 'MRN4', 'MRN5', 'MRN6'];
    const out = await Promise.all(keys.flatMap((k) => [1, 2, 3].map((n) => lanes.submit(k, `${k}#${n}`))));
    assert.equal(out.length, 18);
    for (const k of keys) {
      const holding = seen.filter((b) => b.some((x) => x.startsWith(`${k}#`)));
      assert.equal(holding.length, 1, `${k} went through one flush`);
      assert.deepEqual(
        holding[0]!.filter((x) => x.startsWith(`${k}#`)),
        [`${k}#1`, `${k}#2`, `${k}#3`],
      );
    }
    assert.ok(seen.length > 1, 'six keys over eight lanes use more than one lane');
  });
});
