/** Deliveries leased to processes: in the real database file, with the native inserter storing them. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStores } from '../../sidecar/store/index.ts';
import { openTestStores, repoFacts, testDelivery } from '../support/stores.ts';

const delivery = testDelivery;

describe('delivery leases', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let repoId: number;
  beforeEach(async () => {
    t = await openTestStores();
    repoId = (await t.repos.upsertFacts(repoFacts('alice/app', 1))).id;
    for (const id of ['d1', 'd2', 'd3', 'd4', 'd5']) await t.deliveries.record(delivery(id, repoId));
  });
  afterEach(() => t.dispose());

  it('leases pending deliveries oldest first, each to one holder, and counts the attempts', async () => {
    const other = await openStores({ url: t.url, sync: 'normal' });
    try {
      const [mine, theirs] = await Promise.all([
        t.deliveries.lease('a', 1_000, 60_000, 3),
        other.deliveries.lease('b', 1_000, 60_000, 3),
      ]);
      const ids = [...mine, ...theirs].map((each) => each.deliveryId);
      expect(ids.sort()).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
      expect(mine.map((each) => each.deliveryId)).toEqual([...mine.map((each) => each.deliveryId)].sort());
      for (const each of [...mine, ...theirs])
        expect(each).toMatchObject({ status: 'processing', attempts: 1, leaseUntil: 61_000 });
      expect(await t.deliveries.lease('c', 2_000, 60_000, 10)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('gives a delivery whose lease ran out to the next holder, and only the holder may settle it', async () => {
    const [first] = await t.deliveries.lease('a', 1_000, 10_000, 1);
    expect(first?.deliveryId).toBe('d1');
    const [taken] = await t.deliveries.lease('b', 11_001, 10_000, 1);
    expect(taken).toMatchObject({ deliveryId: 'd1', leasedBy: 'b', attempts: 2 });
    expect(await t.deliveries.settle(taken?.id ?? 0, 'a', 'done', 'build #1')).toBe(false);
    expect(await t.deliveries.settle(taken?.id ?? 0, 'b', 'done', 'build #1')).toBe(true);
    expect(await t.deliveries.findByDeliveryId('d1')).toMatchObject({
      status: 'done',
      statusReason: 'build #1',
      leasedBy: null,
      leaseUntil: null,
    });
    expect(await t.deliveries.settle(taken?.id ?? 0, 'b', 'failed', 'again')).toBe(false);
  });

  it('keeps a postponed delivery from every holder until its time, with why', async () => {
    const [first] = await t.deliveries.lease('a', 1_000, 60_000, 1);
    expect(await t.deliveries.postpone(first?.id ?? 0, 'a', 5_000, 'Gogs did not answer')).toBe(true);
    expect(await t.deliveries.postpone(first?.id ?? 0, 'b', 9_000, 'not mine')).toBe(false);
    const early = await t.deliveries.lease('b', 4_999, 60_000, 10);
    expect(early.map((each) => each.deliveryId)).not.toContain('d1');
    const later = await t.deliveries.lease('b', 5_001, 60_000, 10);
    expect(later.map((each) => each.deliveryId)).toEqual(['d1']);
    expect(later[0]).toMatchObject({ statusReason: 'Gogs did not answer', attempts: 2 });
  });
});
