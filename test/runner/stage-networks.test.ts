/**
 * Spare networks: a serving pool keeps one network per engine made ahead for the next stage, and nothing of them
 * outlives its stage, the pool, a stage left to recovery, or a dead instance. Checked on the engine itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerPool } from '../../sidecar/core/index.ts';
import { createRunnerPool, reapDeadInstances } from '../../sidecar/runner/index.ts';
import { createTestDocker, leftovers, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { HOLD_COMMAND, heldContainer, release } from '../support/held-step.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { IMAGE, outcomes, quietLogger, runWith, stageFrom } from './stage-harness.ts';

const docker = createTestDocker();
const pools: RunnerPool[] = [];
const instances: string[] = [];

const printsNetwork = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: show
    image: ${IMAGE}
    commands: ['echo "network=$DRONE_DOCKER_NETWORK_ID"']
`);

function servingPool(name: string) {
  const instance = testInstanceId(name);
  instances.push(instance);
  const pool = createRunnerPool({
    engines: [{ name: 'local', docker, capacity: 2 }],
    logger: quietLogger,
    spareNetworks: true,
  });
  pools.push(pool);
  return { pool, instance };
}

/** The id of the network the stage's step ran on, as the step itself saw it. */
async function networkOfStage(pool: RunnerPool, instance: string): Promise<string> {
  const { result, logs } = await runWith(pool, instance, printsNetwork);
  expect(outcomes(result)).toEqual({ show: 'success' });
  const id = /network=(\w+)/.exec(logs.text('show'))?.[1];
  if (id === undefined) throw new Error(`no network in the log: ${logs.text('show')}`);
  return id;
}

/** The instance's networks on the engine, with whether each is a spare. */
async function networksOf(instance: string): Promise<{ id: string; spare: boolean }[]> {
  const filters = JSON.stringify({ label: [`io.drone-gogs.instance=${instance}`] });
  const found = await docker.listNetworks({ filters });
  return found.map((network) => ({
    id: network.Id,
    spare: network.Labels?.['io.drone-gogs.spare'] === 'true',
  }));
}

/** The spare, once it is made (when a stage ends). */
async function spareOf(instance: string): Promise<string> {
  for (;;) {
    const networks = await networksOf(instance);
    const spare = networks.find((network) => network.spare);
    if (spare !== undefined) return spare.id;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const exists = (id: string) =>
  docker
    .getNetwork(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );

beforeAll(async () => {
  await ensureBusyboxImage();
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  for (const instance of instances) await removeInstanceResources(docker, instance);
});

describe('spare stage networks', () => {
  it('runs the next stage on the spare made when the last one ended, and leaves no network but one spare', async () => {
    const { pool, instance } = servingPool('spare-next');
    const first = await networkOfStage(pool, instance);
    const spare = await spareOf(instance);
    expect(spare).not.toBe(first);
    expect(await exists(first)).toBe(false);
    expect(await networksOf(instance)).toEqual([{ id: spare, spare: true }]);

    const second = await networkOfStage(pool, instance);
    expect(second).toBe(spare);
    // Taken and gone with its stage; another is made for the stage after.
    expect(await exists(second)).toBe(false);
    const next = await spareOf(instance);
    expect(next).not.toBe(second);
    expect(await networksOf(instance)).toEqual([{ id: next, spare: true }]);

    await pool.close();
    expect(await networksOf(instance)).toEqual([]);
  });

  it('makes the stage its own network when the spare was pruned', async () => {
    const { pool, instance } = servingPool('spare-pruned');
    await networkOfStage(pool, instance);
    const pruned = await spareOf(instance);
    await docker.getNetwork(pruned).remove();
    const used = await networkOfStage(pool, instance);
    expect(used).not.toBe(pruned);
    expect(await exists(used)).toBe(false);
  });

  it('removes a taken spare with the stage left to recovery, found through its containers', async () => {
    const { pool, instance } = servingPool('spare-left');
    await networkOfStage(pool, instance);
    const spare = await spareOf(instance);
    const leave = new AbortController();
    const held = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: held
    image: ${IMAGE}
    commands: ['${HOLD_COMMAND}']
`);
    const running = runWith(pool, instance, held, { leave: leave.signal });
    const container = await heldContainer(docker, [
      `io.drone-gogs.instance=${instance}`,
      'io.drone-gogs.step=held',
    ]);
    const { Labels } = (await container.inspect()).Config;
    expect(Labels['io.drone-gogs.network']).toBeDefined();
    leave.abort();
    expect((await running).result.left).toBe(true);
    // The stage runs on in the spare, whose own labels name no stage.
    expect(await exists(spare)).toBe(true);
    const stage = (await leftovers(docker, instance, Labels['io.drone-gogs.build'])).networks;
    expect(stage).toEqual([]);

    await release(container);
    await pool.removeResources({
      instance,
      repo: 'octo/hello',
      build: Labels['io.drone-gogs.build'] ?? '',
      stage: '1',
    });
    expect(await exists(spare)).toBe(false);
  });

  it('goes when its instance is found dead', async () => {
    const { pool, instance } = servingPool('spare-dead');
    await networkOfStage(pool, instance);
    const spare = await spareOf(instance);
    const reaped = await reapDeadInstances(pool, (id) => id !== instance, quietLogger);
    expect(reaped).toContain(instance);
    expect(await exists(spare)).toBe(false);
  });
});
