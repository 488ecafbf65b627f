import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanStage, PlanStep, PlanVolume } from '../../sidecar/core/index.ts';
import { leftovers } from '../support/docker.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { createInspectingHarness } from './inspecting-harness.ts';
import { dockerTestFile, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('trusted');
const inspecting = createInspectingHarness(instance);
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

/** A setting the runner must refuse for an untrusted repository, as a plan built directly could carry it. */
interface Setting {
  name: string;
  /** What the refusal says the step uses, when not its name. */
  uses?: () => string;
  step: () => Partial<PlanStep>;
  volumes?: () => PlanVolume[];
  /** What the engine shows on the container when the setting reaches it, and what it should show. */
  reached: (host: HostConfig) => unknown;
  expected: () => unknown;
}

type HostConfig = NonNullable<Docker.ContainerInspectInfo['HostConfig']>;

const hostDir = { path: '', remove: async () => {} };
beforeAll(async () => {
  Object.assign(hostDir, await makeTempDir('drone-gogs-host-volume-'));
});
afterAll(() => hostDir.remove());

const mountAt = (host: HostConfig, target: string) =>
  (host.Mounts ?? []).find((mount) => mount.Target === target);
const hostVolume = (name: string, hostPath: string): PlanVolume => ({
  name,
  kind: 'host',
  medium: '',
  sizeLimit: 0,
  hostPath,
});

const SETTINGS: Setting[] = [
  {
    name: 'dns',
    step: () => ({ dns: ['10.11.12.13'] }),
    reached: (host) => host.Dns,
    expected: () => ['10.11.12.13'],
  },
  {
    name: 'dns_search',
    step: () => ({ dnsSearch: ['drone-gogs.test'] }),
    reached: (host) => host.DnsSearch,
    expected: () => ['drone-gogs.test'],
  },
  {
    name: 'extra_hosts',
    step: () => ({ extraHosts: ['probe.test:10.11.12.14'] }),
    reached: (host) => host.ExtraHosts,
    expected: () => ['probe.test:10.11.12.14'],
  },
  {
    name: 'devices',
    step: () => ({ devices: [{ name: 'null', path: '/dev/probe-null' }] }),
    volumes: () => [hostVolume('null', '/dev/null')],
    reached: (host) => host.Devices,
    expected: () => [
      { PathOnHost: '/dev/null', PathInContainer: '/dev/probe-null', CgroupPermissions: 'rwm' },
    ],
  },
  {
    name: 'shm_size',
    step: () => ({ resources: { memLimit: 0, memSwapLimit: 0, shmSize: 128 * 1024 ** 2 } }),
    reached: (host) => host.ShmSize,
    expected: () => 128 * 1024 ** 2,
  },
  {
    name: 'an in-memory volume',
    uses: () => 'in-memory volume scratch',
    step: () => ({ volumes: [{ name: 'scratch', path: '/scratch' }] }),
    volumes: () => [{ name: 'scratch', kind: 'temp', medium: 'memory', sizeLimit: 1024 ** 2, hostPath: '' }],
    reached: (host) => mountAt(host, '/scratch'),
    expected: () => ({
      Type: 'tmpfs',
      Target: '/scratch',
      TmpfsOptions: { SizeBytes: 1024 ** 2, Mode: 0o700 },
    }),
  },
  {
    name: 'a host volume',
    uses: () => `host volume ${hostDir.path}`,
    step: () => ({ volumes: [{ name: 'host', path: '/host' }] }),
    volumes: () => [hostVolume('host', hostDir.path)],
    reached: (host) => mountAt(host, '/host'),
    expected: () => ({ Type: 'bind', Source: hostDir.path, Target: '/host' }),
  },
  {
    name: 'network_mode',
    step: () => ({ networkMode: 'host' }),
    reached: (host) => host.NetworkMode,
    expected: () => 'host',
  },
  {
    name: 'privileged',
    step: () => ({ privileged: true }),
    reached: (host) => host.Privileged,
    expected: () => true,
  },
];

/** A stage built directly, bypassing the pipeline engine's lint: one step per setting, named as in `names`. */
function probeStage(settings: Setting[], names: (index: number) => string): PlanStage {
  const base = stageFrom(
    `kind: pipeline\nclone: {disable: true}\nsteps:\n- {name: probe, image: ${IMAGE}, commands: [true]}\n`,
  );
  const probe = base.steps.find((step) => step.name === 'probe')!;
  const steps = settings.map((setting, index) => ({
    ...probe,
    ...setting.step(),
    name: names(index),
    dependsOn: index === 0 ? [] : [names(index - 1)],
    // Privileged and device containers may fail to start on the test machine: that must not skip the others.
    errorPolicy: 'ignore' as const,
  }));
  return { ...base, steps, volumes: settings.flatMap((setting) => setting.volumes?.() ?? []) };
}

describe('docker runner: each trusted-only setting, checked by the runner itself', () => {
  // Nine containers one after another: a generous ceiling for a loaded machine.
  it('passes every setting of the probes on to the engine for a trusted repository', async () => {
    const { result, containers } = await inspecting.run(
      probeStage(SETTINGS, (index) => `probe-${index}`),
      { trusted: true },
    );
    expect(result.error).toBeNull();
    const byStep = new Map(containers.map((info) => [info.Config.Labels['io.drone-gogs.step'], info]));
    expect(byStep.size).toBe(SETTINGS.length);
    SETTINGS.forEach((setting, index) => {
      expect([setting.name, setting.reached(byStep.get(`probe-${index}`)!.HostConfig)]).toEqual([
        setting.name,
        setting.expected(),
      ]);
    });
  }, 120_000);

  it.each(SETTINGS)(
    'refuses $name in a plan for an untrusted repository, creating no container',
    async (setting) => {
      const refused = await inspecting.run(
        probeStage([setting], () => 'probe'),
        { trusted: false },
      );
      expect(refused.result.outcome).toBe('error');
      expect(refused.result.error).toBe(
        `untrusted repository: step "probe" uses ${setting.uses?.() ?? setting.name} (allowed for trusted repositories only)`,
      );
      expect(refused.containers).toEqual([]);
      expect(outcomes(refused.result)).toEqual({ probe: 'skipped' });
    },
  );
});
