/**
 * Retention in the real database file: a settled delivery keeps its metadata and headers but not its payload,
 * and the periodic pass deletes step logs and change-feed entries older than the retention period (keeping the
 * recent ones and every build), batch by batch.
 */
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock, LogLine, NewDelivery } from '../../sidecar/core/index.ts';
import { startRetention } from '../../sidecar/queue/index.ts';
import { createLogger, silentLogger } from '../../sidecar/telemetry/index.ts';
import { testBuild } from '../support/builds.ts';
import { openTestStores, repoFacts, testDelivery } from '../support/stores.ts';

const BODY = '{"ref":"refs/heads/main","commits":[{"message":"secret plans"}]}';
const HEADERS = '{"X-Gogs-Event":"push","X-Gogs-Delivery":"d"}';

describe('retention', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let repoId: number;
  beforeEach(async () => {
    t = await openTestStores();
    repoId = (await t.repos.upsertFacts(repoFacts('alice/app', 1))).id;
  });
  afterEach(() => t.dispose());

  const query = async (sql: string, args: (string | number)[] = []) => {
    const client = createClient({ url: t.url });
    try {
      return (await client.execute({ sql, args })).rows;
    } finally {
      client.close();
    }
  };
  const storedDeliveries = async () =>
    Object.fromEntries(
      (
        await query('select delivery_id, status, status_reason, headers, body, ref, after from deliveries')
      ).map((row) => [String(row.delivery_id), row]),
    );
  const delivery = (id: string, change: Partial<NewDelivery> = {}): NewDelivery => ({
    ...testDelivery(id, repoId, 'a'.repeat(40)),
    headers: HEADERS,
    body: BODY,
    ...change,
  });

  it('drops the payload of a delivery once it is done or ignored, keeps a failed one, and keeps the metadata', async () => {
    for (const id of ['done', 'ignored', 'failed', 'retried']) await t.deliveries.record(delivery(id));
    const leased = await t.deliveries.lease('me', 1_000, 60_000, 10);
    const idOf = (deliveryId: string) => leased.find((each) => each.deliveryId === deliveryId)?.id ?? 0;
    expect(await t.deliveries.settle(idOf('done'), 'me', 'done', 'build #1')).toBe(true);
    expect(await t.deliveries.settle(idOf('ignored'), 'me', 'ignored', 'skip-marker: [skip ci]')).toBe(true);
    expect(await t.deliveries.settle(idOf('failed'), 'me', 'failed', 'gave up')).toBe(true);
    expect(await t.deliveries.postpone(idOf('retried'), 'me', 5_000, 'Gogs did not answer')).toBe(true);

    const rows = await storedDeliveries();
    for (const id of ['done', 'ignored'])
      expect(rows[id]).toMatchObject({
        body: '',
        headers: HEADERS,
        ref: 'refs/heads/main',
        after: 'a'.repeat(40),
      });
    expect(rows.done?.status_reason).toBe('build #1');
    expect(rows.ignored?.status_reason).toBe('skip-marker: [skip ci]');
    // Still to be processed (again): the payload stays.
    expect(rows.failed).toMatchObject({ status: 'failed', body: BODY });
    expect(rows.retried).toMatchObject({ status: 'processing', body: BODY });
  });

  it('drops the payloads of deliveries the intake ignored on arrival in its periodic pass, and only those', async () => {
    await t.deliveries.record(delivery('issue', { event: 'issues', kind: null, status: 'ignored' }));
    await t.deliveries.record(delivery('waiting'));
    const retention = startRetention({
      store: t.retention,
      keepMs: 0,
      clock: { now: Date.now },
      logger: silentLogger,
    });
    try {
      await retention.runOnce();
      const rows = await storedDeliveries();
      expect(rows.issue).toMatchObject({ status: 'ignored', body: '', headers: HEADERS });
      expect(rows.waiting).toMatchObject({ status: 'pending', body: BODY });

      // A later one is found by the next pass.
      await t.deliveries.record(delivery('later', { event: 'fork', kind: null, status: 'ignored' }));
      await retention.runOnce();
      expect((await storedDeliveries()).later?.body).toBe('');
    } finally {
      await retention.stop();
    }
  });

  it('deletes log lines and change-feed entries older than the period in batches, keeping recent ones and the builds', async () => {
    const { build } = await t.builds.create(testBuild(repoId, 'hook:old'));
    const steps = (await t.builds.get(build.id))?.stages[0]?.steps ?? [];
    const [oldStep, newStep] = steps.map((step) => step.id) as [number, number];
    const lines = (from: number, count: number): LogLine[] =>
      Array.from({ length: count }, (_, index) => ({
        number: from + index,
        text: `line ${from + index}`,
        time: 0,
      }));
    // Five chunks of old lines (one append each), then, once the clock has moved on, the recent ones.
    for (let chunk = 0; chunk < 5; chunk++) await t.logs.append(oldStep, lines(chunk * 2, 2));
    const oldChanges = Number((await query('select count(*) as n from changes'))[0]?.n);
    const boundary = await clockPast(Date.now());
    await t.logs.append(newStep, lines(0, 3));
    await t.logs.append(oldStep, lines(10, 1));
    const allChanges = Number((await query('select count(*) as n from changes'))[0]?.n);
    expect(allChanges).toBeGreaterThan(oldChanges);

    const keepMs = 90 * 24 * 60 * 60_000;
    const clock: Clock = { now: () => boundary + keepMs };
    const logged: string[] = [];
    const logger = createLogger({ format: 'text', level: 'info', write: (line) => logged.push(line) });
    const retention = startRetention({ store: t.retention, keepMs, clock, logger, batch: 2 });
    try {
      await retention.runOnce();
    } finally {
      await retention.stop();
    }

    expect((await t.logs.read(oldStep)).map((line) => line.number)).toEqual([10]);
    expect((await t.logs.read(newStep)).map((line) => line.number)).toEqual([0, 1, 2]);
    const kept = await query('select created_at from changes');
    expect(kept).toHaveLength(allChanges - oldChanges);
    expect(kept.every((row) => Number(row.created_at) >= boundary)).toBe(true);
    expect(await t.builds.find(repoId, build.number)).not.toBeNull();
    expect(logged.join('\n')).toMatch(/retention: pruned .*logChunks=5/);
  });

  it('keeps everything when the period is 0', async () => {
    const { build } = await t.builds.create(testBuild(repoId, 'hook:kept'));
    const stepId = (await t.builds.get(build.id))?.stages[0]?.steps[0]?.id ?? 0;
    await t.logs.append(stepId, [{ number: 0, text: 'kept', time: 0 }]);
    const changes = Number((await query('select count(*) as n from changes'))[0]?.n);
    const far: Clock = { now: () => Date.now() + 1000 * 365 * 24 * 60 * 60_000 };
    const retention = startRetention({ store: t.retention, keepMs: 0, clock: far, logger: silentLogger });
    await retention.runOnce();
    await retention.stop();
    expect(await t.logs.read(stepId)).toHaveLength(1);
    expect(Number((await query('select count(*) as n from changes'))[0]?.n)).toBe(changes);
  });
});

/** Waits until the clock is past `ms`, so that what is written next is stamped later; returns `ms + 1`. */
async function clockPast(ms: number): Promise<number> {
  while (Date.now() <= ms + 1) await new Promise((resolve) => setTimeout(resolve, 1));
  return ms + 1;
}
