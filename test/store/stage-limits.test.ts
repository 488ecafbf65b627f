/**
 * Claiming under limits, with two store handles on one database file as two sidecar processes have: a
 * repository's throttle and a pipeline's `concurrency.limit` hold however the claims interleave, FIFO holds
 * within a repository, and a repository held back does not hold back the others. Checked in the stored rows.
 */
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stage, Stores } from '../../sidecar/core/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { testBuild, testStage } from '../support/builds.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

describe('claiming stages under limits', () => {
  let one: Awaited<ReturnType<typeof openTestStores>>;
  let two: Stores;
  beforeEach(async () => {
    one = await openTestStores();
    two = await openStores({ url: one.url, sync: 'normal' });
  });
  afterEach(async () => {
    await two.close();
    await one.dispose();
  });

  /** A repository with `builds` builds of one pending stage each (named `name`, with `limit`), oldest first. */
  const seed = async (
    fullName: string,
    gogsId: number,
    builds: number,
    stage: { name?: string; limit?: number; throttle?: number } = {},
  ) => {
    const repo = await one.repos.upsertFacts(repoFacts(fullName, gogsId));
    if (stage.throttle !== undefined) await one.repos.update(repo.id, { throttle: stage.throttle });
    const stages: Stage[] = [];
    for (let index = 0; index < builds; index++) {
      const { build } = await one.builds.create(
        testBuild(repo.id, `${fullName}:${stage.name ?? 'default'}:${index}`, {
          stages: [testStage(1, stage.name ?? 'default', { limit: stage.limit ?? 0 })],
        }),
      );
      const found = await one.builds.get(build.id);
      stages.push(...(found?.stages ?? []));
    }
    return { repo, stages };
  };

  /** Every stage claimed by both handles at once, interleaved: what two processes with stale lists do. */
  const claimAll = async (stages: Stage[]) => {
    const claims = stages.flatMap((stage) => [
      one.stageQueue.claim(stage, 'serve-one', '', 1).then((won) => (won ? stage.id : null)),
      two.stageQueue.claim(stage, 'serve-two', '', 1).then((won) => (won ? stage.id : null)),
    ]);
    return (await Promise.all(claims)).filter((id): id is number => id !== null);
  };

  const runningInDatabase = async () => {
    const client = createClient({ url: one.url });
    try {
      const result = await client.execute(
        "select s.id, s.name, r.full_name as repo from stages s join repos r on r.id = s.repo_id where s.status = 'running' order by s.id",
      );
      return result.rows.map((row) => ({
        id: Number(row.id),
        name: String(row.name),
        repo: String(row.repo),
      }));
    } finally {
      client.close();
    }
  };

  const finish = (stage: Stage) =>
    one.stageQueue.finishStage(stage, {
      status: 'success',
      error: null,
      exitCode: 0,
      finishedAt: 2,
      machine: 'local',
    });

  it("never runs more of a repository's stages than its throttle, whoever claims, oldest first", async () => {
    const { stages } = await seed('alice/app', 1, 6, { throttle: 2 });
    const [first, second, third, , , sixth] = stages as [Stage, Stage, Stage, Stage, Stage, Stage];

    expect((await one.stageQueue.pending(10)).map((stage) => stage.id)).toEqual([first.id, second.id]);
    expect((await two.stageQueue.pending(10)).map((stage) => stage.id)).toEqual([first.id, second.id]);
    // Both processes try every stage, the held-back ones too: the claim itself keeps the throttle.
    expect((await claimAll(stages)).sort()).toEqual([first.id, second.id]);
    expect((await runningInDatabase()).map((row) => row.id)).toEqual([first.id, second.id]);

    await finish(first);
    // One place is free: it goes to the oldest pending stage, not to a newer one that asks first.
    expect(await two.stageQueue.claim(sixth, 'serve-two', '', 3)).toBe(false);
    expect((await one.stageQueue.pending(10)).map((stage) => stage.id)).toEqual([third.id]);
    expect(await claimAll(stages.slice(2))).toEqual([third.id]);
    expect((await runningInDatabase()).map((row) => row.id)).toEqual([second.id, third.id]);
  });

  it('never runs more stages of one pipeline name than its concurrency.limit; other names are not limited', async () => {
    const deploys = await seed('alice/app', 1, 4, { name: 'deploy', limit: 1 });
    const tests = await seed('alice/app', 1, 3, { name: 'test' });

    const claimed = await claimAll([...deploys.stages, ...tests.stages]);
    expect(claimed.sort((a, b) => a - b)).toEqual(
      [deploys.stages[0]?.id, ...tests.stages.map((stage) => stage.id)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    const running = await runningInDatabase();
    expect(running.filter((row) => row.name === 'deploy')).toHaveLength(1);
    expect(running.filter((row) => row.name === 'test')).toHaveLength(3);
    expect(await one.stageQueue.pending(10)).toEqual([]);

    // The limit counts per repository: the same pipeline name elsewhere runs.
    const elsewhere = await seed('bob/lib', 2, 1, { name: 'deploy', limit: 1 });
    expect(await claimAll(elsewhere.stages)).toEqual([elsewhere.stages[0]?.id]);
  });

  it('keeps FIFO for the other repositories while one is held back by its throttle', async () => {
    const held = await seed('alice/app', 1, 3, { throttle: 1 });
    const other = await seed('bob/lib', 2, 2);
    const [heldFirst] = held.stages as [Stage];
    const [otherFirst, otherSecond] = other.stages as [Stage, Stage];

    // Asked for two, the queue gives the oldest stage and then the other repository's, not alice's second.
    expect((await one.stageQueue.pending(2)).map((stage) => stage.id)).toEqual([heldFirst.id, otherFirst.id]);
    expect(await one.stageQueue.claim(heldFirst, 'serve-one', '', 1)).toBe(true);
    expect((await two.stageQueue.pending(2)).map((stage) => stage.id)).toEqual([
      otherFirst.id,
      otherSecond.id,
    ]);
    expect((await claimAll(other.stages)).sort()).toEqual([otherFirst.id, otherSecond.id]);
    expect((await runningInDatabase()).map((row) => row.repo)).toEqual(['alice/app', 'bob/lib', 'bob/lib']);
  });

  it('lets a throttle of 0 and a limit of 0 mean no limit', async () => {
    const { stages } = await seed('alice/app', 1, 5, { throttle: 0, limit: 0 });
    expect(await one.stageQueue.pending(10)).toHaveLength(5);
    expect(await claimAll(stages)).toHaveLength(5);
  });
});
