/**
 * A push runs: the sidecar beside the Gogs test double and the real dockerd, the build's stages claimed from the
 * database, cloned from the double's git, run in containers, every step and log stored. Read back from the store.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BuildWithStages } from '../../sidecar/core/index.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const runFile = promisify(execFile);

const pipeline = (first: string) => `kind: pipeline
type: docker
name: test

steps:
- name: check
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands:
  - cat version.txt
  - echo "build \${DRONE_BUILD_NUMBER} of \${DRONE_REPO} at \${DRONE_COMMIT_SHA:0:8}"
  - ${first}

---
kind: pipeline
type: docker
name: after
depends_on: [test]

steps:
- name: report
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands: [echo the tests passed]
`;

describe('builds run', () => {
  let t: SidecarBesideGogs;
  beforeAll(() => ensureBusyboxImage());
  afterEach(() => t.dispose());

  const repoId = async () => (await t.sidecar.services.stores.repos.findByFullName('alice/app'))?.id ?? 0;
  /** Waits until build `number` has a final status (the stage worker runs in the sidecar). */
  const finished = async (number: number): Promise<BuildWithStages> => {
    const final = new Set(['success', 'failure', 'error', 'killed', 'skipped', 'declined']);
    for (;;) {
      const found = await t.sidecar.services.stores.builds.find(await repoId(), number);
      if (found !== null && final.has(found.build.status)) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** The stored log of a step, found by its row: build and stage by number, the step by name. */
  const logOf = async (build: number, stage: number, step: string) => {
    const found = await t.sidecar.services.stores.builds.find(await repoId(), build);
    const row = found?.stages.find((each) => each.number === stage)?.steps.find((each) => each.name === step);
    if (row === undefined) throw new Error(`build ${build} has no step ${step} in stage ${stage}`);
    return (await t.sidecar.services.stores.logs.read(row.id)).map((line) => line.text);
  };

  it('runs a push on its commit: clone, steps in order, logs stored, the dependent stage after', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push(
      'master',
      { '.drone.yml': pipeline("printf '\\033[31mred\\033[0m\\n'; echo done"), 'version.txt': 'v42\n' },
      'add ci',
    );
    await t.settled(push.deliveries[0]?.id ?? '');
    const { build, stages } = await finished(1);

    expect(build.status).toBe('success');
    expect(build.startedAt).toBeGreaterThan(0);
    expect(build.finishedAt).toBeGreaterThanOrEqual(build.startedAt);
    expect(stages.map((stage) => [stage.name, stage.status])).toEqual([
      ['test', 'success'],
      ['after', 'success'],
    ]);
    const [test, after] = stages;
    expect(test?.steps.map((step) => [step.number, step.name, step.status, step.exitCode])).toEqual([
      [1, 'clone', 'success', 0],
      [2, 'check', 'success', 0],
    ]);
    expect(after?.startedAt).toBeGreaterThanOrEqual(test?.finishedAt ?? Number.POSITIVE_INFINITY);
    expect(test?.machine).not.toBe('');
    expect(await logOf(1, 1, 'check')).toEqual(
      expect.arrayContaining(['v42', `build 1 of alice/app at ${push.sha.slice(0, 8)}`, 'done']),
    );
    expect(await logOf(1, 2, 'report')).toEqual(expect.arrayContaining(['the tests passed']));

    // What ran: the imported test image has no registry digest, so each step names its image id, with the engine.
    const imageId = (
      await runFile('docker', ['image', 'inspect', '--format', '{{.Id}}', BUSYBOX_IMAGE])
    ).stdout.trim();
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(test?.steps.map((step) => [step.name, step.digest])).toEqual([
      ['clone', ''],
      ['check', imageId],
    ]);
    const info = await t.cli('build', 'info', 'alice/app', '1', '--json');
    expect(JSON.parse(info.stdout).provenance.steps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stage: 1, name: 'check', digest: imageId, machine: test?.machine }),
        expect.objectContaining({ stage: 2, name: 'report', digest: imageId, machine: after?.machine }),
      ]),
    );

    // The same log through the CLI, with the escape sequence the step printed shown, not sent to the terminal.
    const viewed = await t.cli('log', 'view', 'alice/app', '1', '1', '2', '--follow');
    expect(viewed.code).toBe(0);
    expect(viewed.stdout.split('\n')).toEqual(
      expect.arrayContaining(['v42', 'done', '\\u001b[31mred\\u001b[0m']),
    );
    expect(viewed.stdout).not.toContain('\u001b');
    const missing = await t.cli('log', 'view', 'alice/app', '1', '1', '9');
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'drone-gogs: stage 1 of build #1 has no step 9 (yet)\n',
    });
  });

  it('fails the build with the step that failed, and skips the stage that needs it to pass', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push(
      'master',
      { '.drone.yml': pipeline('exit 3'), 'version.txt': 'v1\n' },
      'break it',
    );
    await t.settled(push.deliveries[0]?.id ?? '');
    const { build, stages } = await finished(1);
    expect(build.status).toBe('failure');
    expect(stages.map((stage) => [stage.name, stage.status, stage.exitCode])).toEqual([
      ['test', 'failure', 3],
      ['after', 'skipped', 0],
    ]);
    expect(stages[0]?.steps.find((step) => step.name === 'check')).toMatchObject({
      status: 'failure',
      exitCode: 3,
    });
    expect(stages[1]?.steps).toEqual([]);
    const feed = await t.sidecar.services.stores.changes.after(0, 1000);
    expect(feed.filter((entry) => entry.kind === 'build').map((entry) => entry.detail)).toEqual([
      'pending',
      'running',
      'failure',
    ]);
    expect(feed.some((entry) => entry.kind === 'step' && entry.detail === 'failure')).toBe(true);
  });
});
