import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../sidecar/core/index.ts';
import { ensureImage } from '../../sidecar/runner/image-pull.ts';
import { createDockerRunner } from '../../sidecar/runner/index.ts';
import { createPullProgress, formatBytes, pullErrorOf } from '../../sidecar/runner/pull-progress.ts';
import { createTestDocker, leftovers, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { type PushedImage, type RegistryDouble, startRegistryDouble } from '../support/registry-double.ts';
import { createInspectingHarness } from './inspecting-harness.ts';
import { outcomes, runWith, stageFrom } from './stage-harness.ts';

const docker = createTestDocker();
const instance = testInstanceId('pull');
const USER = 'alice';
const PASSWORD = 'pw-9d2c1e-right';
const WRONG_PASSWORD = 'pw-4b7f0a-wrong';

const logged: string[] = [];
const recordingLogger: Logger = {
  debug: (message, fields) => logged.push(`${message} ${JSON.stringify(fields ?? {})}`),
  info: (message, fields) => logged.push(`${message} ${JSON.stringify(fields ?? {})}`),
  warn: (message, fields) => logged.push(`${message} ${JSON.stringify(fields ?? {})}`),
  error: (message, fields) => logged.push(`${message} ${JSON.stringify(fields ?? {})}`),
};
const runner = createDockerRunner({ docker, logger: recordingLogger });

let open: RegistryDouble;
let locked: RegistryDouble;
const pushed: PushedImage[] = [];

async function push(registry: RegistryDouble, repository: string, tag: string, marker: string) {
  const image = await registry.push(repository, tag, { 'etc/tool-release': `${marker}\n` });
  pushed.push(image);
  return image;
}

/** `policy` default leaves `pull:` out. */
function toolStage(image: string, policy: string, pullSecrets: string[] = []) {
  return stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
image_pull_secrets: [${pullSecrets.join(', ')}]
steps:
  - name: tool
    image: ${image}
    ${policy === 'default' ? '' : `pull: ${policy}`}
    commands: [cat /etc/tool-release]
`);
}

function dockerConfig(host: string, user: string, password: string): string {
  const auth = Buffer.from(`${user}:${password}`).toString('base64');
  return JSON.stringify({ auths: { [host]: { auth } } });
}

beforeAll(async () => {
  [open, locked] = await Promise.all([
    startRegistryDouble(),
    startRegistryDouble({ users: { [USER]: PASSWORD } }),
  ]);
});

afterAll(async () => {
  await removeInstanceResources(docker, instance);
  for (const image of pushed) {
    for (const name of [image.reference, image.imageId]) {
      await docker
        .getImage(name)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  await Promise.all([open?.close(), locked?.close()]);
});

describe('pull progress lines (no Docker)', () => {
  it('writes a line per layer per status change and throttles counts, keeping the last one', () => {
    let now = 0;
    const progress = createPullProgress(() => now, 1000);
    const at = (ms: number, event: object) => {
      now = ms;
      return progress.lines(event);
    };
    const downloading = (current: number) => ({
      id: 'aaaa',
      status: 'Downloading',
      progressDetail: { current, total: 4_500_000 },
    });
    expect(at(0, { id: '1', status: 'Pulling from team/tool' })).toEqual(['1: Pulling from team/tool']);
    expect(at(0, { id: 'aaaa', status: 'Pulling fs layer', progressDetail: {} })).toEqual([
      'aaaa: Pulling fs layer',
    ]);
    expect(at(1, { id: 'aaaa', status: 'Pulling fs layer', progressDetail: {} })).toEqual([]);
    expect(at(10, downloading(1_200_000))).toEqual(['aaaa: Downloading 1.2 MB / 4.5 MB']);
    expect(at(300, downloading(2_000_000))).toEqual([]);
    expect(at(400, { id: 'bbbb', status: 'Already exists', progressDetail: {} })).toEqual([
      'bbbb: Already exists',
    ]);
    expect(at(600, downloading(3_000_000))).toEqual([]);
    expect(at(1100, downloading(3_500_000))).toEqual(['aaaa: Downloading 3.5 MB / 4.5 MB']);
    expect(at(1200, downloading(4_500_000))).toEqual([]);
    expect(at(1300, { id: 'aaaa', status: 'Download complete', progressDetail: {} })).toEqual([
      'aaaa: Downloading 4.5 MB / 4.5 MB',
      'aaaa: Download complete',
    ]);
    const extracting = (current: number) => ({
      id: 'aaaa',
      status: 'Extracting',
      progressDetail: { current, total: 4_500_000 },
    });
    expect(at(1400, extracting(32_768))).toEqual(['aaaa: Extracting 32.8 kB / 4.5 MB']);
    expect(at(1500, extracting(4_500_000))).toEqual([]);
    expect(at(1500, { error: 'boom', errorDetail: { message: 'boom' } })).toEqual([]);
    expect(progress.rest()).toEqual(['aaaa: Extracting 4.5 MB / 4.5 MB']);
    expect(progress.rest()).toEqual([]);
    expect(at(1600, { status: 'Digest: sha256:abc' })).toEqual(['Digest: sha256:abc']);
  });

  it('formats sizes in decimal units and reads the error of an event', () => {
    expect([158, 36_628, 1_056_396, 2_500_000_000].map(formatBytes)).toEqual([
      '158 B',
      '36.6 kB',
      '1.1 MB',
      '2.5 GB',
    ]);
    expect(pullErrorOf({ error: 'short', errorDetail: { message: 'detailed' } })).toBe('detailed');
    expect(pullErrorOf({ error: 'short' })).toBe('short');
    expect(pullErrorOf({ status: 'Pull complete' })).toBeNull();
  });

  it('turns an error in the event stream into the pull error, with the password hidden', async () => {
    const events = [
      { id: 'aaaa', status: 'Pulling fs layer' },
      { errorDetail: { message: `layer refused for ${USER}:${PASSWORD}` }, error: 'layer refused' },
    ];
    const fake = {
      getImage: () => ({
        inspect: () => Promise.reject(Object.assign(new Error('no'), { statusCode: 404 })),
      }),
      pull: async () => Readable.from(events.map((event) => `${JSON.stringify(event)}\n`)),
      modem: createTestDocker().modem,
    } as unknown as Docker;
    const notes: string[] = [];
    const auth = { username: USER, password: PASSWORD, serveraddress: 'registry.test' };
    const request = {
      image: 'registry.test/x:1',
      policy: 'if-not-exists' as const,
      pullSecrets: [dockerConfig(auth.serveraddress, USER, PASSWORD)],
      trusted: false,
    };
    expect(await ensureImage(fake, request, (line) => notes.push(line))).toEqual({
      error: `image registry.test/x:1 is not on this Docker host and cannot be pulled: layer refused for ${USER}:******`,
    });
    expect(notes).toEqual([
      'drone-gogs: pulling registry.test/x:1 as alice',
      'drone-gogs: aaaa: Pulling fs layer',
    ]);
  });
});

describe('docker runner: pulling from a registry (test double)', () => {
  it('pulls an absent image under if-not-exists, logs per-layer progress and runs the pulled image', async () => {
    const image = await push(open, 'team/tool', '1', 'team/tool 1');
    const { result, logs, statuses } = await runWith(
      runner,
      instance,
      toolStage(image.reference, 'if-not-exists'),
    );
    expect(outcomes(result)).toEqual({ tool: 'success' });
    // What ran is the registry's digest of the image, as Docker lists it, reported once the container started.
    const digest = `${open.host}/team/tool@${image.manifestDigest}`;
    expect((await docker.getImage(image.reference).inspect()).RepoDigests).toContain(digest);
    expect(statuses.history.map((state) => [state.status, state.digest])).toEqual([
      ['pending', undefined],
      ['running', undefined],
      ['running', digest],
      ['success', digest],
    ]);
    expect(result.steps[0]?.digest).toBe(digest);
    const text = logs.text('tool');
    expect(text).toContain(`drone-gogs: pulling ${image.reference}\n`);
    for (const layer of image.layerIds) {
      expect(text).toContain(`drone-gogs: ${layer}: Pulling fs layer\n`);
      expect(text).toContain(`drone-gogs: ${layer}: Pull complete\n`);
    }
    expect(text).toMatch(/^drone-gogs: [0-9a-f]{12}: Downloading [\d.]+ [kMG]?B \/ [\d.]+ [kMG]?B$/m);
    expect(text).toContain(`drone-gogs: Digest: ${image.manifestDigest}\n`);
    expect(text).toContain(`drone-gogs: Status: Downloaded newer image for ${image.reference}\n`);
    expect(text.endsWith('+ cat /etc/tool-release\nteam/tool 1')).toBe(true);
    const progressLines = text.split('\n').filter((line) => line.startsWith('drone-gogs: '));
    expect(new Set(progressLines).size).toBe(progressLines.length);
    expect(open.count(`/v2/team/tool/blobs/`)).toBeGreaterThanOrEqual(3);
    expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('uses a present image under if-not-exists without asking the registry, for a trusted repository', async () => {
    const image = await push(open, 'team/tool', 'present', 'team/tool present');
    const stage = toolStage(image.reference, 'if-not-exists');
    const first = await runWith(runner, instance, stage, { trusted: true });
    expect(outcomes(first.result)).toEqual({ tool: 'success' });
    const manifests = open.count('/v2/team/tool/manifests/');
    expect(manifests).toBeGreaterThan(0);
    await push(open, 'team/tool', 'present', 'team/tool moved');
    const second = await runWith(runner, instance, stage, { trusted: true });
    expect(outcomes(second.result)).toEqual({ tool: 'success' });
    expect(open.count('/v2/team/tool/manifests/')).toBe(manifests);
    expect(second.logs.text('tool')).toBe('+ cat /etc/tool-release\nteam/tool present');
  });

  it('fetches the new content of a moved tag under always', async () => {
    const first = await push(open, 'team/tool', 'moving', 'team/tool moving v1');
    const stage = toolStage(first.reference, 'always');
    const before = await runWith(runner, instance, stage);
    expect(before.logs.text('tool')).toContain('\nteam/tool moving v1');
    expect(before.result.steps[0]?.digest).toBe(`${open.host}/team/tool@${first.manifestDigest}`);
    const moved = await push(open, 'team/tool', 'moving', 'team/tool moving v2');
    const after = await runWith(runner, instance, stage);
    expect(outcomes(after.result)).toEqual({ tool: 'success' });
    expect(after.result.steps[0]?.digest).toBe(`${open.host}/team/tool@${moved.manifestDigest}`);
    const text = after.logs.text('tool');
    expect(text).toContain(`drone-gogs: ${moved.layerIds[0]}: Already exists\n`);
    expect(text).toContain(`drone-gogs: ${moved.layerIds[1]}: Pull complete\n`);
    expect(text).toContain(`drone-gogs: Digest: ${moved.manifestDigest}\n`);
    expect(text.endsWith('\nteam/tool moving v2')).toBe(true);
  });

  it('refuses an absent image under never without pulling it', async () => {
    const image = await push(open, 'team/tool', 'never', 'team/tool never');
    const { result, logs } = await runWith(runner, instance, toolStage(image.reference, 'never'));
    const message = `image ${image.reference} is not on this Docker host and the step's pull policy is never`;
    expect(outcomes(result)).toEqual({ tool: 'error' });
    expect(result.steps[0]?.error).toBe(message);
    expect(logs.text('tool')).toBe(`drone-gogs: ${message}`);
    expect(open.count('/v2/team/tool/manifests/never')).toBe(0);
  });

  it('names the image when its tag does not exist', async () => {
    const reference = `${open.host}/team/tool:no-such-tag`;
    const { result } = await runWith(runner, instance, toolStage(reference, 'if-not-exists'));
    expect(outcomes(result)).toEqual({ tool: 'error' });
    const error = result.steps[0]?.error ?? '';
    expect(error.startsWith(`image ${reference} is not on this Docker host and cannot be pulled: `)).toBe(
      true,
    );
    expect(error).toContain('manifest unknown');
    expect(open.count('/v2/team/tool/manifests/no-such-tag')).toBeGreaterThan(0);
  });

  it('runs the image its provenance names, even when the tag moves on the engine between two steps', async () => {
    const pinned = await push(open, 'team/pinned', '1', 'pinned content');
    const other = await push(open, 'team/other', '1', 'other content');
    await runWith(runner, instance, toolStage(other.reference, 'if-not-exists'));
    // Just before `second` is created, someone re-tags the name both steps use to other content.
    const harness = createInspectingHarness(
      instance,
      {},
      {
        async beforeCreate(spec, engine) {
          if (spec.Labels?.['io.drone-gogs.step'] !== 'second') return;
          const repo = pinned.reference.slice(0, pinned.reference.lastIndexOf(':'));
          await engine.getImage(other.reference).tag({ repo, tag: '1' });
        },
      },
    );
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: first
    image: ${pinned.reference}
    commands: [cat /etc/tool-release]
  - name: second
    image: ${pinned.reference}
    pull: if-not-exists
    commands: [cat /etc/tool-release]
`);
    const { result, logs, containers } = await harness.run(stage);
    expect(outcomes(result)).toEqual({ first: 'success', second: 'success' });
    expect((await docker.getImage(pinned.reference).inspect()).Id).toBe(other.imageId);
    const digest = `${open.host}/team/pinned@${pinned.manifestDigest}`;
    expect(result.steps.map((step) => step.digest)).toEqual([digest, digest]);
    expect(logs.text('second').endsWith('\n+ cat /etc/tool-release\npinned content')).toBe(true);
    expect(containers.map((container) => container.Image)).toEqual([pinned.imageId, pinned.imageId]);
  });
});

describe('docker runner: pulling a private image with image_pull_secrets', () => {
  it('logs in with the dockerconfigjson of the matching secret', async () => {
    const image = await push(locked, 'private/tool', '1', 'private/tool 1');
    const { result, logs } = await runWith(
      runner,
      instance,
      toolStage(image.reference, 'always', ['creds']),
      {
        secrets: { creds: dockerConfig(locked.host, USER, PASSWORD) },
      },
    );
    expect(outcomes(result)).toEqual({ tool: 'success' });
    const text = logs.text('tool');
    expect(text).toContain(`drone-gogs: pulling ${image.reference} as ${USER}\n`);
    expect(text).toContain(`drone-gogs: Digest: ${image.manifestDigest}\n`);
    expect(text.endsWith('\nprivate/tool 1')).toBe(true);
    const manifestRequests = locked.requests.filter((request) => request.path.includes('/manifests/'));
    expect(manifestRequests.length).toBeGreaterThan(0);
    expect(manifestRequests.every((request) => request.user === USER)).toBe(true);
  });

  it('makes a refused password a clear step error that never shows the password', async () => {
    const image = await push(locked, 'private/tool', 'refused', 'private/tool refused');
    logged.length = 0;
    const blobsBefore = locked.count('/v2/private/tool/blobs/');
    const { result, logs } = await runWith(
      runner,
      instance,
      toolStage(image.reference, 'always', ['creds']),
      {
        secrets: { creds: dockerConfig(locked.host, USER, WRONG_PASSWORD) },
      },
    );
    expect(outcomes(result)).toEqual({ tool: 'error' });
    const error = result.steps[0]?.error ?? '';
    expect(error).toBe(
      `cannot pull image ${image.reference} (pull policy always): unauthorized ` +
        `(as ${USER}, with credentials for ${locked.host} from image_pull_secrets)`,
    );
    const everything = [error, logs.text('tool'), JSON.stringify(result), ...logged].join('\n');
    expect(everything).not.toContain(WRONG_PASSWORD);
    expect(everything).not.toContain(Buffer.from(`${USER}:${WRONG_PASSWORD}`).toString('base64'));
    expect(logs.text('tool')).toContain(error);
    expect(locked.count('/v2/private/tool/blobs/')).toBe(blobsBefore);
  });

  it('says that no secret holds credentials for the registry', async () => {
    const image = await push(locked, 'private/tool', 'anonymous', 'private/tool anonymous');
    const { result } = await runWith(runner, instance, toolStage(image.reference, 'if-not-exists'));
    expect(outcomes(result)).toEqual({ tool: 'error' });
    const error = result.steps[0]?.error ?? '';
    expect(
      error.startsWith(`image ${image.reference} is not on this Docker host and cannot be pulled: `),
    ).toBe(true);
    expect(error).toContain('no basic auth credentials');
    expect(error.endsWith(`(no image_pull_secrets entry for ${locked.host})`)).toBe(true);
  });
});

describe('docker runner: images that other builds left on the engine, for an untrusted repository', () => {
  const inspecting = createInspectingHarness(instance);
  const since = (registry: RegistryDouble, from: number) => registry.requests.slice(from);

  it('runs a private image only for repositories whose credentials the registry accepts', async () => {
    const image = await push(locked, 'private/cached', '1', 'private/cached 1');
    const creds = (password: string) => ({ creds: dockerConfig(locked.host, USER, password) });
    // Repository A holds credentials and pulls the image: it is now in the engine's cache.
    const a = await runWith(runner, instance, toolStage(image.reference, 'if-not-exists', ['creds']), {
      secrets: creds(PASSWORD),
    });
    expect(a.logs.text('tool').endsWith('\nprivate/cached 1')).toBe(true);
    const digest = `/v2/private/cached/manifests/${image.manifestDigest}`;
    const asking = `asking the registry whether this repository may use ${locked.host}/private/cached@${image.manifestDigest}`;

    // Repository B holds none: under every policy that would reuse the cached image, nothing runs.
    const anonymous = `no basic auth credentials (no image_pull_secrets entry for ${locked.host})`;
    const refused = `image ${image.reference} came from a registry that did not let this untrusted repository use it,`;
    for (const policy of ['if-not-exists', 'default', 'never']) {
      const from = locked.requests.length;
      const b = await inspecting.run(toolStage(image.reference, policy));
      expect(outcomes(b.result)).toEqual({ tool: 'error' });
      expect(b.containers).toEqual([]);
      expect(b.logs.text('tool')).not.toContain('private/cached 1');
      const error = b.result.steps[0]?.error ?? '';
      expect(error).toBe(
        policy === 'never'
          ? `${refused} and the step's pull policy is never: ` +
              `Get "http://${locked.host}${digest}": ${anonymous}`
          : `${refused} and cannot be pulled: ` +
              `Head "http://${locked.host}/v2/private/cached/manifests/1": ${anonymous}`,
      );
      // dockerd sends no manifest request without credentials once the ping asked for them.
      expect(b.logs.text('tool').split('\n')[0]).toBe(`drone-gogs: ${asking}`);
      expect(since(locked, from).map((request) => request.path)).toEqual(
        policy === 'never' ? ['/v2/'] : ['/v2/', '/v2/'],
      );
    }

    // Repository C with a wrong password is refused by the registry too, and the password shows nowhere.
    const c = await inspecting.run(toolStage(image.reference, 'if-not-exists', ['creds']), {
      secrets: creds(WRONG_PASSWORD),
    });
    expect(c.containers).toEqual([]);
    const cError = c.result.steps[0]?.error ?? '';
    expect(cError).toBe(
      `${refused} and cannot be pulled: unauthorized (as ${USER}, with credentials for ${locked.host} from image_pull_secrets)`,
    );
    expect(`${cError}\n${c.logs.text('tool')}`).not.toContain(WRONG_PASSWORD);

    // Repository D holds valid credentials: one manifest request by digest proves it, no layer is fetched.
    const from = locked.requests.length;
    const d = await inspecting.run(toolStage(image.reference, 'never', ['creds']), {
      secrets: creds(PASSWORD),
    });
    expect(outcomes(d.result)).toEqual({ tool: 'success' });
    expect(d.containers).toHaveLength(1);
    expect(d.logs.text('tool')).toBe(
      `drone-gogs: ${asking} as ${USER}\n+ cat /etc/tool-release\nprivate/cached 1`,
    );
    const checked = since(locked, from).filter((request) => request.path !== '/v2/');
    expect(checked).toEqual([
      { method: 'GET', path: digest, user: USER },
      { method: 'GET', path: `/v2/private/cached/blobs/${image.imageId}`, user: USER },
    ]);

    // A trusted repository uses the cached image as is, without asking the registry.
    const before = locked.requests.length;
    const trusted = await inspecting.run(toolStage(image.reference, 'if-not-exists'), { trusted: true });
    expect(trusted.logs.text('tool')).toBe('+ cat /etc/tool-release\nprivate/cached 1');
    expect(locked.requests.length).toBe(before);

    // On an engine that is not shared (`drone-gogs exec` on a developer's machine), an untrusted run uses it as is.
    const own = createDockerRunner({ docker, logger: recordingLogger, options: { sharedImageCache: false } });
    const local = await runWith(own, instance, toolStage(image.reference, 'if-not-exists'));
    expect(outcomes(local.result)).toEqual({ tool: 'success' });
    expect(local.logs.text('tool')).toBe('+ cat /etc/tool-release\nprivate/cached 1');
    expect(locked.requests.length).toBe(before);
  });

  it('reuses a cached public image after one anonymous manifest request, without following a moved tag', async () => {
    const image = await push(open, 'team/cached', '1', 'team/cached 1');
    const stage = toolStage(image.reference, 'if-not-exists');
    expect(outcomes((await runWith(runner, instance, stage)).result)).toEqual({ tool: 'success' });
    await push(open, 'team/cached', '1', 'team/cached moved');
    const from = open.requests.length;
    const again = await runWith(runner, instance, stage);
    expect(outcomes(again.result)).toEqual({ tool: 'success' });
    expect(again.logs.text('tool').endsWith('\nteam/cached 1')).toBe(true);
    expect(since(open, from).filter((request) => request.path !== '/v2/')).toEqual([
      { method: 'GET', path: `/v2/team/cached/manifests/${image.manifestDigest}`, user: null },
      { method: 'GET', path: `/v2/team/cached/blobs/${image.imageId}`, user: null },
    ]);
  });
});
