import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageRecovery, StageRunIds } from '../../sidecar/core/index.ts';
import { createDockerRunner, reapDeadInstances } from '../../sidecar/runner/index.ts';
import { stepLabels } from '../../sidecar/runner/labels.ts';
import { createStoredLogSink } from '../../sidecar/store/index.ts';
import { createTestDocker, leftovers, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { openTestStores } from '../support/stores.ts';
import { IMAGE, MemoryStatuses, quietLogger, stageFrom } from './stage-harness.ts';
import { type StoredSteps, storeStepsOf } from './stored-steps.ts';

const docker = createTestDocker();
const runner = createDockerRunner({ docker, logger: quietLogger });
const instances: string[] = [];
const children: ChildProcess[] = [];
let stores: Awaited<ReturnType<typeof openTestStores>>;

beforeAll(async () => {
  await ensureBusyboxImage();
  stores = await openTestStores();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const instance of instances) await removeInstanceResources(docker, instance);
  await stores?.dispose();
});

/** `first` prints a numbered line every 0.2 s for 4 s with the secret in it; `second` then prints once. */
const yaml = `
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: first
    image: ${IMAGE}
    environment:
      TOKEN: { from_secret: token }
    commands:
      - for i in $(seq 1 20); do echo "line $i $TOKEN"; sleep 0.2; done
  - name: second
    image: ${IMAGE}
    commands: [echo second]
`;

const nothing = { containers: [], networks: [], volumes: [] };

