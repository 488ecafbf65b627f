/** Builds in the real database file: numbering, exactly-once creation by origin, stages and steps, the change feed. */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewBuild, NewStage } from '../../sidecar/core/index.ts';
import { testBuild, testOrigin, testStage } from '../support/builds.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

const origin = testOrigin({ params: { DEPLOY: 'yes' } });

const stage = (number: number, name: string): NewStage =>
  testStage(number, name, {
    status: number === 1 ? 'pending' : 'waiting_on_dependencies',
    dependsOn: number === 1 ? [] : ['default'],
    labels: { region: 'eu' },
  });

const newBuild = (repoId: number, key: string, stages: NewStage[] = [stage(1, 'default')]): NewBuild =>
  testBuild(repoId, key, { origin, stages, changedPaths: ['main.go'] });

describe('the build store', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let repoId: number;
  beforeEach(async () => {
    t = await openTestStores();
    repoId = (await t.repos.upsertFacts(repoFacts('alice/app', 1))).id;
  });
  afterEach(() => t.dispose());

  it('numbers builds per repository from 1 and stores stages and steps as given', async () => {
    const other = (await t.repos.upsertFacts(repoFacts('bob/lib', 2))).id;
    const first = await t.builds.create(
      newBuild(repoId, 'hook:1', [stage(1, 'default'), stage(2, 'deploy')]),
    );
    const second = await t.builds.create(newBuild(repoId, 'hook:2'));
    const elsewhere = await t.builds.create(newBuild(other, 'hook:3'));
    expect([first.build.number, second.build.number, elsewhere.build.number]).toEqual([1, 2, 1]);
    expect(first.created && second.created && elsewhere.created).toBe(true);

    const found = await t.builds.find(repoId, 1);
    expect(found?.build).toMatchObject({ number: 1, status: 'pending', origin });
    expect(found?.stages.map((each) => [each.number, each.name, each.status, each.dependsOn])).toEqual([
      [1, 'default', 'pending', []],
      [2, 'deploy', 'waiting_on_dependencies', ['default']],
    ]);
    expect(found?.stages[0]?.labels).toEqual({ region: 'eu' });
    expect(
      found?.stages[1]?.steps.map((each) => [each.number, each.name, each.image, each.dependsOn]),
    ).toEqual([
      [1, 'clone', 'drone/git', []],
      [2, 'test', 'golang:1.22', ['clone']],
    ]);
    expect(await t.builds.find(repoId, 3)).toBeNull();

    const config = newBuild(repoId, 'any').config;
    expect(found?.build.changedPaths).toEqual(['main.go']);
    expect(found?.build.configSha256).toBe(createHash('sha256').update(config).digest('hex'));
    expect(await t.builds.config(found?.build.configSha256 ?? '')).toBe(config);
  });

  it('gives the first build back when its origin is created again, and leaves no gap in the numbers', async () => {
    const first = await t.builds.create(newBuild(repoId, 'hook:delivery-1:.drone.yml'));
    const again = await t.builds.create({
      ...newBuild(repoId, 'hook:delivery-1:.drone.yml'),
      status: 'error',
    });
    expect(again).toEqual({ build: first.build, created: false });
    const next = await t.builds.create(newBuild(repoId, 'hook:delivery-2:.drone.yml'));
    expect(next.build.number).toBe(2);
    expect((await t.builds.list(repoId, { limit: 10 })).map((build) => build.number)).toEqual([2, 1]);
  });

  it('creates each origin once and numbers without gaps when two processes create at once', async () => {
    // 30 creations of 20 origins, half of them by a second writer in a thread of its own (as a second process).
    const keys = Array.from({ length: 30 }, (_, index) => `hook:${index % 20}`);
    const mine = keys.filter((_, index) => index % 2 === 0);
    const theirs = keys.filter((_, index) => index % 2 === 1);
    const thread = new Worker(new URL('../support/build-creator-thread.ts', import.meta.url), {
      workerData: { url: t.url, builds: theirs.map((key) => newBuild(repoId, key)) },
    });
    const answered = new Promise<{ key: string; number: number; created: boolean }[]>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
    });
    const results = [
      ...(await Promise.all(mine.map((key) => t.builds.create(newBuild(repoId, key))))).map(
        ({ build, created }) => ({ key: build.idempotencyKey, number: build.number, created }),
      ),
      ...(await answered),
    ];
    await thread.terminate();
    expect(results.filter((result) => result.created)).toHaveLength(20);
    const listed = await t.builds.list(repoId, { limit: 100 });
    expect(listed.map((build) => build.number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    const numberOf = new Map(listed.map((build) => [build.idempotencyKey, build.number]));
    expect(numberOf.size).toBe(20);
    for (const result of results) expect(result.number).toBe(numberOf.get(result.key));
  });

  it('rolls a failed creation back whole: no build, no stage, no number used', async () => {
    const broken = newBuild(repoId, 'hook:broken', [stage(1, 'default'), stage(1, 'same-number')]);
    await expect(t.builds.create(broken)).rejects.toThrow();
    const client = createClient({ url: t.url });
    try {
      const counts = await client.execute(
        'select (select count(*) from builds) as builds, (select count(*) from stages) as stages, (select count(*) from steps) as steps, (select build_counter from repos) as counter',
      );
      expect(counts.rows[0]).toMatchObject({ builds: 0, stages: 0, steps: 0, counter: 0 });
    } finally {
      client.close();
    }
    expect((await t.builds.create(newBuild(repoId, 'hook:ok'))).build.number).toBe(1);
  });

  it('lists newest first with filters and pages, and records every creation in the change feed', async () => {
    for (let index = 1; index <= 5; index++) {
      const event = index % 2 === 0 ? 'tag' : 'push';
      await t.builds.create({
        ...newBuild(repoId, `hook:${index}`),
        origin: { ...origin, event, target: index <= 3 ? 'master' : 'dev' },
        status: index === 5 ? 'error' : 'pending',
      });
    }
    const numbers = async (filter: Parameters<typeof t.builds.list>[1]) =>
      (await t.builds.list(repoId, filter)).map((build) => build.number);
    expect(await numbers({ limit: 3 })).toEqual([5, 4, 3]);
    expect(await numbers({ limit: 3, beforeNumber: 3 })).toEqual([2, 1]);
    expect(await numbers({ limit: 10, event: 'tag' })).toEqual([4, 2]);
    expect(await numbers({ limit: 10, branch: 'dev' })).toEqual([5, 4]);
    expect(await numbers({ limit: 10, status: 'error' })).toEqual([5]);

    const feed = await t.changes.after(0, 100);
    expect(feed.map((change) => [change.kind, change.detail])).toEqual([
      ['build', 'pending'],
      ['build', 'pending'],
      ['build', 'pending'],
      ['build', 'pending'],
      ['build', 'error'],
    ]);
    expect(feed.map((change) => change.id)).toEqual(
      [...feed.map((change) => change.id)].sort((a, b) => a - b),
    );
    const latest = await t.changes.latestId();
    expect(latest).toBe(feed.at(-1)?.id);
    expect(await t.changes.after(feed[2]?.id ?? 0, 100)).toEqual(feed.slice(3));
    expect(await t.changes.prune(Date.now() + 1)).toBe(5);
    await t.builds.create(newBuild(repoId, 'hook:after-prune'));
    // Ids keep growing after pruning, so a follower that saw `latest` misses nothing new.
    expect((await t.changes.after(latest, 10)).map((change) => change.id)[0]).toBeGreaterThan(latest);
  });
});
