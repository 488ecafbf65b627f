/** The clone step: the exact commit of a private repository, with credentials kept out of containers and logs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDocker, leftovers, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import type { GogsDouble } from '../support/gogs-double/index.ts';
import { startGogsDouble } from '../support/gogs-double/index.ts';
import {
  HOLD_COMMAND,
  heldContainer as heldContainerOf,
  release,
  streamBytes,
} from '../support/held-step.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { createHarness, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const docker = createTestDocker();
const instance = testInstanceId('clone');
const harness = createHarness(instance);
/** The same runner, but always checking out on the host and copying the checkout into the volume. */
const copying = createHarness(instance, { checkoutIntoVolume: false });
const PASSWORD = 'pa55-word-of-alice';
let gogs: GogsDouble;
let cloneUrl: string;
let firstSha: string;
let secondSha: string;

const PIPELINE = `
kind: pipeline
name: default
steps:
  - name: inspect
    image: ${IMAGE}
    commands:
      - cat version.txt
      - ls .git > /dev/null && echo has-git
      - cat .git/config
      - env | sort
`;
/** The same step, held running until the test has looked at its container from outside. */
const HELD_PIPELINE = `${PIPELINE}      - ${HOLD_COMMAND}
`;

const heldContainer = (step: string) =>
  heldContainerOf(docker, [`io.drone-gogs.instance=${instance}`, `io.drone-gogs.step=${step}`]);

beforeAll(async () => {
  await ensureBusyboxImage();
  gogs = await startGogsDouble();
  gogs.addUser({ username: 'alice', password: PASSWORD });
  ({ cloneUrl } = await gogs.createRepo({
    owner: 'alice',
    name: 'app',
    private: true,
    files: { 'README.md': 'hi' },
  }));
  firstSha = (
    await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'master',
      files: { 'version.txt': 'one' },
      message: 'one',
    })
  ).sha;
  secondSha = (
    await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'master',
      files: { 'version.txt': 'two' },
      message: 'two',
    })
  ).sha;
});
afterAll(async () => {
  await gogs?.close();
  await removeInstanceResources(docker, instance);
});

/** How many workspace-copy helpers the engine made for this file's instance since `since` (seconds). */
async function copyHelpersSince(since: number): Promise<number> {
  const events = await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: {
      type: ['container'],
      event: ['create'],
      label: [`io.drone-gogs.instance=${instance}`, 'io.drone-gogs.step=workspace'],
    },
  });
  return (await streamBytes(events))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '').length;
}

