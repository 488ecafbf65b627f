import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { hookSecretPlace } from '../../sidecar/core/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const body = fixtureBytes('push_signed.json');
const headers = fixtureJson<Record<string, string>>('push_signed.headers.json');

describe('drone-gogs serve, as a real process', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let sidecar: SidecarProcess | undefined;
  afterEach(async () => {
    await sidecar?.kill().catch(() => {});
    sidecar = undefined;
    await dir.remove();
  });

  it('starts with zero configuration, says where it listens and what it uses, answers /healthz', async () => {
    dir = await makeTempDir();
    sidecar = await startSidecarProcess({ cwd: dir.path });
    const health = await fetch(`${sidecar.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect(sidecar.output()).toContain(`data dir: ${join(dir.path, 'data')}`);
    expect(sidecar.output()).toMatch(/generated a new secret key in .*secret\.key/);
    expect((await stat(join(dir.path, 'data', 'secret.key'))).mode & 0o777).toBe(0o600);
    expect(await sidecar.stop()).toBe(0);
  });

  it('keeps answering when no Docker engine does, and says what to check', async () => {
    dir = await makeTempDir();
    sidecar = await startSidecarProcess({
      cwd: dir.path,
      env: { DRONE_GOGS_DOCKER_HOST: `unix://${join(dir.path, 'no-docker.sock')}` },
    });
    expect((await fetch(`${sidecar.url}/healthz`)).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (!sidecar.output().includes('Docker engine does not answer') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sidecar.output()).toMatch(
      /runner: Docker engine does not answer; no new stages go there engine=local error="connect ENOENT .*no-docker\.sock" fix="check that dockerd runs \(the local socket by default\) or set DRONE_GOGS_DOCKER_HOST"/,
    );
    expect(await sidecar.stop()).toBe(0);
  });

  it('keeps a delivery it answered 202 for, even when killed right after answering', async () => {
    dir = await makeTempDir();
    const dataDir = join(dir.path, 'data');
    const url = pathToFileURL(join(dataDir, 'drone-gogs.db')).href;
    const secretKey = 'ab'.repeat(32);
    const cipher = createSecretCipher(Buffer.from(secretKey, 'hex'));
    const seed = await openStores({ url });
    const repo = await seed.repos.upsertFacts(repoFacts('maarten/webhook-test', 6));
    await seed.repos.update(repo.id, {
      active: true,
      hookSecret: cipher.encrypt('letmein', hookSecretPlace(6)),
    });
    await seed.close();

    const env = { DRONE_GOGS_DATA_DIR: dataDir, DRONE_GOGS_SECRET_KEY: secretKey };
    sidecar = await startSidecarProcess({ cwd: dir.path, env });
    const answer = await fetch(`${sidecar.url}/hook`, { method: 'POST', body, headers });
    expect(answer.status).toBe(202);
    await sidecar.kill();

    const afterCrash = await openStores({ url, migrate: false });
    const stored = await afterCrash.deliveries.findByDeliveryId(headers['X-Gogs-Delivery']!);
    await afterCrash.close();
    expect(stored?.body).toBe(body.toString('utf8'));

    sidecar = await startSidecarProcess({ cwd: dir.path, env });
    const again = await fetch(`${sidecar.url}/hook`, { method: 'POST', body, headers });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    expect(await sidecar.stop()).toBe(0);
  });
});
