/** The Drone-shaped view of builds created through the real store: Drone's json names, Drone's seconds, nothing internal. */
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { droneBuild, droneBuildDetail } from '../../sidecar/builds/index.ts';
import type { BuildOrigin, NewBuild, NewStage, Repo } from '../../sidecar/core/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

const COMMIT = 'c'.repeat(40);

const origin: BuildOrigin = {
  event: 'pull_request',
  action: 'opened',
  ref: 'refs/pull/7/head',
  source: 'feature',
  target: 'master',
  before: 'b'.repeat(40),
  after: COMMIT,
  message: 'add the thing',
  title: 'The thing',
  link: 'https://gogs.example.com/alice/app/pulls/7',
  authorLogin: 'bob',
  authorName: 'Bob',
  authorEmail: 'bob@example.com',
  authorAvatar: 'https://gogs.example.com/avatars/2',
  sender: 'carol',
  pullRequest: 7,
  fork: 'bob/app',
  params: { DEPLOY: 'yes' },
  cron: '',
  deployTo: 'staging',
};

const stage = (number: number, name: string): NewStage =>
  testStage(number, name, {
    error: number === 2 ? 'cannot pull' : null,
    arch: 'arm64',
    variant: 'v8',
    limit: 2,
    dependsOn: number === 1 ? [] : ['default'],
    onFailure: number === 2,
    labels: { region: 'eu' },
    steps: [
      testStep(1, 'clone', { image: 'drone/git' }),
      testStep(2, 'test', { detached: true, errIgnore: true, dependsOn: ['clone'] }),
    ],
  });

const CONFIG = 'kind: pipeline\nsteps:\n- name: test\n  image: golang:1.22\n';

const newBuild = (repoId: number, change: Partial<NewBuild> = {}): NewBuild =>
  testBuild(repoId, 'hook:delivery-secret-42:.drone.yml', {
    origin,
    status: 'running',
    config: CONFIG,
    changedPaths: ['internal/only.go'],
    stages: [stage(1, 'default'), stage(2, 'deploy')],
    ...change,
  });

const DRONE_BUILD_FIELDS = [
  'id',
  'repo_id',
  'trigger',
  'number',
  'parent',
  'status',
  'error',
  'event',
  'action',
  'link',
  'timestamp',
  'title',
  'message',
  'before',
  'after',
  'ref',
  'source_repo',
  'source',
  'target',
  'author_login',
  'author_name',
  'author_email',
  'author_avatar',
  'sender',
  'params',
  'cron',
  'deploy_to',
  'deploy_id',
  'debug',
  'started',
  'finished',
  'created',
  'updated',
  'version',
];
const DRONE_STAGE_FIELDS = [
  'id',
  'repo_id',
  'build_id',
  'number',
  'name',
  'kind',
  'type',
  'status',
  'error',
  'errignore',
  'exit_code',
  'machine',
  'os',
  'arch',
  'variant',
  'kernel',
  'limit',
  'throttle',
  'started',
  'stopped',
  'created',
  'updated',
  'version',
  'on_success',
  'on_failure',
  'depends_on',
  'labels',
  'steps',
];
const DRONE_STEP_FIELDS = [
  'id',
  'step_id',
  'number',
  'name',
  'status',
  'error',
  'errignore',
  'exit_code',
  'started',
  'stopped',
  'version',
  'depends_on',
  'image',
  'detached',
  'schema',
];

const sorted = (names: string[]) => [...names].sort();

