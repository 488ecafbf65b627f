/**
 * A step's `id_tokens:` in the Docker runner: each token is asked for when the step starts, set in the
 * container's environment (read from the engine) and masked in the step's log; a runner with no issuer ends
 * the step `error` saying so, before any container is made. A process that recovers the stage after a restart
 * masks the tokens too, read back from the step containers.
 */
import { describe, expect, it } from 'vitest';
import { createDockerRunner } from '../../sidecar/runner/index.ts';
import { environmentOf, HOLD_COMMAND, heldContainer, release } from '../support/held-step.ts';
import {
  dockerTestFile,
  IMAGE,
  MemoryLogs,
  MemoryStatuses,
  outcomes,
  quietLogger,
  stageFrom,
} from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('id-tokens');

const pipeline = (hold: boolean) => `
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: deploy
    image: ${IMAGE}
    id_tokens:
      AWS_TOKEN: { aud: sts.amazonaws.com }
      VAULT_TOKEN: { aud: "https://vault.example.com" }
    commands:
      - echo "aws=$AWS_TOKEN vault=$VAULT_TOKEN"
${hold ? `      - '${HOLD_COMMAND}'` : ''}
`;

describe('docker runner: workload identity tokens', () => {
  it('sets each token the step asks for, issued for its audience, and masks it', async () => {
    const asked: { step: string; audience: string }[] = [];
    const running = harness.run(stageFrom(pipeline(true)), {
      workloadToken: async (request) => {
        asked.push(request);
        return `jwt-for-${request.audience.replace(/\W/g, '-')}-${asked.length}`;
      },
    });
    const container = await heldContainer(docker, [
      `io.drone-gogs.instance=${instance}`,
      'io.drone-gogs.step=deploy',
    ]);
    const environment = await environmentOf(container);
    await release(container);
    const { result, logs } = await running;

    expect(outcomes(result)).toEqual({ deploy: 'success' });
    expect(asked).toEqual([
      { step: 'deploy', audience: 'sts.amazonaws.com' },
      { step: 'deploy', audience: 'https://vault.example.com' },
    ]);
    expect(environment.get('AWS_TOKEN')).toBe('jwt-for-sts-amazonaws-com-1');
    expect(environment.get('VAULT_TOKEN')).toBe('jwt-for-https---vault-example-com-2');
    expect(logs.text('deploy')).toContain('aws=****** vault=******');
  });

  it('ends the step error when the runner has no issuer, and makes no container', async () => {
    const { result, logs } = await harness.run(stageFrom(pipeline(false)));
    expect(outcomes(result)).toEqual({ deploy: 'error' });
    expect(result.steps[0]?.error).toMatch(/issues no workload identity tokens/);
    expect(logs.text('deploy')).toMatch(/cannot issue the step's id_tokens/);
    expect(result.steps[0]?.exitCode ?? null).toBeNull();
  });
});

describe('docker runner: workload identity tokens after a restart', () => {
  it('masks a step token in the lines recovery follows, read back from the step container', async () => {
    const token = 'jwt-issued-by-the-process-that-died';
    const followed = `
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: deploy
    image: ${IMAGE}
    id_tokens:
      AWS_TOKEN: { aud: sts.amazonaws.com }
    commands:
      - echo "before=$AWS_TOKEN"
      - '${HOLD_COMMAND}'
      - echo "after=$AWS_TOKEN"
`;
    const leave = new AbortController();
    const running = harness.run(stageFrom(followed), {
      leave: leave.signal,
      workloadToken: async () => token,
    });
    const container = await heldContainer(docker, [
      `io.drone-gogs.instance=${instance}`,
      'io.drone-gogs.step=deploy',
    ]);
    const { Labels } = (await container.inspect()).Config;
    leave.abort();
    const { result } = await running;
    expect(result.left).toBe(true);

    // A new process: it never saw the token.
    const recovery = {
      ids: { instance, repo: 'octo/hello', build: Labels['io.drone-gogs.build'] ?? '', stage: '1' },
      stage: stageFrom(followed),
      secrets: {},
      logs: new MemoryLogs(),
      statuses: new MemoryStatuses(),
      mode: 'follow' as const,
    };
    const recovering = createDockerRunner({ docker, logger: quietLogger }).recoverStage(recovery);
    while (!recovery.statuses.of('deploy').includes('running'))
      await new Promise((resolve) => setTimeout(resolve, 50));
    await release(container);
    const ended = await recovering;

    expect(outcomes(ended)).toEqual({ deploy: 'success' });
    expect(recovery.logs.text('deploy')).toContain('after=******');
    expect(recovery.logs.text('deploy')).not.toContain(token);
  });
});
