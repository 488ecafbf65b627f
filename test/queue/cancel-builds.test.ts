/**
 * Cancelling builds the way a user does, beside the Gogs test double and the real dockerd: a running build
 * cancelled through this process's build service and through `drone-gogs build cancel` on its own connection to
 * the database (the sidecar learns of it only from the stored rows); and auto-cancel of superseded pushes, on
 * and off. Checked in the database and by asking the engine for the build's containers.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN, type RepoChange } from '../../sidecar/core/index.ts';
import { createTestDocker, leftovers } from '../support/docker.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';
import { storedBuilds } from '../support/stored-builds.ts';

/** Sleeps unless the commit has a file named `fast`. */
const PIPELINE = `kind: pipeline
type: docker
name: default
steps:
- name: work
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands:
  - if [ -f fast ]; then echo fast; else echo slow; sleep 600; fi
`;
const NOTHING = { containers: [], networks: [], volumes: [] };

/** A whole flow on a shared machine: the default 30 s is for one step, not for several builds. */
const SLOW = 120_000;

describe('cancelling builds', () => {
  let t: SidecarBesideGogs;
  const docker = createTestDocker();
  beforeAll(() => ensureBusyboxImage());
  afterEach(() => t.dispose());

  const { repoId, find, finished, instance, poll } = storedBuilds(() => t);
  /** The build's containers on the engine, once its step `work` runs (it reports running before its container exists). */
  const runningContainers = async (number: number) =>
    poll(async () => {
      const step = (await find(number)).stages[0]?.steps.find((each) => each.name === 'work');
      if (step?.status !== 'running') return undefined;
      const left = await leftovers(docker, await instance(), String(number));
      return left.containers.length > 0 ? left.containers : undefined;
    });
  const goneFromEngine = async (number: number) =>
    poll(async () => {
      const left = await leftovers(docker, await instance(), String(number));
      return left.containers.length + left.networks.length + left.volumes.length === 0 ? left : undefined;
    });
  const push = async (files: Record<string, string>, message: string) => {
    const pushed = await t.push('master', files, message);
    return t.settled(pushed.deliveries[0]?.id ?? '');
  };
  const settings = async (change: RepoChange) =>
    t.sidecar.services.stores.repos.update(await repoId(), change);
  /** One stage at a time on the engine, taken by build 1 running the slow step: later builds wait. */
  const startWithBuildOneRunning = async (change: RepoChange) => {
    t = await startSidecarBesideGogs({ env: { DRONE_GOGS_RUNNER_CAPACITY: '1' } });
    await t.cli('repo', 'enable', 'alice/app');
    await settings(change);
    await push({ '.drone.yml': PIPELINE }, 'slow');
    await runningContainers(1);
  };
  const summary = async (number: number) => {
    const { build, stages } = await find(number);
    return {
      status: build.status,
      error: build.error,
      stages: stages.map((stage) => stage.status),
      steps: stages.flatMap((stage) => stage.steps.map((step) => [step.name, step.status])),
    };
  };

  it(
    'kills a running build from this process and from another connection, its containers removed',
    async () => {
      t = await startSidecarBesideGogs();
      await t.cli('repo', 'enable', 'alice/app');
      await push({ '.drone.yml': PIPELINE }, 'slow');
      const [container] = await runningContainers(1);

      const cancelled = await t.sidecar.services.builds.cancel(LOCAL_ADMIN, 'alice/app', 1);
      expect(cancelled.status).toBe('killed');
      await goneFromEngine(1);
      await expect(docker.getContainer(container ?? '').inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect(await summary(1)).toEqual({
        status: 'killed',
        error: null,
        stages: ['killed'],
        steps: [
          ['clone', 'success'],
          ['work', 'killed'],
        ],
      });

      // `drone-gogs build cancel` opens its own services: the sidecar finds out from the database alone.
      await push({ 'n.txt': '2' }, 'slow again');
      await runningContainers(2);
      const command = await t.cli('build', 'cancel', 'alice/app', '2');
      expect(command).toMatchObject({ code: 0, stderr: '' });
      expect(command.stdout).toBe('build #2 of alice/app cancelled; it is killed\n  1 default: killed\n');
      await goneFromEngine(2);
      expect(await summary(2)).toMatchObject({ status: 'killed', stages: ['killed'] });
      expect((await summary(2)).steps).toContainEqual(['work', 'killed']);
      // The runner's own end after the kill changed nothing that the cancel wrote.
      const feed = await t.sidecar.services.stores.changes.after(0, 10_000);
      const stageId = (await find(2)).stages[0]?.id;
      expect(
        feed
          .filter((entry) => entry.kind === 'stage' && entry.stageId === stageId)
          .map((entry) => entry.detail),
      ).toEqual(['running', 'killed']);

      const again = await t.cli('build', 'cancel', 'alice/app', '2');
      expect(again).toMatchObject({ code: 1, stdout: '' });
      expect(again.stderr).toContain(
        'build #2 of alice/app already ended (killed): there is nothing to cancel',
      );
    },
    SLOW,
  );

  it(
    'auto-cancels superseded pushes of a branch: waiting ones always, running ones when asked',
    async () => {
      await startWithBuildOneRunning({ autoCancelPushes: true });
      // The only slot is taken: build 2 waits. Build 1 runs, so it is not superseded without autoCancelRunning.
      await push({ 'n.txt': '2' }, 'second');
      expect((await find(2)).build.status).toBe('pending');
      expect((await find(1)).build.status).toBe('running');
      await push({ fast: 'yes' }, 'third');
      expect(await summary(2)).toEqual({
        status: 'killed',
        error: 'superseded by build #3',
        stages: ['killed'],
        steps: [],
      });
      expect((await find(1)).build.status).toBe('running');

      await settings({ autoCancelRunning: true });
      await push({ 'm.txt': '4' }, 'fourth');
      expect(await summary(1)).toMatchObject({ status: 'killed', error: 'superseded by build #4' });
      expect(await summary(3)).toMatchObject({ status: 'killed', error: 'superseded by build #4' });
      await goneFromEngine(1);
      expect((await finished(4)).build.status).toBe('success');
      expect(t.logLines.join('\n')).toContain('queue: auto-cancel: build #1 superseded by build #4');
    },
    SLOW,
  );

  it(
    'leaves superseded pushes alone when auto-cancel is off',
    async () => {
      await startWithBuildOneRunning({});
      await push({ fast: 'yes' }, 'second');
      expect((await find(1)).build.status).toBe('running');
      expect((await find(2)).build.status).toBe('pending');
      expect((await t.cli('build', 'cancel', 'alice/app', '1')).code).toBe(0);
      expect((await finished(2)).build.status).toBe('success');
      expect((await find(1)).build.error).toBeNull();
      expect(await goneFromEngine(1)).toEqual(NOTHING);
    },
    SLOW,
  );
});
