/** DRONE_* and CI_* variables from a build context (spec §9). */
import { describe, expect, it } from 'vitest';
import { buildEnvironment, type StageInfo, substitutionVariables } from '../../sidecar/pipeline/index.ts';
import { calverVariables, semverVariables } from '../../sidecar/pipeline/versions.ts';
import { context } from './support.ts';

const stage: StageInfo = {
  name: 'build',
  number: 2,
  kind: 'pipeline',
  type: 'docker',
  os: 'linux',
  arch: 'arm64',
  variant: '',
  rowVersion: 3,
  dependsOn: ['test', 'lint'],
  started: 0,
  finished: 0,
  failedSteps: [],
};

describe('buildEnvironment', () => {
  it('exports system, repository, build, stage and link variables for a push', () => {
    const base = context({
      repo: 'octo/app',
      branch: 'main',
      sha: 'abc123',
      buildNumber: 42,
      instance: 'ci.example.com',
    });
    const environment = buildEnvironment(
      {
        ...base,
        commit: {
          ...base.commit,
          before: '000',
          message: 'fix',
          author: { login: 'jo', name: 'Jo', email: 'jo@x', avatar: 'a.png' },
        },
      },
      stage,
    );
    expect(environment).toMatchObject({
      CI: 'true',
      DRONE: 'true',
      DRONE_SYSTEM_HOST: 'ci.example.com',
      DRONE_SYSTEM_HOSTNAME: 'ci.example.com',
      DRONE_SYSTEM_PROTO: 'http',
      DRONE_REPO: 'octo/app',
      DRONE_REPO_OWNER: 'octo',
      DRONE_REPO_NAMESPACE: 'octo',
      DRONE_REPO_NAME: 'app',
      DRONE_REPO_PRIVATE: 'false',
      DRONE_REPO_VISIBILITY: 'public',
      DRONE_REMOTE_URL: 'http://ci.example.com/octo/app.git',
      DRONE_GIT_HTTP_URL: 'http://ci.example.com/octo/app.git',
      CI_REPO: 'octo/app',
      CI_REPO_NAME: 'octo/app',
      DRONE_BRANCH: 'main',
      DRONE_SOURCE_BRANCH: 'main',
      DRONE_TARGET_BRANCH: 'main',
      DRONE_COMMIT: 'abc123',
      DRONE_COMMIT_SHA: 'abc123',
      DRONE_COMMIT_AFTER: 'abc123',
      DRONE_COMMIT_BEFORE: '000',
      DRONE_COMMIT_REF: 'refs/heads/main',
      DRONE_COMMIT_BRANCH: 'main',
      DRONE_COMMIT_MESSAGE: 'fix',
      DRONE_COMMIT_AUTHOR: 'jo',
      DRONE_COMMIT_AUTHOR_NAME: 'Jo',
      DRONE_COMMIT_AUTHOR_EMAIL: 'jo@x',
      DRONE_COMMIT_AUTHOR_AVATAR: 'a.png',
      DRONE_BUILD_NUMBER: '42',
      DRONE_BUILD_PARENT: '0',
      DRONE_BUILD_EVENT: 'push',
      DRONE_BUILD_STATUS: 'success',
      DRONE_BUILD_STARTED: '1700000000',
      DRONE_BUILD_TRIGGER: '@hook',
      DRONE_BUILD_LINK: 'http://ci.example.com/octo/app/42',
      CI_BUILD_NUMBER: '42',
      CI_COMMIT_SHA: 'abc123',
      DRONE_STAGE_NAME: 'build',
      DRONE_STAGE_NUMBER: '2',
      DRONE_STAGE_ARCH: 'arm64',
      DRONE_STAGE_VERSION: '3',
      DRONE_STAGE_DEPENDS_ON: 'test,lint',
      DRONE_STAGE_STATUS: 'success',
      DRONE_CARD_PATH: '/dev/stdout',
    });
    expect(environment).not.toHaveProperty('DRONE_TAG');
    expect(environment).not.toHaveProperty('DRONE_PULL_REQUEST');
  });

  it('adds the pull request number (first digits of the ref) and title', () => {
    const base = context({ event: 'pull_request', branch: 'main', sourceBranch: 'feature', pullRequest: 17 });
    const environment = buildEnvironment({ ...base, commit: { ...base.commit, title: 'Add login' } });
    expect(environment).toMatchObject({
      DRONE_PULL_REQUEST: '17',
      DRONE_PULL_REQUEST_TITLE: 'Add login',
      DRONE_COMMIT_REF: 'refs/pull/17/head',
      DRONE_SOURCE_BRANCH: 'feature',
      DRONE_TARGET_BRANCH: 'main',
      DRONE_BUILD_ACTION: 'opened',
    });
  });

  it('adds the tag with its semantic version for tag refs', () => {
    const environment = buildEnvironment(context({ event: 'tag', branch: 'v1.2.3-rc.1+build.5' }));
    expect(environment).toMatchObject({
      DRONE_TAG: 'v1.2.3-rc.1+build.5',
      DRONE_SEMVER: '1.2.3-rc.1+build.5',
      DRONE_SEMVER_MAJOR: '1',
      DRONE_SEMVER_MINOR: '2',
      DRONE_SEMVER_PATCH: '3',
      DRONE_SEMVER_PRERELEASE: 'rc.1',
      DRONE_SEMVER_BUILD: 'build.5',
      DRONE_SEMVER_SHORT: '1.2.3',
    });
  });

  it('reports a failing build and its failed stages', () => {
    const base = context();
    const environment = buildEnvironment(
      { ...base, build: { ...base.build, failedStages: ['test', 'lint'] } },
      {
        ...stage,
        failedSteps: ['vet'],
      },
    );
    expect(environment).toMatchObject({
      DRONE_BUILD_STATUS: 'failure',
      DRONE_FAILED_STAGES: 'test,lint',
      DRONE_STAGE_STATUS: 'failure',
      DRONE_FAILED_STEPS: 'vet',
    });
  });

  it('lets build parameters and runner variables be substituted, parameters last', () => {
    const base = context();
    const variables = substitutionVariables(
      {
        ...base,
        runner: { name: 'r1', environ: { REGION: 'eu', DRONE_BRANCH: 'runner' } },
        build: { ...base.build, params: { REGION: 'us' } },
      },
      stage,
    );
    expect(variables).toMatchObject({ REGION: 'us', DRONE_BRANCH: 'master', DRONE_STAGE_MACHINE: 'r1' });
  });
});

