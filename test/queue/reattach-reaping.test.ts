/**
 * Reaping leaves recovery its stages: what a dead instance left on the (real) Docker engine for a stage that is
 * still `running` in the database stays, so a survivor can re-attach to it, while what it left for stages that
 * are not running goes; once the stage has ended, the next pass removes the rest. A real migrated database file
 * and the real dockerd; checked on the engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagesRunningInDatabase } from '../../sidecar/queue/index.ts';
import { createDockerRunner, reapDeadInstances } from '../../sidecar/runner/index.ts';
import { quietLogger } from '../runner/stage-harness.ts';
import { testBuild, testStage } from '../support/builds.ts';
import { createTestDocker, leftovers, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

const docker = createTestDocker();
const dead = testInstanceId('reap-dead');
let stores: Awaited<ReturnType<typeof openTestStores>>;

beforeAll(async () => {
  await ensureBusyboxImage();
  stores = await openTestStores();
});
afterAll(async () => {
  await removeInstanceResources(docker, dead);
  await stores.dispose();
});

/** A running container labelled as the dead instance's step of stage `stage` of build `build` of octo/app. */
async function leftContainer(build: string, stage: string): Promise<string> {
  const container = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sleep', '600'],
    Labels: {
      'io.drone-gogs.instance': dead,
      'io.drone-gogs.repo': 'octo/app',
      'io.drone-gogs.build': build,
      'io.drone-gogs.stage': stage,
      'io.drone-gogs.step': 'work',
    },
  });
  await container.start();
  return container.id;
}

describe('reaping beside recovery', () => {
  it("keeps a dead instance's resources of a stage running in the database, removes the rest", async () => {
    const repo = await stores.repos.upsertFacts(repoFacts('octo/app', 41));
    const { build } = await stores.builds.create(
      testBuild(repo.id, 'hook:reap', { stages: [testStage(1, 'running'), testStage(2, 'ended')] }),
    );
    const [first, second] = (await stores.builds.get(build.id))?.stages ?? [];
    if (first === undefined || second === undefined) throw new Error('no stages');
    expect(await stores.stageQueue.claim(first, dead, 'local', Date.now())).toBe(true);
    const kept = await leftContainer(String(build.number), '1');
    await leftContainer(String(build.number), '2');

    const runner = createDockerRunner({ docker, logger: quietLogger });
    const alive = (instance: string) => instance !== dead;
    const running = () =>
      stagesRunningInDatabase({ queue: stores.stageQueue, builds: stores.builds, repos: stores.repos });
    expect(await reapDeadInstances(runner, alive, quietLogger, await running())).toEqual([dead]);
    expect((await leftovers(docker, dead)).containers).toEqual([kept]);
    expect((await docker.getContainer(kept).inspect()).State.Running).toBe(true);

    // Once recovery has ended the stage, nothing of the dead instance is kept.
    const [claimed] = (await stores.builds.get(build.id))?.stages ?? [];
    if (claimed === undefined) throw new Error('no stage');
    await stores.stageQueue.abandon(claimed, 'test: ended', Date.now());
    await reapDeadInstances(runner, alive, quietLogger, await running());
    expect(await leftovers(docker, dead)).toEqual({ containers: [], networks: [], volumes: [] });
  }, 60_000);
});
