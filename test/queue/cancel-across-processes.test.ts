/**
 * A build running in one `drone-gogs serve` process, cancelled by `drone-gogs build cancel` in another (this test's
 * process, on the same database file): the serve process learns it from the database alone, stops the stage and
 * removes its containers, and what the cancel wrote stays. Real processes, the real dockerd, the Gogs test double.
 */
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { createTestDocker, leftovers } from '../support/docker.ts';
import { type GogsForServe, startGogsForServe } from '../support/gogs-for-serve.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { runCommand } from '../support/run-command.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';
import { poll } from '../support/stored-builds.ts';

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

describe('a build cancelled from another process', () => {
  let t: GogsForServe;
  let client: Client;
  let sidecar: SidecarProcess | undefined;
  beforeAll(() => ensureBusyboxImage());
  afterEach(async () => {
    client.close();
    await sidecar?.stop();
    await t.dispose();
  });

  it('is stopped by the serve process that runs it, its containers removed', async () => {
    t = await startGogsForServe();
    sidecar = await startSidecarProcess({ cwd: t.dir.path, env: t.env });
    expect((await t.enable(`${sidecar.url}/hook`)).code).toBe(0);
    await t.push({ '.drone.yml': PIPELINE }, 'ci');
    client = createClient({ url: t.databaseUrl });
    const instance = await poll(async () => {
      const row = (
        await client.execute(
          "select stages.claimed_by from steps join stages on stages.id = steps.stage_id where steps.name = 'long' and steps.status = 'running'",
        )
      ).rows[0];
      return row === undefined ? undefined : String(row.claimed_by);
    });
    const docker = createTestDocker();
    const [container] = await poll(async () => {
      const left = await leftovers(docker, instance, '1');
      return left.containers.length > 0 ? left.containers : undefined;
    });

    const cancelled = await runCommand(runCli, ['build', 'cancel', 'alice/app', '1'], {
      cwd: t.dir.path,
      env: t.env,
    });
    expect(cancelled).toMatchObject({
      code: 0,
      stdout: 'build #1 of alice/app cancelled; it is killed\n  1 default: killed\n',
    });
    await poll(async () => {
      const left = await leftovers(docker, instance, '1');
      return left.containers.length + left.networks.length + left.volumes.length === 0 ? true : undefined;
    });
    await expect(docker.getContainer(container ?? '').inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(sidecar.output()).toContain('queue: stopping a stage that is no longer running in the database');

    const build = (await client.execute('select status, error from builds')).rows[0];
    expect(build).toMatchObject({ status: 'killed', error: null });
    expect((await client.execute('select status from stages')).rows.map((row) => row.status)).toEqual([
      'killed',
    ]);
    const steps = await client.execute('select name, status, exit_code from steps order by number');
    expect(steps.rows.map((row) => [row.name, row.status])).toEqual([
      ['clone', 'success'],
      ['long', 'killed'],
    ]);
  }, 120_000);
});
