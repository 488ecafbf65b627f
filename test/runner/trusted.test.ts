import { describe, expect, it } from 'vitest';
import { leftovers } from '../support/docker.ts';
import { dockerTestFile, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('trusted');
const nothing = { containers: [], networks: [], volumes: [] };

const hostSettings = `
kind: pipeline
name: default
clone: { disable: true }
volumes:
  - name: docker
    host: { path: /var/run/docker.sock }
steps:
  - name: harmless
    image: ${IMAGE}
    commands: [echo hi]
  - name: dind
    image: ${IMAGE}
    privileged: true
    volumes:
      - name: docker
        path: /var/run/docker.sock
    commands: [ls -l /var/run/docker.sock]
  - name: hostnet
    image: ${IMAGE}
    network_mode: host
    commands: [echo host]
`;

describe('docker runner: trusted-only settings', () => {
  it('refuses privileged, the docker socket and network_mode for an untrusted repository before creating anything', async () => {
    // Compiled for a trusted repository, run as untrusted: the runner checks on its own, whatever the plan says.
    const stage = stageFrom(hostSettings, { trusted: true });
    expect(stage.error).toBeNull();
    const { result, logs } = await harness.run(stage, { trusted: false });
    expect(result.outcome).toBe('error');
    expect(result.error).toBe(
      'untrusted repository: step "dind" uses privileged, the docker socket (/var/run/docker.sock); ' +
        'step "hostnet" uses network_mode (allowed for trusted repositories only)',
    );
    expect(outcomes(result)).toEqual({ harmless: 'skipped', dind: 'skipped', hostnet: 'skipped' });
    expect(logs.lines.size).toBe(0);
    expect(await leftovers(docker, instance)).toEqual(nothing);
  });

  it('lets a Docker-in-Docker plugin run privileged for an untrusted repository, as Drone does', async () => {
    // pull: never keeps the test off the network; the stage gets past the trust check to the image.
    const stage = stageFrom(
      'kind: pipeline\nclone: {disable: true}\nsteps:\n- {name: publish, image: plugins/docker:drone-gogs-absent, pull: never}\n',
    );
    expect(stage.steps.find((step) => step.name === 'publish')).toMatchObject({
      privileged: true,
      autoPrivileged: true,
    });
    const { result } = await harness.run(stage, { trusted: false });
    expect(result.error).toBeNull();
    expect(result.steps.find((step) => step.name === 'publish')).toMatchObject({
      status: 'error',
      error:
        "image docker.io/plugins/docker:drone-gogs-absent is not on this Docker host and the step's pull policy is never",
    });
    const asked = stageFrom(
      'kind: pipeline\nclone: {disable: true}\nsteps:\n- {name: publish, image: plugins/docker:drone-gogs-absent, pull: never, privileged: true}\n',
      { trusted: true },
    );
    expect((await harness.run(asked, { trusted: false })).result.error).toBe(
      'untrusted repository: step "publish" uses privileged (allowed for trusted repositories only)',
    );
  });

  it("reports the pipeline engine's own refusal as a stage error", async () => {
    const stage = stageFrom(hostSettings, { trusted: false });
    expect(stage.error).not.toBeNull();
    const { result } = await harness.run(stage, { trusted: false });
    expect(result.outcome).toBe('error');
    expect(result.error).toBe(stage.error);
  });

  it('allows them for a trusted repository', async () => {
    // Privileged containers cannot start on the test machine (dockerd itself lacks the capabilities).
    const stage = stageFrom(hostSettings.replace('    privileged: true\n', ''), { trusted: true });
    const { result, logs } = await harness.run(stage, { trusted: true });
    expect(outcomes(result)).toEqual({ harmless: 'success', dind: 'success', hostnet: 'success' });
    expect(logs.text('dind')).toMatch(/^s.* \/var\/run\/docker\.sock$/m);
  });
});

describe('docker runner: pull policies', () => {
  const missing = 'drone-gogs-test/does-not-exist';

  it.each([
    [
      'never',
      `image docker.io/${missing}:latest is not on this Docker host and the step's pull policy is never`,
    ],
    ['if-not-exists', `image docker.io/${missing}:latest is not on this Docker host and cannot be pulled: `],
    ['always', `cannot pull image docker.io/${missing}:latest (pull policy always): `],
  ])('makes a missing image with pull: %s a step error with a clear message', async (policy, message) => {
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: ghost
    image: ${missing}
    pull: ${policy}
    commands: [echo hi]
  - name: next
    image: ${IMAGE}
    commands: [echo next]
`);
    const { result, logs } = await harness.run(stage);
    expect(result.outcome).toBe('failure');
    expect(outcomes(result)).toEqual({ ghost: 'error', next: 'skipped' });
    const ghost = result.steps[0]!;
    expect(ghost.error?.startsWith(message)).toBe(true);
    expect(logs.text('ghost')).toContain(message);
  });

  it('uses a local image without pulling under the default and if-not-exists policies', async () => {
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: default
    image: ${IMAGE}
    commands: [echo default]
  - name: local
    image: ${IMAGE}
    pull: if-not-exists
    commands: [echo local]
`);
    const { result, logs } = await harness.run(stage);
    expect(outcomes(result)).toEqual({ default: 'success', local: 'success' });
    expect(logs.text('default')).not.toContain('pulling');
  });
});
