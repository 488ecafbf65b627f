/**
 * Which engine a stage is claimed for, in a real `drone-gogs serve` with two engines from an engines file (both on
 * the real local dockerd, one labelled `disk: ssd`, one stage at a time each), beside the Gogs test double: a
 * stage asking for `node: { disk: ssd }` is claimed for the labelled engine and stored with its name, a stage that
 * no engine fits ends `error` saying so, and while the labelled engine is full its stages stay pending while a
 * stage that fits the other engine runs there. Checked in the database file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDocker } from '../support/docker.ts';
import { type GogsForServe, startGogsForServe } from '../support/gogs-for-serve.ts';
import { HOLD_COMMAND, heldContainer, release } from '../support/held-step.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';
import { poll } from '../support/stored-builds.ts';

function pipeline(name: string, node: string, commands: string[]): string {
  return `kind: pipeline
type: docker
name: ${name}
clone:
  disable: true
${node}
steps:
- name: work
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands: ${JSON.stringify(commands)}
`;
}

const PIPELINES = [
  pipeline('ssd-held', 'node:\n  disk: ssd', ['echo on ssd', HOLD_COMMAND]),
  pipeline('ssd-next', 'node:\n  disk: ssd', ['echo next on ssd']),
  pipeline('anywhere', '', ['echo anywhere']),
  pipeline('nowhere', 'node:\n  disk: nowhere', ['echo never']),
].join('---\n');

describe('stages claimed for the engine that fits them', () => {
  let t: GogsForServe;
  let client: Client;
  let sidecar: SidecarProcess | undefined;
  beforeAll(() => ensureBusyboxImage());
  afterEach(async () => {
    client.close();
    await sidecar?.stop();
    await t.dispose();
  });

  it('stores the fitting engine as machine, fails what fits none, and keeps a full engine’s stages pending', async () => {
    t = await startGogsForServe();
    const { dir, env } = t;
    await writeFile(
      join(dir.path, 'engines.json'),
      JSON.stringify({
        engines: [
          { name: 'plain', capacity: 1 },
          { name: 'labelled', capacity: 1, labels: { disk: 'ssd' } },
        ],
      }),
    );
    sidecar = await startSidecarProcess({
      cwd: dir.path,
      env: { ...env, DRONE_GOGS_ENGINES_FILE: 'engines.json' },
    });
    expect((await t.enable(`${sidecar.url}/hook`)).code).toBe(0);
    await t.push({ '.drone.yml': PIPELINES }, 'ci');
    client = createClient({ url: t.databaseUrl });
    const stages = async () =>
      Object.fromEntries(
        (await client.execute('select name, status, machine, error, claimed_by from stages')).rows.map(
          (row) => [
            String(row.name),
            { status: row.status, machine: row.machine, error: row.error, claimedBy: String(row.claimed_by) },
          ],
        ),
      );

    // The held ssd stage runs on the labelled engine; the stage that fits either runs on the other one meanwhile.
    await poll(async () => ((await stages()).anywhere?.status === 'success' ? true : undefined));
    const instance = (await stages())['ssd-held']?.claimedBy ?? '';
    const held = await heldContainer(createTestDocker(), [`io.drone-gogs.instance=${instance}`]);
    const meanwhile = await stages();
    expect(meanwhile['ssd-held']).toMatchObject({ status: 'running', machine: 'labelled' });
    expect(meanwhile.anywhere).toMatchObject({ status: 'success', machine: 'plain' });
    // The labelled engine is full: its next stage waits unclaimed instead of going to an engine that lacks the label.
    expect(meanwhile['ssd-next']).toMatchObject({ status: 'pending', machine: '', claimedBy: '' });
    expect(meanwhile.nowhere).toMatchObject({
      status: 'error',
      error: expect.stringMatching(
        /^no Docker engine for linux\/\w+ with labels disk=nowhere \(engines: plain linux\/\w+, labelled linux\/\w+\)$/,
      ),
    });

    await release(held);
    await poll(async () => ((await stages())['ssd-next']?.status === 'success' ? true : undefined));
    const after = await stages();
    expect(after['ssd-held']).toMatchObject({ status: 'success', machine: 'labelled' });
    expect(after['ssd-next']).toMatchObject({ status: 'success', machine: 'labelled' });
    const log = await client.execute(
      "select lines from step_log_chunks join steps on steps.id = step_log_chunks.step_id join stages on stages.id = steps.stage_id where stages.name = 'ssd-next'",
    );
    expect(log.rows.map((row) => String(row.lines)).join('')).toContain('next on ssd');
  });
});
