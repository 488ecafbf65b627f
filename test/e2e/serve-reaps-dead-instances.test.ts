/**
 * `serve` at start removes what dead instances left on the Docker engine (real dockerd): a sidecar that stopped
 * beating, one that stopped cleanly and an `exec` run of this host whose process is gone. What it cannot judge
 * (an id it has never seen) stays.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStores } from '../../sidecar/store/index.ts';
import { createTestDocker, LABEL_INSTANCE, leftovers, removeInstanceResources } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const docker = createTestDocker();
const tag = randomBytes(4).toString('hex');
const host = hostname();
/** A pid no process has: above the kernel's pid_max default range. */
const DEAD_PID = 4_194_000;
const owners = {
  staleSidecar: `serve-${host}-101-${tag}`,
  stoppedSidecar: `serve-${host}-102-${tag}`,
  deadExec: `exec-${host}-${DEAD_PID}-${tag}`,
  liveExec: `exec-${host}-${process.pid}-${tag}`,
  stranger: `serve-elsewhere-7-${tag}`,
};

async function leaveResources(instance: string, image: string): Promise<void> {
  const Labels = { [LABEL_INSTANCE]: instance, 'io.drone-gogs.build': '1', 'io.drone-gogs.stage': '1' };
  await docker.createNetwork({ Name: `reap-${instance}`, Labels });
  await docker.createVolume({ Name: `reap-${instance}`, Labels });
  const container = await docker.createContainer({ Image: image, Cmd: ['sleep', '600'], Labels });
  await container.start();
}

describe('drone-gogs serve reaps what dead instances left on the engine', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let sidecar: SidecarProcess | undefined;

  beforeAll(async () => {
    dir = await makeTempDir();
    const image = await ensureBusyboxImage();
    for (const owner of Object.values(owners)) await leaveResources(owner, image);
    const stores = await openStores({ url: pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href });
    const now = Date.now();
    await stores.instances.register({ id: owners.staleSidecar, hostname: host, pid: 101 }, now - 3_600_000);
    await stores.instances.register({ id: owners.stoppedSidecar, hostname: host, pid: 102 }, now - 1_000);
    await stores.instances.stop(owners.stoppedSidecar, now - 500);
    await stores.close();
  });

  afterAll(async () => {
    await sidecar?.kill().catch(() => {});
    for (const owner of Object.values(owners)) await removeInstanceResources(docker, owner);
    await dir.remove();
  });

  it('removes containers, networks and volumes of dead owners only, and records its own life', async () => {
    sidecar = await startSidecarProcess({
      cwd: dir.path,
      env: { DRONE_GOGS_DATA_DIR: join(dir.path, 'data') },
    });
    const gone = async (owner: string) => {
      const left = await leftovers(docker, owner);
      return left.containers.length + left.networks.length + left.volumes.length === 0;
    };
    const deadline = Date.now() + 30_000;
    while (
      !(
        (await gone(owners.staleSidecar)) &&
        (await gone(owners.stoppedSidecar)) &&
        (await gone(owners.deadExec))
      )
    ) {
      if (Date.now() > deadline) throw new Error(`dead instances not reaped:\n${sidecar.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const owner of [owners.liveExec, owners.stranger]) {
      const left = await leftovers(docker, owner);
      expect(left.containers).toHaveLength(1);
      expect(left.networks).toEqual([`reap-${owner}`]);
      expect(left.volumes).toEqual([`reap-${owner}`]);
    }
    expect(sidecar.output()).toContain(owners.staleSidecar);
    expect(await sidecar.stop()).toBe(0);

    const stores = await openStores({ url: pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href });
    const rows = await stores.instances.list();
    await stores.close();
    const own = rows.find((row) => row.pid === sidecar!.child.pid);
    expect(own?.id).toMatch(new RegExp(`^serve-${host}-${sidecar.child.pid}-[0-9a-f]{8}$`));
    expect(own?.stoppedAt).toBeGreaterThan(0);
  });
});
