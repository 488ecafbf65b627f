/** The clone step: the exact commit of a private repository, with credentials kept out of containers and logs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDocker, leftovers, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import type { GogsDouble } from '../support/gogs-double/index.ts';
import { startGogsDouble } from '../support/gogs-double/index.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { createHarness, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const docker = createTestDocker();
const instance = testInstanceId('clone');
const harness = createHarness(instance);
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

describe('docker runner: clone step', () => {
  it('checks out the exact commit of a private repository without leaking the credentials', async () => {
    const { result, logs } = await harness.run(stageFrom(PIPELINE), {
      workspace: {
        kind: 'git',
        remote: cloneUrl,
        ref: 'refs/heads/master',
        sha: firstSha,
        credentials: { username: 'alice', password: PASSWORD },
      },
    });
    expect(outcomes(result)).toEqual({ clone: 'success', inspect: 'success' });
    const inspect = logs.text('inspect');
    expect(inspect).toContain('+ cat version.txt\none');
    expect(inspect).toContain('has-git');
    expect(inspect).toContain(`url = ${cloneUrl}`);
    const everything = [...logs.lines.keys()].map((step) => logs.text(step)).join('\n');
    expect(everything).toContain('+ git fetch --no-tags origin +refs/heads/master:');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
    expect(inspect).not.toMatch(/extraheader|authorization|GIT_CONFIG/i);
    expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
  });

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