/** Starts the stage in a child process and kills the process (SIGKILL) once `first` printed a few lines. */
async function startAndKill(): Promise<{ ids: StageRunIds; steps: StoredSteps; key: number }> {
  const instance = testInstanceId('dead');
  instances.push(instance);
  const ids: StageRunIds = { instance, repo: 'octo/hello', build: instance, stage: '1' };
  const steps = await storeStepsOf(stores, stageFrom(yaml));
  const key = steps.idOf('first');
  const child = spawn(
    process.execPath,
    [
      'test/runner/recovery-child.ts',
      JSON.stringify({
        instance,
        build: ids.build,
        databaseUrl: stores.url,
        yaml,
        stepIds: Object.fromEntries(steps.stepIds),
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while ((await stores.logs.read(key)).filter((line) => line.text.startsWith('line ')).length < 3) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the child never printed');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  await exited;
  return { ids, steps, key };
}

async function recovery(
  { ids, steps }: { ids: StageRunIds; steps: StoredSteps },
  mode: StageRecovery['mode'],
  statuses = new MemoryStatuses(),
) {
  const logPositions: Record<string, number> = {};
  for (const step of ['first', 'second']) {
    logPositions[step] = (await stores.logs.lastLine(steps.idOf(step))) + 1;
  }
  return {
    ids,
    logPositions,
    stage: stageFrom(yaml),
    secrets: { token: 's3cr3t' },
    logs: createStoredLogSink({ store: stores.logs, stepIds: steps.stepIds }),
    statuses,
    mode,
  } satisfies StageRecovery;
}

describe('docker runner: recovery after the process running a stage died', () => {
  it('re-attaches to the running step, continues its stored log after a note on what was missed, and waits for it', async () => {
    const killed = await startAndKill();
    const { ids, key } = killed;
    expect(await runner.resourceOwners()).toContain(ids.instance);
    const before = await stores.logs.lastLine(key);

    const statuses = new MemoryStatuses();
    const result = await runner.recoverStage(await recovery(killed, 'follow', statuses));

    const log = await stores.logs.read(key);
    expect(log.map((line) => line.number)).toEqual(log.map((_, index) => index));
    expect(log.length - 1).toBeGreaterThan(before);
    const texts = log.map((line) => line.text);
    const note = texts.indexOf(
      'drone-gogs: the process running this step stopped; following the step again from here (what it printed in between is lost)',
    );
    expect(note).toBe(before + 1);
    // Each printed line once and in order; at most the few printed between the kill and the re-attach missing.
    const printed = texts
      .filter((text) => text.startsWith('line '))
      .map((text) => Number(text.split(' ')[1]));
    expect(printed).toEqual([...printed].sort((a, b) => a - b));
    expect(new Set(printed).size).toBe(printed.length);
    expect(printed.at(-1)).toBe(20);
    expect(printed.length).toBeGreaterThan(12);
    expect(texts.filter((text) => text.startsWith('line ')).every((text) => text.endsWith(' ******'))).toBe(
      true,
    );
    expect(statuses.of('first')).toEqual(['running', 'success']);
    // What runs is learnt again from the container: the imported test image's id, as Docker names it.
    const imageId = (await docker.getImage(IMAGE).inspect()).Id;
    expect(statuses.history.filter((state) => state.name === 'first').map((state) => state.digest)).toEqual([
      imageId,
      imageId,
    ]);
    expect(result.steps.find((step) => step.name === 'first')).toMatchObject({
      status: 'success',
      exitCode: 0,
    });
    // `second` never started: it is not run here, and the stage says why.
    expect(result.steps.find((step) => step.name === 'second')?.status).toBe('skipped');
    expect(result.outcome).toBe('error');
    expect(result.error).toMatch(/stopped before "second" started/);
    expect(await leftovers(docker, ids.instance)).toEqual(nothing);
  }, 60_000);

  it('abandons a stage on request: its containers are removed and the stage ends error, saying why', async () => {
    const killed = await startAndKill();
    const { ids } = killed;
    const statuses = new MemoryStatuses();
    const result = await runner.recoverStage(await recovery(killed, 'abandon', statuses));
    expect(result.outcome).toBe('error');
    expect(result.error).toBe(
      `the process running the stage (instance ${ids.instance}) stopped; its containers were removed`,
    );
    expect(statuses.of('first')).toEqual(['error']);
    expect(await leftovers(docker, ids.instance)).toEqual(nothing);
    // Nothing is left to take over a second time.
    const again = await runner.recoverStage(await recovery(killed, 'follow'));
    expect(again.outcome).toBe('error');
    expect(again.error).toMatch(/nothing of the stage is left/);
  }, 60_000);

  it('takes no container that never started for a step that ran (the process died between create and start)', async () => {
    const instance = testInstanceId('unstarted');
    instances.push(instance);
    const ids: StageRunIds = { instance, repo: 'octo/hello', build: instance, stage: '1' };
    const steps = await storeStepsOf(stores, stageFrom(yaml));
    for (const mode of ['follow', 'abandon'] as const) {
      await docker.createContainer({ Image: IMAGE, Cmd: ['true'], Labels: stepLabels(ids, 'first') });
      const statuses = new MemoryStatuses();
      const result = await runner.recoverStage(await recovery({ ids, steps }, mode, statuses));
      expect(result.outcome).toBe('error');
      expect(result.steps.find((step) => step.name === 'first')).toMatchObject({
        status: 'skipped',
        exitCode: null,
      });
      expect(result.error).not.toMatch(/nothing of the stage is left/);
      expect(statuses.of('first')).not.toContain('success');
      expect(await leftovers(docker, ids.instance)).toEqual(nothing);
    }
  }, 60_000);

  it('reaps at start what dead instances left, and leaves live instances alone', async () => {
    const { ids } = await startAndKill();
    const live = testInstanceId('live');
    instances.push(live);
    const mine = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['sleep', '300'],
      Labels: { 'io.drone-gogs.instance': live, 'io.drone-gogs.build': '1', 'io.drone-gogs.stage': '1' },
    });
    await mine.start();
    const owners = await runner.resourceOwners();
    expect(owners).toEqual(expect.arrayContaining([ids.instance, live]));
    // Other test files run beside this one: only this file's instances count as dead here.
    const reaped = await reapDeadInstances(
      runner,
      (instance) => instance === live || !instances.includes(instance),
      quietLogger,
    );
    expect(reaped).toContain(ids.instance);
    expect(reaped).not.toContain(live);
    expect(await leftovers(docker, ids.instance)).toEqual(nothing);
    expect((await leftovers(docker, live)).containers).toEqual([mine.id]);
  }, 60_000);
});
