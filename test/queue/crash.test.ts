/**
 * `serve` killed with SIGKILL while a step runs, then started again on the same database: the stage is ended with
 * the reason instead of staying `running`, and what the dead process left on the engine is removed. Real
 * processes, the real dockerd, the Gogs test double; checked in the database file and on the engine.
 */
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDocker, leftovers } from '../support/docker.ts';
import { type GogsForServe, startGogsForServe } from '../support/gogs-for-serve.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';

const PIPELINE = `kind: pipeline
type: docker
name: default
steps:
- name: long
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands:
  - echo started
  - sleep 600
`;

async function until<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a serve process killed mid-step', () => {
  let t: GogsForServe;
  let client: Client;
  const sidecars: SidecarProcess[] = [];
  beforeAll(() => ensureBusyboxImage());
  afterEach(async () => {
    client.close();
    await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.stop()));
    await t.dispose();
  });

  it('has its stage ended with the reason by the next one, and its containers removed', async () => {
    t = await startGogsForServe();
    const { dir, env } = t;
    const first = await startSidecarProcess({ cwd: dir.path, env });
    const enabled = await t.enable(`${first.url}/hook`);
    expect(enabled.code).toBe(0);
    await t.push({ '.drone.yml': PIPELINE }, 'ci');
    client = createClient({ url: t.databaseUrl });
    const instance = await until(async () => {
      const row = (
        await client.execute(
          "select stages.claimed_by from steps join stages on stages.id = steps.stage_id where steps.name = 'long' and steps.status = 'running'",
        )
      ).rows[0];
      return row === undefined ? undefined : String(row.claimed_by);
    });
    // The step reports running before its container exists: wait for the container, so that the kill is mid-step.
    const docker = createTestDocker();
    await until(async () => ((await leftovers(docker, instance)).containers.length > 0 ? true : undefined));

    await first.kill();
    sidecars.push(await startSidecarProcess({ cwd: dir.path, env }));
    // The stage is ended first, the build's status follows it.
    await until(async () => {
      const row = (await client.execute('select status from builds')).rows[0];
      return row?.status === 'running' || row?.status === 'pending' ? undefined : true;
    });
    const stage = (await client.execute('select status, error from stages')).rows[0];
    expect(stage).toMatchObject({
      status: 'error',
      error: `the drone-gogs process that ran this stage (${instance}) stopped; its containers are removed`,
    });
    const steps = await client.execute('select name, status from steps order by number');
    expect(steps.rows.map((row) => [row.name, row.status])).toEqual([
      ['clone', 'success'],
      ['long', 'error'],
    ]);
    expect((await client.execute('select status from builds')).rows[0]?.status).toBe('error');
    await until(async () => {
      const left = await leftovers(docker, instance);
      return left.containers.length + left.networks.length + left.volumes.length === 0 ? true : undefined;
    });
  });
});
