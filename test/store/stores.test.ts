import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStores, testDelivery } from '../support/stores.ts';

type TestStores = Awaited<ReturnType<typeof openTestStores>>;

const facts = {
  gogsId: 42,
  owner: 'Acme',
  name: 'Rocket',
  fullName: 'Acme/Rocket',
  private: true,
  defaultBranch: 'main',
  cloneUrl: 'https://git.example.com/Acme/Rocket.git',
  htmlUrl: 'https://git.example.com/Acme/Rocket',
};

const delivery = testDelivery;

describe('stores on a freshly migrated libSQL file', () => {
  let stores: TestStores;
  beforeEach(async () => {
    stores = await openTestStores();
  });
  afterEach(() => stores.dispose());

  it('runs the real migrations: WAL mode and every table', async () => {
    const client = createClient({ url: stores.url });
    try {
      const mode = await client.execute('PRAGMA journal_mode');
      const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      expect(tables.rows.map((row) => row.name)).toEqual(
        expect.arrayContaining([
          'branch_heads',
          'deliveries',
          'step_log_chunks',
          'repos',
          '__drizzle_migrations',
        ]),
      );
    } finally {
      client.close();
    }
  });

  it('upserts repository facts by Gogs id (a rename keeps the row) and finds names case-insensitively', async () => {
    const first = await stores.repos.upsertFacts(facts);
    const renamed = await stores.repos.upsertFacts({ ...facts, name: 'Rocket2', fullName: 'Acme/Rocket2' });
    expect(renamed.id).toBe(first.id);
    expect(renamed.version).toBe(first.version + 1);
    expect((await stores.repos.findByFullName('acme/rocket2'))?.id).toBe(first.id);
    expect(await stores.repos.findByFullName('acme/rocket')).toBeNull();
  });

  it('refuses an update from a stale version', async () => {
    const repo = await stores.repos.upsertFacts(facts);
    await stores.repos.update(repo.id, { active: true }, repo.version);
    await expect(stores.repos.update(repo.id, { trusted: true }, repo.version)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(stores.repos.update(9999, { trusted: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('records deliveries once: duplicates across and within commit groups', async () => {
    const repo = await stores.repos.upsertFacts(facts);
    const outcomes = await Promise.all([
      stores.deliveries.record(delivery('a', repo.id)),
      stores.deliveries.record(delivery('a', repo.id)),
      stores.deliveries.record(delivery('b', repo.id)),
    ]);
    expect(outcomes).toEqual(['stored', 'duplicate', 'stored']);
    expect(await stores.deliveries.record(delivery('b', repo.id))).toBe('duplicate');
    expect((await stores.deliveries.list({ limit: 10 })).map((d) => d.deliveryId)).toEqual(['b', 'a']);
  });

  it('a row that cannot be stored fails alone; the rest of its group commits', async () => {
    const repo = await stores.repos.upsertFacts(facts);
    const outcomes = await Promise.allSettled([
      stores.deliveries.record(delivery('ok-1', repo.id)),
      stores.deliveries.record(delivery('orphan', 424242)),
      stores.deliveries.record(delivery('ok-2', repo.id)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_FAILED' });
    expect(await stores.deliveries.findByDeliveryId('ok-2')).not.toBeNull();
  });

  it('knows which commits a repository has announced', async () => {
    const repo = await stores.repos.upsertFacts(facts);
    await stores.deliveries.record(delivery('x', repo.id, 'f'.repeat(40)));
    expect(await stores.deliveries.hasSeenCommit(repo.id, 'f'.repeat(40))).toBe(true);
    expect(await stores.deliveries.hasSeenCommit(repo.id, 'e'.repeat(40))).toBe(false);
  });

  it('refuses new deliveries after close, having flushed the pending ones', async () => {
    const repo = await stores.repos.upsertFacts(facts);
    const pending = stores.deliveries.record(delivery('last', repo.id));
    await stores.deliveries.close();
    expect(await pending).toBe('stored');
    await expect(stores.deliveries.record(delivery('late', repo.id))).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
  });
});
