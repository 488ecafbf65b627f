import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewDelivery } from '../../sidecar/core/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { openTestStores } from '../support/stores.ts';

/** Deliveries of a serving sidecar are written by a thread of their own; this drives that thread for real. */
describe('the delivery writer thread', () => {
  let seed: Awaited<ReturnType<typeof openTestStores>>;
  afterEach(() => seed.dispose());

  async function setUp() {
    seed = await openTestStores();
    const repo = await seed.repos.upsertFacts({
      gogsId: 6,
      owner: 'o',
      name: 'n',
      fullName: 'o/n',
      private: false,
      defaultBranch: 'master',
      cloneUrl: '',
      htmlUrl: '',
    });
    const delivery = (deliveryId: string, repoId = repo.id): NewDelivery => ({
      deliveryId,
      repoId,
      event: 'push',
      kind: 'push',
      action: 'pushed',
      ref: 'refs/heads/master',
      after: 'a'.repeat(40),
      headers: '{}',
      body: 'x'.repeat(8192),
      synthetic: false,
      status: 'pending',
      statusReason: null,
      receivedAt: 1,
    });
    return { delivery };
  }

  it('stores concurrent deliveries each once, reports duplicates and bad rows, and drains on close', async () => {
    const { delivery } = await setUp();
    const serving = await openStores({ url: seed.url, migrate: false, writerThread: true });
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 100 }, (_, i) => serving.deliveries.record(delivery(`d-${i}`))),
      serving.deliveries.record(delivery('d-0')),
      serving.deliveries.record(delivery('orphan', 4242)),
    ]);
    expect(outcomes.slice(0, 100).every((o) => o.status === 'fulfilled' && o.value === 'stored')).toBe(true);
    expect(outcomes[100]).toEqual({ status: 'fulfilled', value: 'duplicate' });
    expect(outcomes[101]).toMatchObject({ status: 'rejected', reason: { code: 'STORE_FAILED' } });
    const last = serving.deliveries.record(delivery('last'));
    await serving.close();
    expect(await last).toBe('stored');
    expect(await seed.deliveries.list({ limit: 1000 })).toHaveLength(101);
    await expect(serving.deliveries.record(delivery('after-close'))).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
  });

  it('a thread that dies fails what it held with a clear error, and the next write starts a new one', async () => {
    const { delivery } = await setUp();
    const { createThreadedRecorder } = await import('../../sidecar/store/threaded-recorder.ts');
    let spawned = 0;
    const options = { url: seed.url, sync: 'normal' as const, backgroundCheckpoints: false };
    const recorder = createThreadedRecorder(options, () => {
      spawned++;
      if (spawned === 1) return new Worker('process.exit(3)', { eval: true });
      return new Worker(new URL('../../sidecar/store/delivery-writer-thread.ts', import.meta.url), {
        workerData: options,
      });
    });
    await expect(recorder.record(delivery('first'))).rejects.toMatchObject({
      code: 'STORE_FAILED',
      message: 'the delivery writer thread stopped',
    });
    expect(await recorder.record(delivery('second'))).toBe('stored');
    expect(spawned).toBe(2);
    await recorder.close();
  });
});
