/**
 * Leaving a stage (the process stops past its deadline): the runner lets go without touching what runs. The
 * step container keeps running, with the stage's network and volume; no final status is reported; the lines
 * printed so far reach the sink. Recovery then re-attaches to it (and may leave it again) and ends it. Checked on
 * the engine itself.
 */
import { describe, expect, it } from 'vitest';
import { createDockerRunner } from '../../sidecar/runner/index.ts';
import { leftovers } from '../support/docker.ts';
import { HOLD_COMMAND, heldContainer, release } from '../support/held-step.ts';
import {
  dockerTestFile,
  IMAGE,
  MemoryLogs,
  MemoryStatuses,
  outcomes,
  quietLogger,
  stageFrom,
} from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('leave');
const runner = createDockerRunner({ docker, logger: quietLogger });

const pipeline = `
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: held
    image: ${IMAGE}
    commands:
      - echo before-leaving
      - '${HOLD_COMMAND}'
      - echo after-leaving
  - name: later
    image: ${IMAGE}
    commands: [echo later]
`;

const poll = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
};

describe('docker runner: leaving a stage to recovery', () => {
  it('lets go of a running stage without stopping it, and recovery follows it to its end', async () => {
    const leave = new AbortController();
    const running = harness.run(stageFrom(pipeline), { leave: leave.signal });
    const container = await heldContainer(docker, [
      `io.drone-gogs.instance=${instance}`,
      'io.drone-gogs.step=held',
    ]);
    const { Labels } = (await container.inspect()).Config;
    leave.abort();
    const { result, logs, statuses } = await running;

    expect(result.left).toBe(true);
    expect((await container.inspect()).State.Running).toBe(true);
    const kept = await leftovers(docker, instance, Labels['io.drone-gogs.build']);
    expect(kept.containers).toHaveLength(1);
    expect(kept.networks).toHaveLength(1);
    expect(kept.volumes.length).toBeGreaterThan(0);
    // Nothing final: the step's row stays as recovery will find it.
    expect(new Set(statuses.of('held'))).toEqual(new Set(['pending', 'running']));
    expect(statuses.of('later')).toEqual(['pending']);
    expect(logs.text('held')).toContain('before-leaving');

    const ids = {
      instance,
      repo: 'octo/hello',
      build: Labels['io.drone-gogs.build'] ?? '',
      stage: '1',
    };
    const recovery = {
      ids,
      stage: stageFrom(pipeline),
      secrets: {},
      logs: new MemoryLogs(),
      statuses: new MemoryStatuses(),
      mode: 'follow' as const,
    };
    // A recovering process that goes away too lets go again.
    const leaveAgain = new AbortController();
    const followed = runner.recoverStage({ ...recovery, leave: leaveAgain.signal });
    await poll(() => recovery.statuses.of('held').includes('running'));
    leaveAgain.abort();
    expect((await followed).left).toBe(true);
    expect((await container.inspect()).State.Running).toBe(true);
    expect(new Set(recovery.statuses.of('held'))).toEqual(new Set(['running']));

    const finalStatuses = new MemoryStatuses();
    const last = runner.recoverStage({ ...recovery, statuses: finalStatuses, logs: new MemoryLogs() });
    await poll(() => finalStatuses.of('held').includes('running'));
    await release(container);
    const ended = await last;
    expect(ended.left).toBeUndefined();
    expect(outcomes(ended)).toMatchObject({ held: 'success' });
    expect(ended.outcome).toBe('error');
    expect(ended.error).toContain('"later"');
    expect(await leftovers(docker, instance, ids.build)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });

  it('kills nothing and reports nothing when left before the container started', async () => {
    const leave = new AbortController();
    leave.abort();
    const { result, statuses } = await harness.run(stageFrom(pipeline), { leave: leave.signal });
    expect(result.left).toBe(true);
    expect(statuses.history.filter((state) => state.status !== 'pending')).toEqual([]);
  });
});
