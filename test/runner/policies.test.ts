import { describe, expect, it } from 'vitest';
import { leftovers } from '../support/docker.ts';
import { dockerTestFile, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('policies');

function pipeline(steps: string): string {
  return `kind: pipeline\nname: default\nclone: { disable: true }\nsteps:\n${steps}`;
}

describe('docker runner: run and error policies', () => {
  it('skips later steps after a failure, runs on-failure and always steps, and cleans up', async () => {
    const stage = stageFrom(
      pipeline(`
  - name: fails
    image: ${IMAGE}
    commands: [echo before, exit 3, echo never printed]
  - name: after
    image: ${IMAGE}
    commands: [echo after]
  - name: notify
    image: ${IMAGE}
    commands:
      - echo "failed steps $DRONE_FAILED_STEPS, build $DRONE_BUILD_STATUS"
    when: { status: [failure] }
  - name: always
    image: ${IMAGE}
    commands: [echo always]
    when: { status: [success, failure] }
`),
    );
    const { result, logs, statuses } = await harness.run(stage);
    expect(result.outcome).toBe('failure');
    expect(outcomes(result)).toEqual({
      fails: 'failure',
      after: 'skipped',
      notify: 'success',
      always: 'success',
    });
    expect(result.steps.find((step) => step.name === 'fails')?.exitCode).toBe(3);
    expect(logs.text('fails')).toBe('+ echo before\nbefore\n+ exit 3');
    expect(logs.text('notify')).toContain('failed steps fails, build failure');
    expect(logs.lines.has('after')).toBe(false);
    expect(statuses.of('after')).toEqual(['pending', 'skipped']);
    expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('does not run on-failure steps when everything passed', async () => {
    const stage = stageFrom(
      pipeline(`
  - name: ok
    image: ${IMAGE}
    commands: [true]
  - name: notify
    image: ${IMAGE}
    commands: [echo notify]
    when: { status: [failure] }
`),
    );
    const { result } = await harness.run(stage);
    expect(result.outcome).toBe('success');
    expect(outcomes(result)).toEqual({ ok: 'success', notify: 'skipped' });
  });

  it('ends early and successfully on exit code 78, skipping everything still pending', async () => {
    const stage = stageFrom(
      pipeline(`
  - name: check
    image: ${IMAGE}
    commands: [echo nothing to do, exit 78]
  - name: build
    image: ${IMAGE}
    commands: [echo build]
  - name: always
    image: ${IMAGE}
    commands: [echo always]
    when: { status: [success, failure] }
`),
    );
    const { result } = await harness.run(stage);
    expect(result.outcome).toBe('success');
    expect(outcomes(result)).toEqual({ check: 'success', build: 'skipped', always: 'skipped' });
    expect(result.steps[0]?.exitCode).toBe(78);
  });

  it('lets a step with failure: ignore fail without failing the stage', async () => {
    const stage = stageFrom(
      pipeline(`
  - name: flaky
    image: ${IMAGE}
    failure: ignore
    commands: [exit 1]
  - name: next
    image: ${IMAGE}
    commands: [echo "status $DRONE_BUILD_STATUS"]
`),
    );
    const { result, logs } = await harness.run(stage);
    expect(result.outcome).toBe('success');
    expect(outcomes(result)).toEqual({ flaky: 'failure', next: 'success' });
    expect(logs.text('next')).toContain('status success');
  });

  it('kills the stage when a failure: fast step fails in a parallel branch', async () => {
    const stage = stageFrom(
      pipeline(`
  - name: slow
    image: ${IMAGE}
    commands: [sleep 30]
  - name: quick
    image: ${IMAGE}
    failure: fast
    commands: [sleep 1, exit 2]
    depends_on: []
  - name: later
    image: ${IMAGE}
    commands: [echo later]
    depends_on: [slow, quick]
`),
    );
    const { result } = await harness.run(stage);
    expect(result.outcome).toBe('killed');
    expect(outcomes(result)).toEqual({ slow: 'killed', quick: 'failure', later: 'skipped' });
  });

  it('leaves detached steps running beside later steps and marks them successful at the end', async () => {
    const stage = stageFrom(
      pipeline(`
  - name: background
    image: ${IMAGE}
    detach: true
    commands: [echo started, sleep 60, echo slept]
  - name: foreground
    image: ${IMAGE}
    commands: [echo foreground]
`),
    );
    const { result, logs } = await harness.run(stage);
    expect(result.outcome).toBe('success');
    expect(outcomes(result)).toEqual({ background: 'success', foreground: 'success' });
    expect(logs.text('background')).toContain('started');
    // Stopped when the stage ended, not waited for.
    expect(logs.text('background')).not.toContain('slept');
  });
});
