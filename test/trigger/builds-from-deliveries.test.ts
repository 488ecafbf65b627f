/**
 * Stored deliveries become builds: the sidecar beside the Gogs test double, enabled on alice/app, with pushes,
 * tags and pull requests made on the double's real git repositories. Builds are read from the database.
 */
import { createClient } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildWithStages } from '../../sidecar/core/index.ts';
import { NO_ENGINE, type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const PIPELINE = `kind: pipeline
type: docker
name: test

steps:
- name: test
  image: busybox
  commands: [echo test]
  when:
    paths: [src/**]

---
kind: pipeline
type: docker
name: deploy
depends_on: [test]
trigger:
  event: [tag]

steps:
- name: deploy
  image: busybox
  commands: [echo deploy]
`;

describe('builds from deliveries', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  const repoId = async () => (await t.sidecar.services.stores.repos.findByFullName('alice/app'))?.id ?? 0;
  const build = async (number: number): Promise<BuildWithStages> => {
    const found = await t.sidecar.services.stores.builds.find(await repoId(), number);
    if (found === null) throw new Error(`no build #${number}`);
    return found;
  };

  it('builds a push on its commit with the stages its trigger selects, the file kept by its hash', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push(
      'master',
      { '.drone.yml': PIPELINE, 'src/main.go': 'package main\n' },
      'add ci',
    );
    const delivery = await t.settled(push.deliveries[0]?.id ?? '');
    expect(delivery).toMatchObject({ status: 'done', statusReason: 'build #1' });

    const { build: first, stages } = await build(1);
    expect(first).toMatchObject({
      status: 'pending',
      idempotencyKey: `hook:${delivery.deliveryId}:.drone.yml`,
      origin: {
        event: 'push',
        ref: 'refs/heads/master',
        target: 'master',
        after: push.sha,
        message: 'add ci\n',
      },
    });
    expect(stages.map((stage) => [stage.number, stage.name, stage.status])).toEqual([[1, 'test', 'pending']]);
    expect(await t.sidecar.services.stores.builds.config(first.configSha256)).toBe(PIPELINE);
    expect(first.changedPaths?.sort()).toEqual(['.drone.yml', 'src/main.go']);
  });

  it('takes changed files from git, not from the payload, which Gogs cuts at FEED_MAX_COMMIT_NUM commits', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    await t.settled((await t.push('master', { '.drone.yml': PIPELINE }, 'add ci')).deliveries[0]?.id ?? '');
    const commits = Array.from({ length: 8 }, (_, index) => ({
      files: { [`src/file-${index}.go`]: `package main // ${index}\n` },
      message: `commit ${index}`,
    }));
    const push = await t.gogs.pushCommits({ owner: 'alice', name: 'app', branch: 'master', commits });
    await t.settled(push.deliveries[0]?.id ?? '');
    // What Gogs sent (the stored payload is dropped once processed).
    const payloadPaths = (
      JSON.parse(push.deliveries[0]?.payload ?? '{}') as { commits: { added: string[] }[] }
    ).commits.flatMap((commit) => commit.added);
    expect(payloadPaths.length).toBeLessThan(8);
    const { build: second } = await build(2);
    expect(second.changedPaths?.sort()).toEqual(commits.map((_, index) => `src/file-${index}.go`).sort());
  });

  it('builds a tag on the commit an annotated tag points to, and a pull request on its own head and file', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push('master', { '.drone.yml': PIPELINE }, 'add ci');
    await t.settled(push.deliveries[0]?.id ?? '');

    const tag = await t.gogs.createTag({
      owner: 'alice',
      name: 'app',
      tag: 'v1.0.0',
      message: 'release 1.0',
    });
    await t.settled(tag.deliveries[0]?.id ?? '');
    const tagged = await build(2);
    expect(tagged.build.origin).toMatchObject({ event: 'tag', ref: 'refs/tags/v1.0.0', after: push.sha });
    expect(tagged.stages.map((stage) => [stage.name, stage.status, stage.dependsOn])).toEqual([
      ['test', 'pending', []],
      ['deploy', 'waiting_on_dependencies', ['test']],
    ]);

    // The pull request's head changes the pipeline: its own file is read, not master's.
    const own = PIPELINE.replaceAll('test', 'checks');
    const feature = await t.push(
      'feature',
      { '.drone.yml': own, 'src/feature.go': 'package main\n' },
      'feature',
    );
    await t.settled(feature.deliveries[0]?.id ?? '');
    const opened = await t.gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'feature',
      title: 'A feature',
      author: 'bob',
    });
    await t.settled(opened.deliveries[0]?.id ?? '');
    const pulls = await t.sidecar.services.stores.builds.list(await repoId(), {
      limit: 1,
      event: 'pull_request',
    });
    const pull = await build(pulls[0]?.number ?? 0);
    expect(pull.build.origin).toMatchObject({
      event: 'pull_request',
      ref: 'refs/pull/1/head',
      after: feature.sha,
      source: 'feature',
      target: 'master',
      pullRequest: 1,
      title: 'A feature',
    });
    expect(pull.stages.map((stage) => stage.name)).toEqual(['checks']);
    expect(pull.build.changedPaths?.sort()).toEqual(['.drone.yml', 'src/feature.go']);
  });

  it('makes no build for [skip ci] or a missing file, and says why on the delivery', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const missing = await t.push('master', { 'a.txt': '1' }, 'no ci yet');
    expect((await t.settled(missing.deliveries[0]?.id ?? '')).statusReason).toMatch(
      /^no \.drone\.yml at [0-9a-f]{8}/,
    );
    const skipped = await t.push('master', { '.drone.yml': PIPELINE }, 'add ci [skip ci]');
    expect(await t.settled(skipped.deliveries[0]?.id ?? '')).toMatchObject({
      status: 'ignored',
      statusReason: 'skip-marker: the commit message says [skip ci]',
    });
    expect(await t.sidecar.services.stores.builds.list(await repoId(), { limit: 10 })).toEqual([]);
  });

  it('turns a broken file into an errored build carrying the message', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push(
      'master',
      { '.drone.yml': 'kind: pipeline\nsteps:\n- name: a\n  image: [\n' },
      'broken',
    );
    await t.settled(push.deliveries[0]?.id ?? '');
    const { build: errored, stages } = await build(1);
    expect(errored.status).toBe('error');
    expect(errored.error).toMatch(/^\.drone\.yml:\d+:\d+: /);
    expect(stages).toEqual([]);

    // A file over the limit is neither planned nor kept.
    const huge = `kind: pipeline\n# ${'x'.repeat(1024 * 1024)}\nsteps: []\n`;
    const big = await t.push('master', { '.drone.yml': huge }, 'huge');
    await t.settled(big.deliveries[0]?.id ?? '');
    const { build: refused } = await build(2);
    expect(refused).toMatchObject({
      status: 'error',
      error: '.drone.yml: the file is over the 1 MB limit',
      configSha256: '',
    });
  });

  it('creates one build when a delivery is processed again after a crash between building and settling', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push('master', { '.drone.yml': PIPELINE, 'src/a.go': 'a' }, 'add ci');
    const delivery = await t.settled(push.deliveries[0]?.id ?? '');
    expect(delivery.statusReason).toBe('build #1');
    // What a process that died after creating the build leaves behind: the delivery still to be processed, with
    // the payload that settling would have dropped.
    const client = createClient({ url: t.sidecar.services.config.database.url });
    try {
      await client.execute({
        sql: "update deliveries set status = 'pending', status_reason = null, body = ? where delivery_id = ?",
        args: [push.deliveries[0]?.payload ?? '', delivery.deliveryId],
      });
    } finally {
      client.close();
    }
    expect(await t.settled(delivery.deliveryId)).toMatchObject({
      status: 'done',
      statusReason: 'build #1 (created before)',
    });
    expect(
      (await t.sidecar.services.stores.builds.list(await repoId(), { limit: 10 })).map((each) => each.number),
    ).toEqual([1]);
  });
});
