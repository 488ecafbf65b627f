import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { createStoreThread } from '../../sidecar/store/index.ts';
import { createThreadedIntake, type VerifiedDelivery } from '../../sidecar/webhooks/index.ts';
import { fixtureBytes } from '../support/gogs-fixtures.ts';
import { REPO_ROOT } from '../support/sidecar-process.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

const INTAKE_THREAD = new URL('sidecar/intake-thread.ts', `file://${REPO_ROOT}/`);

describe('the intake thread', () => {
  let stores: Awaited<ReturnType<typeof openTestStores>>;
  afterEach(() => stores.dispose());

  async function setUp() {
    stores = await openTestStores();
    const repo = await stores.repos.upsertFacts(repoFacts('maarten/webhook-test', 6));
    const delivery = (
      deliveryId: string,
      signed: Uint8Array = fixtureBytes('push_signed.json'),
    ): VerifiedDelivery => ({
      deliveryId,
      event: 'push',
      repoId: repo.id,
      gogsId: 6,
      signed,
      headers: { 'X-Gogs-Signature': signGogsPayload(signed, 'x') },
    });
    return { repo, delivery };
  }

  it('stores deliveries sent from many requests at once, each once, and drains on close', async () => {
    const { delivery } = await setUp();
    let spawned = 0;
    const thread = createStoreThread(() => {
      spawned++;
      return new Worker(INTAKE_THREAD, { workerData: { url: stores.url, sync: 'normal' } });
    });
    const intake = createThreadedIntake(thread);
    const outcomes = await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => intake.take(delivery(`d-${i}`))),
      intake.take(delivery('d-0')),
      intake.take(delivery('bad', Buffer.from('{"nope":'))),
    ]);
    expect(outcomes.slice(0, 100).every((outcome) => outcome.outcome === 'accepted')).toBe(true);
    expect(outcomes[100]).toEqual({ outcome: 'duplicate' });
    expect(outcomes[101]).toEqual({ outcome: 'invalid', message: 'the payload is not valid JSON' });
    const last = intake.take(delivery('last'));
    await intake.close();
    expect(await last).toEqual({ outcome: 'accepted', kind: 'push' });
    await thread.close();
    expect(spawned).toBe(1);
    expect(await stores.deliveries.list({ limit: 1000 })).toHaveLength(101);
    await expect(intake.take(delivery('after-close'))).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });

  it('a thread that dies fails what it held with a clear error, and the next delivery starts a new one', async () => {
    const { delivery } = await setUp();
    let spawned = 0;
    const thread = createStoreThread(() => {
      spawned++;
      if (spawned === 1) return new Worker('process.exit(3)', { eval: true });
      return new Worker(INTAKE_THREAD, { workerData: { url: stores.url, sync: 'normal' } });
    });
    const intake = createThreadedIntake(thread);
    await expect(intake.take(delivery('first'))).rejects.toMatchObject({
      code: 'STORE_FAILED',
      message: 'the intake thread stopped',
    });
    expect(await intake.take(delivery('second'))).toEqual({ outcome: 'accepted', kind: 'push' });
    expect(spawned).toBe(2);
    await intake.close();
    await thread.close();
  });
});
