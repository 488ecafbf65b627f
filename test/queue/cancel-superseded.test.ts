/**
 * Auto-cancel over the real stores: what a new build supersedes under each setting, and what it never touches
 * (newer builds, other branches and pull requests, tags, builds that ended). Checked in the database rows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Build,
  type BuildOrigin,
  type BuildStatus,
  type RepoChange,
  systemClock,
} from '../../sidecar/core/index.ts';
import { cancelSuperseded, supersededLine } from '../../sidecar/queue/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { testBuild, testOrigin, testStage } from '../support/builds.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

describe('auto-cancel', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let repoId: number;
  const logger = createLogger({ format: 'text', level: 'error', write: () => {} });
  beforeEach(async () => {
    t = await openTestStores();
    repoId = (await t.repos.upsertFacts(repoFacts('alice/app', 1))).id;
  });
  afterEach(() => t.dispose());

  let key = 0;
  const build = async (origin: Partial<BuildOrigin>, status: BuildStatus = 'pending'): Promise<Build> => {
    const created = await t.builds.create(
      testBuild(repoId, `hook:${++key}`, {
        origin: testOrigin(origin),
        status,
        stages: [
          testStage(1, 'default', { status: status === 'blocked' ? 'blocked' : 'pending', steps: [] }),
        ],
      }),
    );
    return created.build;
  };
  /** Claims the build's stage, as a stage worker would: it runs. */
  const run = async (of: Build) => {
    const stage = (await t.stageQueue.pending(100)).find((each) => each.buildId === of.id);
    if (stage === undefined) throw new Error(`build #${of.number} has no pending stage`);
    expect(await t.stageQueue.claim(stage, 'serve-x', 'docker-1', Date.now())).toBe(true);
  };
  const settings = (change: RepoChange) => t.repos.update(repoId, change);
  const statuses = async () =>
    (await t.builds.list(repoId, { limit: 100 }))
      .reverse()
      .map((each) => `${each.number}:${each.status}${each.error ? ` (${each.error})` : ''}`);
  const deps = () => ({ builds: t.builds, queue: t.stageQueue, repos: t.repos, clock: systemClock, logger });

  it('kills the waiting builds a push supersedes on its branch, running ones only when asked', async () => {
    await settings({ autoCancelPushes: true });
    const pending = await build({});
    const running = await build({});
    await run(running);
    await build({}, 'blocked');
    await build({ event: 'tag', ref: 'refs/tags/v1', target: 'v1', source: 'v1' });
    await build({ ref: 'refs/heads/dev', target: 'dev', source: 'dev' });
    await build({ event: 'pull_request', pullRequest: 4, target: 'master', source: 'feature' });
    await build({}, 'success');
    const newest = await build({});

    expect(await cancelSuperseded(newest, deps())).toEqual([1, 3]);
    expect(await statuses()).toEqual([
      '1:killed (superseded by build #8)',
      '2:pending',
      '3:killed (superseded by build #8)',
      '4:pending',
      '5:pending',
      '6:pending',
      '7:success',
      '8:pending',
    ]);
    // Build 2's stage runs although the build row still says pending: it is left alone all the same.
    expect((await t.stageQueue.running()).map((stage) => stage.buildId)).toEqual([running.id]);

    await settings({ autoCancelRunning: true });
    expect(await cancelSuperseded(newest, deps())).toEqual([2]);
    expect(await t.stageQueue.running()).toEqual([]);
    expect((await statuses())[1]).toBe('2:killed (superseded by build #8)');
    // Never a newer build: the oldest build supersedes nothing.
    expect(await cancelSuperseded(pending, deps())).toEqual([]);
    expect((await t.builds.find(repoId, 8))?.build.status).toBe('pending');
  });

  it('kills the older builds of the same pull request only, and nothing when the setting is off', async () => {
    const pr = (number: number) => ({ event: 'pull_request' as const, pullRequest: number, source: 'f' });
    await build(pr(4));
    await build(pr(5));
    await build({});
    const newest = await build(pr(4));
    expect(await cancelSuperseded(newest, deps())).toEqual([]);
    await settings({ autoCancelPushes: true });
    expect(await cancelSuperseded(newest, deps())).toEqual([]);
    await settings({ autoCancelPullRequests: true });
    expect(await cancelSuperseded(newest, deps())).toEqual([1]);
    expect(await statuses()).toEqual([
      '1:killed (superseded by build #4)',
      '2:pending',
      '3:pending',
      '4:pending',
    ]);
  });

  it('supersedes nothing by a tag, a promotion or a build that ended at once (a broken file)', async () => {
    const all = { autoCancelPushes: true, autoCancelPullRequests: true, autoCancelRunning: true };
    for (const event of ['tag', 'promote', 'cron', 'custom'] as const)
      expect(supersededLine({ origin: testOrigin({ event }) }, all)).toBeNull();
    expect(supersededLine({ origin: testOrigin({}) }, all)).toEqual({ event: 'push', branch: 'master' });
    await settings(all);
    await build({});
    const errored = await build({}, 'error');
    expect(await cancelSuperseded(errored, deps())).toEqual([]);
    expect(await statuses()).toEqual(['1:pending', '2:error']);
  });
});
