/**
 * `serve` killed with SIGKILL while a step runs, then a second `serve` on the same database. While the step's
 * container keeps running, the second takes the stage over, re-attaches to it, goes on storing the step's log
 * after the lines the first stored, and ends the stage and the build as a normal run would. When everything of
 * the stage is gone from the engine (restarted or pruned meanwhile), the stage is ended `error` with the reason
 * instead of staying `running`. Real processes, the real dockerd, the Gogs test double; checked in the database
 * file and on the engine.
 */
import { type Client, createClient } from '@libsql/client';
import type Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDocker, leftovers, removeInstanceResources } from '../support/docker.ts';
import { type GogsForServe, startGogsForServe } from '../support/gogs-for-serve.ts';
import { HOLD_COMMAND, heldContainer, release } from '../support/held-step.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';
import { poll } from '../support/stored-builds.ts';

const PIPELINE = `kind: pipeline
type: docker
name: default
steps:
- name: held
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands:
  - echo before-the-kill
  - '${HOLD_COMMAND}'
  - echo after-the-kill
`;

describe('a serve process killed mid-step', () => {
  let t: GogsForServe;
  let client: Client;
  const docker = createTestDocker();
  const sidecars: SidecarProcess[] = [];
  beforeAll(() => ensureBusyboxImage());
  afterEach(async () => {
    client.close();
    await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.stop()));
    await t.dispose();
  });

  /** The stored log of the step, line by line in stored order. */
  const storedLog = async (step: string) => {
    const rows = await client.execute({
      sql: 'select lines from step_log_chunks join steps on steps.id = step_log_chunks.step_id where steps.name = ? order by seq',
      args: [step],
    });
    return rows.rows.flatMap((row) => JSON.parse(String(row.lines)) as { number: number; text: string }[]);
  };
  const logHas = (text: string) => async () =>
    (await storedLog('held')).some((line) => line.text.includes(text)) ? true : undefined;
  const ended = () =>
    poll(async () => {
      const row = (await client.execute('select status from builds')).rows[0];
      return row?.status === 'running' || row?.status === 'pending' ? undefined : String(row?.status);
    });

  /**
   * Runs the held step under a first serve, kills that serve once the step's first line is stored (or stops it
   * with SIGTERM and no time for running stages: it leaves them running).
   */
  async function killMidStep(
    how: 'kill' | 'stop' = 'kill',
    beforeTheEnd: () => Promise<void> = async () => {},
  ): Promise<{ instance: string; container: Docker.Container }> {
    t = await startGogsForServe();
    const first = await startSidecarProcess({
      cwd: t.dir.path,
      env: { ...t.env, DRONE_GOGS_STOP_DEADLINE_SECONDS: '0' },
    });
    expect((await t.enable(`${first.url}/hook`)).code).toBe(0);
    await t.push({ '.drone.yml': PIPELINE }, 'ci');
    client = createClient({ url: t.databaseUrl });
    const instance = await poll(async () => {
      const row = (
        await client.execute(
          "select stages.claimed_by from steps join stages on stages.id = steps.stage_id where steps.name = 'held' and steps.status = 'running'",
        )
      ).rows[0];
      return row === undefined ? undefined : String(row.claimed_by);
    });
    const container = await heldContainer(docker, [`io.drone-gogs.instance=${instance}`]);
    await poll(logHas('before-the-kill'));
    await beforeTheEnd();
    if (how === 'kill') await first.kill();
    else expect(await first.stop()).toBe(0);
    return { instance, container };
  }

  it('has the stage re-attached by the next serve, which stores the rest of the log and ends it success', async () => {
    const { instance, container } = await killMidStep();
    sidecars.push(await startSidecarProcess({ cwd: t.dir.path, env: t.env }));
    const taker = await poll(async () => {
      const row = (await client.execute('select claimed_by from stages')).rows[0];
      return row?.claimed_by === instance ? undefined : String(row?.claimed_by);
    });
    expect(taker).toMatch(/^serve-/);
    // Only once the second process follows the step again does the step print its last line.
    await poll(logHas('following the step again'));
    expect((await container.inspect()).State.Running).toBe(true);
    await release(container);

    expect(await ended()).toBe('success');
    const [stage] = (await client.execute('select status, error, machine, claimed_by from stages')).rows;
    expect(stage).toMatchObject({ status: 'success', error: null, machine: 'local', claimed_by: taker });
    const steps = await client.execute('select name, status, exit_code from steps order by number');
    expect(steps.rows.map((row) => [row.name, row.status, row.exit_code])).toEqual([
      ['clone', 'success', 0],
      ['held', 'success', 0],
    ]);
    const log = await storedLog('held');
    const texts = log.map((line) => line.text);
    const before = texts.indexOf('before-the-kill');
    const note = texts.findIndex((text) => text.includes('following the step again'));
    expect(before).toBeGreaterThanOrEqual(0);
    expect(note).toBeGreaterThan(before);
    expect(texts.indexOf('after-the-kill')).toBeGreaterThan(note);
    // One numbering across both processes: no line numbered twice, none skipped.
    expect(log.map((line) => line.number)).toEqual(log.map((_, index) => index));
    await poll(async () => {
      const left = await leftovers(docker, instance);
      return left.containers.length + left.networks.length + left.volumes.length === 0 ? true : undefined;
    });
  }, 120_000);

  it('leaves its running stage on SIGTERM past the deadline, for the next serve to re-attach to and end', async () => {
    const { instance, container } = await killMidStep('stop');
    // Let go, not stopped: the step runs on, its stage still running in the database under the stopped instance.
    expect((await container.inspect()).State.Running).toBe(true);
    const row = async () => (await client.execute('select status, claimed_by from stages')).rows[0];
    expect(await row()).toMatchObject({ status: 'running', claimed_by: instance });
    const stopped = await client.execute({
      sql: 'select stopped_at from instances where id = ?',
      args: [instance],
    });
    expect(Number(stopped.rows[0]?.stopped_at)).toBeGreaterThan(0);
    const held = await client.execute("select status from steps where name = 'held'");
    expect(held.rows[0]?.status).toBe('running');

    sidecars.push(await startSidecarProcess({ cwd: t.dir.path, env: t.env }));
    await poll(async () => ((await row())?.claimed_by === instance ? undefined : true));
    await poll(logHas('following the step again'));
    await release(container);
    expect(await ended()).toBe('success');
    const texts = (await storedLog('held')).map((line) => line.text);
    expect(texts.indexOf('after-the-kill')).toBeGreaterThan(texts.indexOf('before-the-kill'));
  }, 120_000);

  it('has its stage taken over by a serve that runs beside it when it stops cleanly past the deadline', async () => {
    // The survivor starts once the first holds the stage, and is never restarted: its periodic recovery finds
    // the stage of an instance that said it stopped.
    const { instance, container } = await killMidStep('stop', async () => {
      sidecars.push(await startSidecarProcess({ cwd: t.dir.path, env: t.env }));
    });
    const taker = await poll(async () => {
      const row = (await client.execute('select claimed_by from stages')).rows[0];
      return row?.claimed_by === instance ? undefined : String(row?.claimed_by);
    });
    const live = await client.execute({
      sql: 'select stopped_at from instances where id = ?',
      args: [taker],
    });
    expect(Number(live.rows[0]?.stopped_at ?? 0)).toBe(0);
    await poll(logHas('following the step again'));
    await release(container);
    expect(await ended()).toBe('success');
    const steps = await client.execute('select name, status from steps order by number');
    expect(steps.rows.map((row) => [row.name, row.status])).toEqual([
      ['clone', 'success'],
      ['held', 'success'],
    ]);
    expect((await client.execute('select count(*) as n from stages')).rows[0]?.n).toBe(1);
  }, 120_000);

  it('has its stage ended with the reason by the next one when nothing of it is left to re-attach to', async () => {
    const { instance } = await killMidStep();
    await removeInstanceResources(docker, instance);
    sidecars.push(await startSidecarProcess({ cwd: t.dir.path, env: t.env }));
    // The stage is ended first, the build's status follows it.
    expect(await ended()).toBe('error');
    const stage = (await client.execute('select status, error from stages')).rows[0];
    expect(stage).toMatchObject({
      status: 'error',
      error: `the process running the stage (instance ${instance}) stopped, and nothing of the stage is left on the Docker engines that answer`,
    });
    const steps = await client.execute('select name, status from steps order by number');
    expect(steps.rows.map((row) => [row.name, row.status])).toEqual([
      ['clone', 'success'],
      ['held', 'error'],
    ]);
    expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
  }, 120_000);
});
