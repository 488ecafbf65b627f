/**
 * A push Gogs failed to deliver, found by `drone-gogs hooks reconcile` run from the shell, becomes a build through
 * the same path as a delivered one: stored by that command's own store handle, picked up by the serving
 * sidecar's trigger on its next look (nothing nudges it), built on the push's own commit with git's changed files.
 */
import { afterEach, describe, expect, it } from 'vitest';
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
`;

describe('reconciled pushes', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  it('builds a push found by reconciliation in another store handle, once', async () => {
    // The double, like Gogs without LOCAL_NETWORK_ALLOWLIST, fails every delivery to the loopback sidecar.
    t = await startSidecarBesideGogs({
      gogs: { localNetworkAllowlist: [] },
      env: { ...NO_ENGINE, DRONE_GOGS_RECONCILE_GRACE_SECONDS: '0' },
    });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push(
      'master',
      { '.drone.yml': PIPELINE, 'src/main.go': 'package main\n' },
      'lost push',
    );
    expect(push.deliveries[0]?.error).not.toBeNull();

    const reconciled = await t.cli('hooks', 'reconcile');
    expect(reconciled.stdout).toContain(`recorded 1 missed push(es)\n  alice/app master ${push.sha}`);
    const delivery = await t.settled(`reconciled:${t.gogsRepoId}:master:${push.sha}`);
    expect(delivery).toMatchObject({ status: 'done', statusReason: 'build #1', synthetic: true });

    const { stores } = t.sidecar.services;
    const repo = await stores.repos.findByFullName('alice/app');
    const found = await stores.builds.find(repo?.id ?? 0, 1);
    expect(found?.build.origin).toMatchObject({
      event: 'push',
      ref: 'refs/heads/master',
      before: push.before,
      after: push.sha,
      source: 'master',
      target: 'master',
    });
    expect(found?.build.changedPaths?.sort()).toEqual(['.drone.yml', 'src/main.go']);
    expect(found?.stages.map((stage) => [stage.name, stage.status])).toEqual([['test', 'pending']]);

    // Reconciling again finds nothing new, and no second build is made.
    expect((await t.cli('hooks', 'reconcile')).stdout).toContain('recorded 0 missed push(es)');
    expect(await stores.builds.list(repo?.id ?? 0, { limit: 10 })).toHaveLength(1);
  });
});