describe('docker runner: clone step', () => {
  // This machine's engine is local and its volumes are writable here (root): the checkout goes straight into the
  // volume. The copy is what a remote engine or a sidecar that is not root gets.
  it.each([
    { way: 'straight into the workspace volume', run: harness.run, copies: 0 },
    { way: 'on the host, copied into the volume', run: copying.run, copies: 1 },
  ])(
    'checks out the exact commit of a private repository $way without leaking the credentials',
    async ({ run, copies }) => {
      const since = Math.floor(Date.now() / 1000) - 1;
      const stage = stageFrom(HELD_PIPELINE);
      const running = run(stage, {
        workspace: {
          kind: 'git',
          remote: cloneUrl,
          ref: 'refs/heads/master',
          sha: firstSha,
          credentials: { username: 'alice', password: PASSWORD },
        },
      });
      // Unmasked evidence, read from the engine while the step runs: its environment, command, processes and
      // the whole workspace volume (.git/config and any credential file a clone could leave).
      const container = await heldContainer('inspect');
      const { Config, Args, Path } = await container.inspect();
      const { Processes } = await container.top({ ps_args: '-o pid,args' });
      const volume = await streamBytes(await container.getArchive({ path: stage.workspace.base }));
      await release(container);
      const { result, logs } = await running;

      const basic = Buffer.from(`alice:${PASSWORD}`).toString('base64');
      const workspace = volume.toString('latin1');
      const evidence = {
        env: (Config.Env ?? []).join('\n'),
        command: [Path, ...Args, ...(Config.Cmd ?? []), ...(Config.Entrypoint ?? [])].join(' '),
        processes: Processes.map((row: string[]) => row.join(' ')).join('\n'),
        workspace,
      };
      for (const [where, text] of Object.entries(evidence)) {
        expect({
          where,
          password: text.includes(PASSWORD),
          basic: text.includes(basic),
          header: /extraheader|authorization/i.test(text),
        }).toEqual({ where, password: false, basic: false, header: false });
      }
      const names = (Config.Env ?? []).map((variable) => variable.slice(0, variable.indexOf('=')));
      expect(names.filter((name) => /^(GIT_CONFIG|DRONE_NETRC_)/.test(name))).toEqual([]);
      // The evidence is real: the volume holds the checkout and its .git/config, the environment the step's.
      expect(workspace).toContain(`url = ${cloneUrl}`);
      expect(workspace).toContain('one');
      expect(evidence.env).toContain('DRONE_COMMIT_SHA=');
      expect(evidence.processes).toContain('/bin/sh');

      expect(outcomes(result)).toEqual({ clone: 'success', inspect: 'success' });
      const inspect = logs.text('inspect');
      expect(inspect).toContain('+ cat version.txt\none');
      expect(inspect).toContain('has-git');
      expect(inspect).toContain(`url = ${cloneUrl}`);
      const everything = [...logs.lines.keys()].map((step) => logs.text(step)).join('\n');
      expect(everything).toContain('+ git fetch --no-tags --end-of-options origin +refs/heads/master:');
      expect(everything).not.toContain(PASSWORD);
      expect(everything).not.toContain(basic);
      expect(inspect).not.toMatch(/extraheader|authorization|GIT_CONFIG/i);
      expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
      expect(await copyHelpersSince(since)).toBe(copies);
    },
    90_000,
  );

  it('checks out the head of the ref when no commit is given, also with a shallow clone', async () => {
    const { result, logs } = await harness.run(stageFrom(`${PIPELINE}clone:\n  depth: 1\n`), {
      workspace: {
        kind: 'git',
        remote: cloneUrl,
        ref: 'refs/heads/master',
        sha: '',
        credentials: { username: 'alice', password: PASSWORD },
      },
    });
    expect(outcomes(result)).toEqual({ clone: 'success', inspect: 'success' });
    expect(logs.text('inspect')).toContain('+ cat version.txt\ntwo');
    expect(logs.text('clone')).toContain('--depth=1');
    expect(secondSha).not.toBe(firstSha);
  });

  it('clone: skip_verify sends no credentials for an untrusted repository, and does for a trusted one', async () => {
    const yaml = `${PIPELINE}clone:\n  skip_verify: true\n`;
    const workspace = {
      kind: 'git' as const,
      remote: cloneUrl,
      ref: 'refs/heads/master',
      sha: firstSha,
      credentials: { username: 'alice', password: PASSWORD },
    };
    const untrusted = await harness.run(stageFrom(yaml), { workspace, trusted: false });
    expect(outcomes(untrusted.result)).toEqual({ clone: 'failure', inspect: 'skipped' });
    expect(untrusted.logs.text('clone')).toContain(
      'drone-gogs: clone without credentials: skip_verify needs a trusted repository to send them',
    );
    const trusted = await harness.run(stageFrom(yaml, { trusted: true }), { workspace, trusted: true });
    expect(outcomes(trusted.result)).toEqual({ clone: 'success', inspect: 'success' });
    expect(trusted.logs.text('clone')).not.toContain('without credentials');
  });

  it('fails the clone step, and so the stage, when the credentials are wrong', async () => {
    const { result, logs } = await harness.run(stageFrom(PIPELINE), {
      workspace: {
        kind: 'git',
        remote: cloneUrl,
        ref: 'refs/heads/master',
        sha: firstSha,
        credentials: { username: 'alice', password: 'wrong-password' },
      },
    });
    expect(result.outcome).toBe('failure');
    expect(outcomes(result)).toEqual({ clone: 'failure', inspect: 'skipped' });
    expect(logs.text('clone')).not.toContain('wrong-password');
    expect(logs.text('clone')).toContain(
      'drone-gogs: cannot prepare the workspace: git fetch exited with 128',
    );
  });
});