describe('versions of a tag', () => {
  it('semver with a leading v, or the parse error', () => {
    expect(semverVariables('v2.0.0')).toEqual({
      DRONE_SEMVER: '2.0.0',
      DRONE_SEMVER_MAJOR: '2',
      DRONE_SEMVER_MINOR: '0',
      DRONE_SEMVER_PATCH: '0',
      DRONE_SEMVER_SHORT: '2.0.0',
    });
    expect(semverVariables('this is an invalid version')).toEqual({
      DRONE_SEMVER_ERROR: 'this is an invalid version is not in dotted-tri format',
    });
    expect(semverVariables('1.2.x')).toEqual({
      DRONE_SEMVER_ERROR: 'strconv.ParseInt: parsing "x": invalid syntax',
    });
  });

  it('calver when the first part looks like a year', () => {
    expect(calverVariables('v19.1.0-beta.20190318')).toEqual({
      DRONE_CALVER: '19.1.0-beta.20190318',
      DRONE_CALVER_MAJOR_MINOR: '19.1',
      DRONE_CALVER_MAJOR: '19',
      DRONE_CALVER_MINOR: '1',
      DRONE_CALVER_MICRO: '0',
      DRONE_CALVER_MODIFIER: 'beta.20190318',
      DRONE_CALVER_SHORT: '19.1.0',
    });
    expect(calverVariables('2019.01.0002')).toMatchObject({
      DRONE_CALVER: '2019.01.0002',
      DRONE_CALVER_SHORT: '2019.01.0002',
    });
    for (const notCalver of ['1.2.3', '1.2', '1', '0.12.1', 'foo.bar'])
      expect(calverVariables(notCalver)).toEqual({});
  });
});
