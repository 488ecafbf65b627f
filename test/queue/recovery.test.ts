/**
 * No stage stays running forever: a stage claimed by a sidecar process that died is taken over by a live one,
 * which finds nothing of it to re-attach to (its engine does not answer) and ends it `error` with the reason, its
 * steps closed and the build ended. The dead process is a row of the instances table whose heartbeat stopped; the
 * live sidecar runs beside the Gogs test double with no Docker engine (nothing else runs).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testBuild, testStage } from '../support/builds.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';
import { repoFacts } from '../support/stores.ts';

const NO_ENGINE = { DRONE_GOGS_DOCKER_HOST: 'unix:///run/drone-gogs-tests-no-engine.sock' };
const DEAD = 'serve-elsewhere-77-0000dead';
const ALIVE = 'serve-elsewhere-78-0000beef';

describe('recovery of stages whose process died', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  it("ends a dead instance's running stage as error with the reason, and leaves a live one's alone", async () => {
    let ahead = 0;
    t = await startSidecarBesideGogs({ env: NO_ENGINE, clock: { now: () => Date.now() + ahead } });
    const { stores } = t.sidecar.services;
    const repo = await stores.repos.upsertFacts(repoFacts('octo/app', 99));
    const stageOf = async (key: string, holder: string) => {
      const { build } = await stores.builds.create(
        testBuild(repo.id, key, { stages: [testStage(1, 'default')] }),
      );
      const [stage] = (await stores.builds.get(build.id))?.stages ?? [];
      if (stage === undefined) throw new Error('no stage');
      expect(await stores.stageQueue.claim(stage, holder, 'engine-1', Date.now())).toBe(true);
      const [clone] = await stores.stageQueue.addSteps(stage, stage.steps);
      if (clone !== undefined)
        await stores.stageQueue.updateStep(stage, clone, {
          status: 'running',
          exitCode: null,
          error: null,
          startedAt: Date.now(),
          finishedAt: 0,
        });
      return build;
    };
    await stores.instances.register({ id: DEAD, hostname: 'elsewhere', pid: 77 }, Date.now() - 10 * 60_000);
    await stores.instances.register({ id: ALIVE, hostname: 'elsewhere', pid: 78 }, Date.now());
    const orphan = await stageOf('hook:orphan', DEAD);
    const owned = await stageOf('hook:owned', ALIVE);

    // Recovery looks once a minute: move the sidecar's clock past the next look, and keep the live one beating.
    ahead = 61_000;
    await stores.instances.heartbeat(ALIVE, Date.now() + ahead);
    for (;;) {
      const found = await stores.builds.get(orphan.id);
      if (found?.build.status === 'error') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ended = await stores.builds.get(orphan.id);
    expect(ended?.stages[0]).toMatchObject({
      status: 'error',
      error: `the process running the stage (instance ${DEAD}) stopped, and nothing of the stage is left on the Docker engines that answer (not answering: local)`,
    });
    expect(ended?.stages[0]?.claimedBy).toMatch(/^serve-/);
    expect(ended?.stages[0]?.claimedBy).not.toBe(DEAD);
    expect(ended?.stages[0]?.steps.map((step) => [step.name, step.status])).toEqual([
      ['clone', 'error'],
      ['test', 'skipped'],
    ]);
    expect(ended?.build.finishedAt).toBeGreaterThan(0);
    const untouched = await stores.builds.get(owned.id);
    expect(untouched?.stages[0]).toMatchObject({ status: 'running', error: null, claimedBy: ALIVE });
    expect(untouched?.build.finishedAt).toBe(0);
  });
});