describe('the Drone-shaped view of a build', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let client: Client;
  let repo: Repo;
  beforeEach(async () => {
    t = await openTestStores();
    client = createClient({ url: t.url });
    repo = await t.repos.upsertFacts({
      ...repoFacts('alice/app', 1),
      htmlUrl: 'https://gogs.example.com/alice/app',
    });
  });
  afterEach(async () => {
    client.close();
    await t.dispose();
  });

  /** What the runner will have written by the time a build ran: times, the engine, digests, exit codes. */
  const markRan = async (buildId: number) => {
    await client.batch([
      {
        sql: 'update builds set started_at = 1700000100999, finished_at = 1700000200001 where id = ?',
        args: [buildId],
      },
      {
        sql: "update stages set machine = 'docker-1', exit_code = 2, err_ignore = 1, started_at = 1700000101500, finished_at = 1700000150700 where build_id = ?",
        args: [buildId],
      },
      {
        sql: "update steps set digest = 'sha256:' || printf('%064d', number), exit_code = number - 1, error = case number when 2 then 'exit 1' end, started_at = 1700000102000, finished_at = 1700000103999 where build_id = ?",
        args: [buildId],
      },
    ]);
  };

  it("names every field as Drone's API does, counts in seconds and keeps what ran under provenance", async () => {
    const { build } = await t.builds.create(newBuild(repo.id));
    await markRan(build.id);
    const found = await t.builds.find(repo.id, build.number);
    if (found === null) throw new Error('the build was not stored');
    const view = droneBuildDetail(found, repo);

    expect(sorted(Object.keys(view))).toEqual(sorted([...DRONE_BUILD_FIELDS, 'stages', 'provenance']));
    for (const each of view.stages) expect(sorted(Object.keys(each))).toEqual(sorted(DRONE_STAGE_FIELDS));
    for (const each of view.stages.flatMap((s) => s.steps))
      expect(sorted(Object.keys(each))).toEqual(sorted(DRONE_STEP_FIELDS));

    const rows = await client.execute('select id, created_at, updated_at from builds');
    const stored = rows.rows[0] as unknown as { id: number; created_at: number; updated_at: number };
    expect(view).toMatchObject({
      id: stored.id,
      repo_id: repo.id,
      trigger: '@hook',
      number: 1,
      parent: 0,
      status: 'running',
      error: '',
      event: 'pull_request',
      action: 'opened',
      link: origin.link,
      title: 'The thing',
      message: 'add the thing',
      before: origin.before,
      after: COMMIT,
      ref: 'refs/pull/7/head',
      source_repo: 'bob/app',
      source: 'feature',
      target: 'master',
      author_login: 'bob',
      author_name: 'Bob',
      author_email: 'bob@example.com',
      author_avatar: origin.authorAvatar,
      sender: 'carol',
      params: { DEPLOY: 'yes' },
      deploy_to: 'staging',
      started: 1_700_000_100,
      finished: 1_700_000_200,
      created: Math.floor(stored.created_at / 1000),
      updated: Math.floor(stored.updated_at / 1000),
      version: 1,
    });
    expect(view.created).toBeLessThan(10_000_000_000);

    const stageRows = (await client.execute('select id, number from stages order by number')).rows;
    const [first, second] = view.stages;
    expect(first).toMatchObject({
      id: stageRows[0]?.id,
      repo_id: repo.id,
      build_id: stored.id,
      number: 1,
      name: 'default',
      kind: 'pipeline',
      type: 'docker',
      status: 'pending',
      error: '',
      errignore: true,
      exit_code: 2,
      machine: 'docker-1',
      os: 'linux',
      arch: 'arm64',
      variant: 'v8',
      limit: 2,
      started: 1_700_000_101,
      stopped: 1_700_000_150,
      on_success: true,
      on_failure: false,
      depends_on: [],
      labels: { region: 'eu' },
    });
    expect(second).toMatchObject({
      number: 2,
      name: 'deploy',
      error: 'cannot pull',
      depends_on: ['default'],
    });
    expect(second?.steps[1]).toMatchObject({
      step_id: stageRows[1]?.id,
      number: 2,
      name: 'test',
      status: 'pending',
      error: 'exit 1',
      errignore: true,
      exit_code: 1,
      started: 1_700_000_102,
      stopped: 1_700_000_103,
      depends_on: ['clone'],
      image: 'golang:1.22',
      detached: true,
    });

    const digest = (number: number) => `sha256:${String(number).padStart(64, '0')}`;
    expect(view.provenance).toEqual({
      commit: COMMIT,
      config_sha256: found.build.configSha256,
      steps: [1, 2].flatMap((stageNumber) => [
        {
          stage: stageNumber,
          number: 1,
          name: 'clone',
          image: 'drone/git',
          digest: digest(1),
          machine: 'docker-1',
        },
        {
          stage: stageNumber,
          number: 2,
          name: 'test',
          image: 'golang:1.22',
          digest: digest(2),
          machine: 'docker-1',
        },
      ]),
    });
    expect(view.provenance.config_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('carries nothing internal: no idempotency key, changed paths or pipeline file', async () => {
    const { build } = await t.builds.create(newBuild(repo.id));
    const found = await t.builds.find(repo.id, build.number);
    if (found === null) throw new Error('the build was not stored');
    const json = JSON.stringify(droneBuildDetail(found, repo));
    expect(json).not.toContain('delivery-secret-42');
    expect(json).not.toContain('internal/only.go');
    expect(json).not.toContain('kind: pipeline');
    expect(JSON.stringify(droneBuild(build, repo))).not.toContain('delivery-secret-42');
  });

  it("names Drone's trigger by where a build came from, and links builds without a link to their commit", async () => {
    const create = async (key: string, change: Partial<BuildOrigin>, parent = 0) =>
      (
        await t.builds.create(
          newBuild(repo.id, { idempotencyKey: key, origin: { ...origin, ...change }, parent, stages: [] }),
        )
      ).build;
    const push = await create('push', { event: 'push' });
    const cron = await create('cron', { event: 'cron', cron: 'nightly', sender: '' });
    const custom = await create('custom', { event: 'custom', link: '' });
    const restart = await create('restart', { event: 'push' }, push.number);
    const noCommit = await create('no-commit', { event: 'custom', link: '', after: '' });

    expect([push, cron, custom, restart].map((build) => droneBuild(build, repo).trigger)).toEqual([
      '@hook',
      '@cron',
      'carol',
      'carol',
    ]);
    expect(droneBuild(custom, repo).link).toBe(`https://gogs.example.com/alice/app/commit/${COMMIT}`);
    expect(droneBuild(custom, { htmlUrl: 'https://gogs.example.com/alice/app/' }).link).toBe(
      `https://gogs.example.com/alice/app/commit/${COMMIT}`,
    );
    expect(droneBuild(noCommit, repo).link).toBe('');
    expect(droneBuild(push, repo).link).toBe(origin.link);
    expect(droneBuild(restart, repo).parent).toBe(push.number);
    expect(droneBuild(cron, repo).cron).toBe('nightly');
  });
});
