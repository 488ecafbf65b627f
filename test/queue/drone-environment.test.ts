/**
 * The DRONE_* variables a step gets are complete for each event (push, tag, pull request), as Drone's runner
 * sets them (../shared/reference/drone-yaml-spec.md §9), with the values of the build that runs: read from the
 * step container's environment in the engine while it runs, not from its log.
 */
import type Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BuildWithStages } from '../../sidecar/core/index.ts';
import { createTestDocker } from '../support/docker.ts';
import { environmentOf, HOLD_COMMAND, heldContainer, release } from '../support/held-step.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const PIPELINE = `kind: pipeline
type: docker
name: env

steps:
- name: look
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands:
  - ${HOLD_COMMAND}
`;

/** Every event: the spec's System, Repository, Build/commit, Stage, Step and Workspace variables. */
const ALWAYS = [
  'CI',
  'DRONE',
  'DRONE_SYSTEM_PROTO',
  'DRONE_SYSTEM_HOST',
  'DRONE_SYSTEM_HOSTNAME',
  'DRONE_SYSTEM_VERSION',
  'DRONE_REPO',
  'DRONE_REPO_OWNER',
  'DRONE_REPO_NAMESPACE',
  'DRONE_REPO_NAME',
  'DRONE_REPO_LINK',
  'DRONE_REPO_BRANCH',
  'DRONE_REPO_SCM',
  'DRONE_REPO_VISIBILITY',
  'DRONE_REPO_PRIVATE',
  'DRONE_REMOTE_URL',
  'DRONE_GIT_HTTP_URL',
  'DRONE_GIT_SSH_URL',
  'DRONE_BRANCH',
  'DRONE_COMMIT_BRANCH',
  'DRONE_TARGET_BRANCH',
  'DRONE_SOURCE_BRANCH',
  'DRONE_COMMIT',
  'DRONE_COMMIT_SHA',
  'DRONE_COMMIT_AFTER',
  'DRONE_COMMIT_REF',
  'DRONE_COMMIT_LINK',
  'DRONE_COMMIT_MESSAGE',
  'DRONE_COMMIT_AUTHOR',
  'DRONE_COMMIT_AUTHOR_NAME',
  'DRONE_COMMIT_AUTHOR_EMAIL',
  'DRONE_COMMIT_AUTHOR_AVATAR',
  'DRONE_BUILD_NUMBER',
  'DRONE_BUILD_PARENT',
  'DRONE_BUILD_EVENT',
  'DRONE_BUILD_STATUS',
  'DRONE_BUILD_DEBUG',
  'DRONE_BUILD_CREATED',
  'DRONE_BUILD_STARTED',
  'DRONE_BUILD_FINISHED',
  'DRONE_BUILD_TRIGGER',
  'DRONE_BUILD_LINK',
  'DRONE_STAGE_KIND',
  'DRONE_STAGE_TYPE',
  'DRONE_STAGE_NAME',
  'DRONE_STAGE_NUMBER',
  'DRONE_STAGE_MACHINE',
  'DRONE_STAGE_OS',
  'DRONE_STAGE_ARCH',
  'DRONE_STAGE_STATUS',
  'DRONE_STAGE_STARTED',
  'DRONE_STAGE_FINISHED',
  'DRONE_STEP_NAME',
  'DRONE_STEP_NUMBER',
  'DRONE_WORKSPACE',
  'DRONE_WORKSPACE_BASE',
  'DRONE_DOCKER_NETWORK_ID',
  'DRONE_DOCKER_VOLUME_ID',
];
/**
 * Empty for these builds, and so not passed at all (Drone's runner drops variables with empty values): no action
 * on a push, no promotion target, no platform variant, no stage dependency, the default workspace path.
 */
const EMPTY_HERE = [
  'DRONE_BUILD_ACTION',
  'DRONE_DEPLOY_TO',
  'DRONE_STAGE_VARIANT',
  'DRONE_STAGE_DEPENDS_ON',
  'DRONE_WORKSPACE_PATH',
];
const PULL_REQUEST_ONLY = ['DRONE_PULL_REQUEST', 'DRONE_PULL_REQUEST_TITLE'];
const TAG_ONLY = [
  'DRONE_TAG',
  'DRONE_SEMVER',
  'DRONE_SEMVER_MAJOR',
  'DRONE_SEMVER_MINOR',
  'DRONE_SEMVER_PATCH',
];
/** Never given to a step: the clone credentials, and what only the script itself may see. */
const NEVER = ['DRONE_NETRC_PASSWORD', 'DRONE_NETRC_USERNAME', 'DRONE_NETRC_FILE'];

describe('DRONE_* variables of a step', () => {
  let t: SidecarBesideGogs;
  let docker: Docker;
  beforeAll(async () => {
    await ensureBusyboxImage();
    docker = createTestDocker();
  });
  afterEach(() => t.dispose());

  const stored = async (number: number): Promise<BuildWithStages> => {
    const repo = await t.sidecar.services.stores.repos.findByFullName('alice/app');
    for (;;) {
      const found = await t.sidecar.services.stores.builds.find(repo?.id ?? 0, number);
      if (found?.stages[0]?.claimedBy) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** The environment of build `number`'s held step, read from the engine; the step is then let go. */
  const environmentOfBuild = async (number: number) => {
    const { stages } = await stored(number);
    const container = await heldContainer(docker, [
      `io.drone-gogs.instance=${stages[0]?.claimedBy}`,
      `io.drone-gogs.build=${number}`,
      'io.drone-gogs.step=look',
    ]);
    const environment = await environmentOf(container);
    await release(container);
    return environment;
  };
  const missing = (environment: Map<string, string>, names: string[]) =>
    names.filter((name) => !environment.has(name));

  it('gives a push, a tag and a pull request every variable of their event, with the build’s values', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');

    const push = await t.push('master', { '.drone.yml': PIPELINE }, 'add ci\n\nwith a body');
    const pushed = await environmentOfBuild(1);
    expect(missing(pushed, [...ALWAYS, 'DRONE_COMMIT_BEFORE'])).toEqual([]);
    const absent = [...EMPTY_HERE, ...PULL_REQUEST_ONLY, ...TAG_ONLY, ...NEVER];
    expect(missing(pushed, absent)).toEqual(absent);
    expect(Object.fromEntries(pushed)).toMatchObject({
      CI: 'true',
      DRONE: 'true',
      DRONE_REPO: 'alice/app',
      DRONE_REPO_OWNER: 'alice',
      DRONE_REPO_NAME: 'app',
      DRONE_REPO_BRANCH: 'master',
      DRONE_BRANCH: 'master',
      DRONE_SOURCE_BRANCH: 'master',
      DRONE_TARGET_BRANCH: 'master',
      DRONE_COMMIT_SHA: push.sha,
      DRONE_COMMIT: push.sha,
      DRONE_COMMIT_AFTER: push.sha,
      DRONE_COMMIT_BEFORE: push.before,
      DRONE_COMMIT_REF: 'refs/heads/master',
      // As git keeps it and Gogs sends it, with its final newline.
      DRONE_COMMIT_MESSAGE: 'add ci\n\nwith a body\n',
      DRONE_COMMIT_AUTHOR: 'alice',
      DRONE_BUILD_NUMBER: '1',
      DRONE_BUILD_EVENT: 'push',
      DRONE_BUILD_STATUS: 'success',
      DRONE_STAGE_NAME: 'env',
      DRONE_STAGE_NUMBER: '1',
      DRONE_STEP_NAME: 'look',
      DRONE_STEP_NUMBER: '2',
    });
    expect(pushed.get('DRONE_BUILD_LINK')).toMatch(/\/alice\/app\/1$/);
    expect(pushed.get('DRONE_STAGE_MACHINE')).not.toBe('');

    const tag = await t.gogs.createTag({ owner: 'alice', name: 'app', tag: 'v1.2.3', message: 'release' });
    await t.settled(tag.deliveries[0]?.id ?? '');
    const tagged = await environmentOfBuild(2);
    expect(missing(tagged, [...ALWAYS, ...TAG_ONLY])).toEqual([]);
    // A tag has no commit before it (Gogs' create event names one commit).
    const notForTags = ['DRONE_COMMIT_BEFORE', ...PULL_REQUEST_ONLY, ...NEVER];
    expect(missing(tagged, notForTags)).toEqual(notForTags);
    expect(Object.fromEntries(tagged)).toMatchObject({
      DRONE_BUILD_EVENT: 'tag',
      DRONE_BUILD_ACTION: 'create',
      DRONE_COMMIT_SHA: push.sha,
      DRONE_COMMIT_REF: 'refs/tags/v1.2.3',
      DRONE_TAG: 'v1.2.3',
      DRONE_SEMVER: '1.2.3',
      DRONE_SEMVER_MAJOR: '1',
      DRONE_SEMVER_MINOR: '2',
      DRONE_SEMVER_PATCH: '3',
      DRONE_BUILD_NUMBER: '2',
    });

    const feature = await t.push('feature', { 'feature.txt': 'on' }, 'feature');
    const featureBuild = await environmentOfBuild(3);
    expect(featureBuild.get('DRONE_BRANCH')).toBe('feature');
    const opened = await t.gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'feature',
      title: 'Add the feature',
      author: 'bob',
    });
    await t.settled(opened.deliveries[0]?.id ?? '');
    const pull = await environmentOfBuild(4);
    expect(missing(pull, [...ALWAYS, ...PULL_REQUEST_ONLY])).toEqual([]);
    expect(missing(pull, [...TAG_ONLY, ...NEVER])).toEqual([...TAG_ONLY, ...NEVER]);
    expect(Object.fromEntries(pull)).toMatchObject({
      DRONE_BUILD_EVENT: 'pull_request',
      DRONE_BUILD_ACTION: 'opened',
      DRONE_PULL_REQUEST: '1',
      DRONE_PULL_REQUEST_TITLE: 'Add the feature',
      DRONE_COMMIT_SHA: feature.sha,
      DRONE_COMMIT_REF: 'refs/pull/1/head',
      DRONE_SOURCE_BRANCH: 'feature',
      DRONE_TARGET_BRANCH: 'master',
      DRONE_BRANCH: 'master',
    });
  });
});
