import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from '../../../src/imaging/model/semaphore.js';
import { runtimeOptionsFromEnv } from '../../../src/imaging/model/options.js';

const tick = () => new Promise((r) => setImmediate(r));

test('semaphore never runs more tasks at once than its limit and runs waiters in order', async () => {
  const s = new Semaphore(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const gates: (() => void)[] = [];
  const tasks = [0, 1, 2, 3, 4].map((i) =>
    s.run(async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(i);
      await new Promise<void>((r) => gates.push(r));
      running--;
    }),
  );
  await tick();
  assert.equal(s.active, 2);
  assert.equal(s.waiting, 3);
  while (gates.length > 0 || order.length < 5) {
    gates.shift()?.();
    await tick();
  }
  await Promise.all(tasks);
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(s.active, 0);
});

test('semaphore frees the slot when a task throws', async () => {
  const s = new Semaphore(1);
  await assert.rejects(
    s.run(() => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await s.run(() => Promise.resolve(7)), 7);
});

test('semaphore rejects a limit below 1', () => {
  assert.throws(() => new Semaphore(0), /integer >= 1/);
});

test('runtime options default to CPU, ONNX Runtime thread defaults and one run per device', () => {
  assert.deepEqual(runtimeOptionsFromEnv({}), {
    providers: ['cpu'],
    intraOpThreads: 0,
    interOpThreads: 0,
    concurrency: { cpu: 1, cuda: 1 },
  });
});

test('runtime options read providers in order, thread counts and per-device concurrency', () => {
  const o = runtimeOptionsFromEnv({
    INFERENCE_PROVIDERS: 'cuda, cpu',
    INFERENCE_INTRA_OP_THREADS: '2',
    INFERENCE_INTER_OP_THREADS: '1',
    INFERENCE_CONCURRENCY_CPU: '3',
    INFERENCE_CONCURRENCY_CUDA: '2',
  });
  assert.deepEqual(o, {
    providers: ['cuda', 'cpu'],
    intraOpThreads: 2,
    interOpThreads: 1,
    concurrency: { cpu: 3, cuda: 2 },
  });
});

test('runtime options reject unknown providers and bad counts naming the variable', () => {
  assert.throws(
    () => runtimeOptionsFromEnv({ INFERENCE_PROVIDERS: 'cuda,tpu' }),
    /INFERENCE_PROVIDERS accepts cpu and cuda, got "tpu"/,
  );
  assert.throws(
    () => runtimeOptionsFromEnv({ INFERENCE_CONCURRENCY_CPU: '0' }),
    /INFERENCE_CONCURRENCY_CPU must be an integer between 1 and 64/,
  );
  assert.throws(() => runtimeOptionsFromEnv({ INFERENCE_INTRA_OP_THREADS: 'two' }), /INFERENCE_INTRA_OP_THREADS/);
});
