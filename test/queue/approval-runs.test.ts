/**
 * Approval the way a user meets it: the sidecar beside the Gogs test double and the real dockerd. A pull request
 * from a fork waits `blocked` with nothing run for it (no step rows, no claim, no container on the engine), runs
 * once `drone-gogs build approve` let it, and restarts; another is declined and never runs. With `all`, a push
 * waits too, and approving one stage of two runs that one alone. Read back from the database and the engine.
 */
import { createClient } from '@libsql/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FINAL_STATUSES, LOCAL_ADMIN } from '../../sidecar/core/index.ts';
import { createTestDocker, leftovers } from '../support/docker.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';
import { storedBuilds } from '../support/stored-builds.ts';

const PIPELINE = `kind: pipeline
type: docker
name: test
steps:
- name: check
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands:
  - echo "event $DRONE_BUILD_EVENT pr $DRONE_PULL_REQUEST at $DRONE_COMMIT_SHA"
---
kind: pipeline
type: docker
name: lint
steps:
- name: lint
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands: [echo lint]
`;

/** A whole flow on a shared machine: the default 30 s is for one step, not for several builds. */
const SLOW = 120_000;

describe('approval', () => {
  let t: SidecarBesideGogs;
  beforeAll(() => ensureBusyboxImage());
  afterEach(() => t.dispose());

  const { repoId, find, until, finished, instance } = storedBuilds(() => t);
  /** Every stage that was ever claimed, by the change feed: a claim writes `running`. */
  const claimedStages = async () =>
    new Set(
      (await t.sidecar.services.stores.changes.after(0, 10_000))
        .filter((entry) => entry.kind === 'stage' && entry.detail === 'running')
        .map((entry) => entry.stageId),
    );
  const checkLog = async (number: number) =>
    (
      await t.sidecar.services.builds.log(LOCAL_ADMIN, 'alice/app', { build: number, stage: 1, step: 2 })
    ).lines.map((line) => line.text);

  /** bob's fork of alice/app with a branch; a pull request from it into alice/app. */
  const forkPullRequest = async (branch: string, title: string) => {
    const pushed = await t.gogs.pushCommit({
      owner: 'bob',
      name: 'app',
      branch,
      files: { '.drone.yml': PIPELINE, [`${branch}.txt`]: branch },
      message: `change on ${branch}`,
    });
    const opened = await t.gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headOwner: 'bob',
      headName: 'app',
      headBranch: branch,
      title,
      author: 'bob',
    });
    return {
      sha: pushed.sha,
      number: opened.number,
      delivery: await t.settled(opened.deliveries[0]?.id ?? ''),
    };
  };

  const start = async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    await t.gogs.createRepo({ owner: 'bob', name: 'app', files: { 'README.md': 'fork\n' } });
  };

  it(
    'holds a pull request from a fork until approved, runs nothing for it, then runs it and its restart',
    async () => {
      await start();
      const pull = await forkPullRequest('feature', 'From a fork');
      expect(pull.delivery).toMatchObject({ status: 'done', statusReason: 'build #1' });
      expect(t.logLines.join('\n')).toContain('trigger: the build waits for approval: fork-pull-request');
      const blocked = await find(1);
      expect(blocked.build).toMatchObject({
        status: 'blocked',
        origin: { fork: 'bob/app', after: pull.sha },
      });
      expect(blocked.stages.map((stage) => [stage.status, stage.claimedBy, stage.steps.length])).toEqual([
        ['blocked', '', 0],
        ['blocked', '', 0],
      ]);

      // A push runs meanwhile, so the stage worker has looked at the queue since the fork's build was stored.
      const push = await t.push('master', { '.drone.yml': PIPELINE }, 'ci on master');
      await t.settled(push.deliveries[0]?.id ?? '');
      expect((await finished(2)).build.status).toBe('success');
      const stillBlocked = await find(1);
      expect(stillBlocked.build.status).toBe('blocked');
      expect(stillBlocked.stages.flatMap((stage) => stage.steps)).toEqual([]);
      const claimed = await claimedStages();
      expect(stillBlocked.stages.some((stage) => claimed.has(stage.id))).toBe(false);
      const docker = createTestDocker();
      expect(await leftovers(docker, await instance(), '1')).toEqual({
        containers: [],
        networks: [],
        volumes: [],
      });

      const approved = await t.cli('build', 'approve', 'alice/app', '1');
      expect(approved).toMatchObject({ code: 0, stderr: '' });
      expect(approved.stdout).toMatch(
        /^build #1 of alice\/app approved; it is pending now\n {2}1 test: pending\n/,
      );
      const ran = await finished(1);
      expect(ran.build.status).toBe('success');
      expect(ran.stages.map((stage) => stage.status)).toEqual(['success', 'success']);
      expect(await checkLog(1)).toContain(`event pull_request pr 1 at ${pull.sha}`);

      // Restarted: a new build of the same commit and file, not blocked again.
      const restarted = await t.cli('build', 'restart', 'alice/app', '1', '--json');
      expect(restarted.code).toBe(0);
      const view = JSON.parse(restarted.stdout);
      expect(view).toMatchObject({
        number: 3,
        parent: 1,
        after: pull.sha,
        status: 'pending',
        trigger: 'bob',
      });
      expect(view.provenance.config_sha256).toBe(ran.build.configSha256);
      const again = await finished(3);
      expect(again.build.status).toBe('success');
      expect(again.build.configSha256).toBe(ran.build.configSha256);
      expect(await checkLog(3)).toContain(`event pull_request pr 1 at ${pull.sha}`);
    },
    SLOW,
  );

  it(
    'declines a pull request from a fork: its stages and the build end declined and nothing runs',
    async () => {
      await start();
      await forkPullRequest('feature', 'From a fork');
      const declined = await t.cli('build', 'decline', 'alice/app', '1', '--json');
      expect(declined.code).toBe(0);
      expect(JSON.parse(declined.stdout)).toMatchObject({
        number: 1,
        status: 'declined',
        stages: [{ status: 'declined' }, { status: 'declined' }],
      });
      // The worker keeps passing (a push runs after it): nothing of build 1 is ever claimed.
      const push = await t.push('master', { '.drone.yml': PIPELINE }, 'ci on master');
      await t.settled(push.deliveries[0]?.id ?? '');
      expect((await finished(2)).build.status).toBe('success');
      const build = await find(1);
      expect(build.build.status).toBe('declined');
      expect(build.build.finishedAt).toBeGreaterThan(0);
      expect(build.stages.flatMap((stage) => stage.steps)).toEqual([]);
      const claimed = await claimedStages();
      expect(build.stages.some((stage) => claimed.has(stage.id))).toBe(false);

      const twice = await t.cli('build', 'approve', 'alice/app', '1');
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('build #1 of alice/app is declined, with no stage waiting for approval');
    },
    SLOW,
  );

  it(
    'with `all`, holds a push too; approving one stage of two runs that one alone',
    async () => {
      await start();
      await t.sidecar.services.stores.repos.update(await repoId(), { requireApproval: 'all' });
      const push = await t.push('master', { '.drone.yml': PIPELINE }, 'ci');
      await t.settled(push.deliveries[0]?.id ?? '');
      expect((await find(1)).build.status).toBe('blocked');

      const one = await t.cli('build', 'approve', 'alice/app', '1', '2');
      expect(one.code).toBe(0);
      const half = await until(1, (found) => FINAL_STATUSES.has(found.stages[1]?.status ?? 'pending'));
      expect(half.stages.map((stage) => [stage.name, stage.status])).toEqual([
        ['test', 'blocked'],
        ['lint', 'success'],
      ]);
      expect(half.build.status).toBe('blocked');
      expect(half.stages[0]?.steps).toEqual([]);

      const client = createClient({ url: t.sidecar.services.config.database.url });
      try {
        const rows = await client.execute({
          sql: 'select status from stages where build_id = ? order by number',
          args: [half.build.id],
        });
        expect(rows.rows.map((row) => row.status)).toEqual(['blocked', 'success']);
      } finally {
        client.close();
      }
      expect((await t.cli('build', 'approve', 'alice/app', '1', '2')).stderr).toContain(
        'stage 2 of build #1 is success, not blocked: only stages waiting for approval can be approved',
      );
      expect((await t.cli('build', 'approve', 'alice/app', '1', '1')).code).toBe(0);
      expect((await finished(1)).build.status).toBe('success');
    },
    SLOW,
  );
});
