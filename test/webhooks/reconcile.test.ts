import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../sidecar/core/index.ts';
import { normalizeGogsHook } from '../../sidecar/gogs/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { createReconciler } from '../../sidecar/webhooks/index.ts';
import { BLOCKED_LOCAL_ADDRESS_MESSAGE } from '../support/gogs-double/index.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

/** Gogs never retries: a delivery it could not make is only found by comparing branch heads. */
describe('reconciliation', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  // Gogs blocks loopback targets without LOCAL_NETWORK_ALLOWLIST: every delivery to the sidecar fails.
  const withFailingDeliveries = (env: Record<string, string> = {}) =>
    startSidecarBesideGogs({ gogs: { localNetworkAllowlist: [] }, env });
  const deliveries = () => t.sidecar.services.stores.deliveries.list({ limit: 100 });

  it('records a push Gogs failed to deliver as a synthetic push, once', async () => {
    t = await withFailingDeliveries({ DRONE_GOGS_RECONCILE_GRACE_SECONDS: '0' });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push('master', { x: '1' }, 'lost');
    expect(push.deliveries[0]!.error).toBe(BLOCKED_LOCAL_ADDRESS_MESSAGE);
    expect(await deliveries()).toEqual([]);

    const first = await t.cli('hooks', 'reconcile');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      `checked 1 repositories; recorded 1 missed push(es)\n  alice/app master ${push.sha}\n`,
    );
    const [synthetic] = await deliveries();
    expect(synthetic).toMatchObject({
      deliveryId: `reconciled:${t.gogsRepoId}:master:${push.sha}`,
      kind: 'push',
      ref: 'refs/heads/master',
      after: push.sha,
      synthetic: true,
    });
    // Stored for the trigger, which the serving sidecar beside it may already have begun.
    expect(['pending', 'processing', 'done', 'ignored']).toContain(synthetic?.status);
    // The body reads like a Gogs push, so the build trigger treats it like any other.
    const normalized = normalizeGogsHook('push', JSON.parse(synthetic!.body));
    expect(normalized).toMatchObject({
      outcome: 'event',
      event: {
        kind: 'push',
        before: push.before,
        after: push.sha,
        branch: 'master',
        repo: { fullName: 'alice/app' },
      },
    });

    expect((await t.cli('hooks', 'reconcile')).stdout).toBe(
      'checked 1 repositories; recorded 0 missed push(es)\n',
    );
    expect(await deliveries()).toHaveLength(1);
  });

  it('leaves alone what was delivered and what existed when the repository was enabled', async () => {
    t = await startSidecarBesideGogs({ env: { DRONE_GOGS_RECONCILE_GRACE_SECONDS: '0' } });
    await t.push('old', { o: '1' }, 'before enabling');
    await t.cli('repo', 'enable', 'alice/app');
    await t.push('master', { y: '1' }, 'delivered');
    expect((await t.cli('hooks', 'reconcile')).stdout).toBe(
      'checked 1 repositories; recorded 0 missed push(es)\n',
    );
    expect((await deliveries()).every((delivery) => !delivery.synthetic)).toBe(true);
  });

  it('waits for the grace period before calling a push missed (a slow Gogs queue may still deliver it)', async () => {
    t = await withFailingDeliveries();
    await t.cli('repo', 'enable', 'alice/app');
    const branch = await t.push('feature/x', { z: '1' }, 'new branch');
    let now = Date.now();
    const clock: Clock = { now: () => now };
    const { stores, gogs } = t.sidecar.services;
    const reconciler = createReconciler({
      gogs: gogs!,
      repos: stores.repos,
      deliveries: stores.deliveries,
      branchHeads: stores.branchHeads,
      clock,
      logger: silentLogger,
      graceMs: 60_000,
    });
    expect((await reconciler.runOnce()).synthesized).toEqual([]);
    const repo = await stores.repos.findByFullName('alice/app');
    expect(await stores.branchHeads.list(repo!.id)).toContainEqual(
      expect.objectContaining({ branch: 'feature/x', sha: branch.sha, status: 'pending' }),
    );
    now += 30_000;
    expect((await reconciler.runOnce()).synthesized).toEqual([]);
    now += 31_000;
    const report = await reconciler.runOnce();
    expect(report.synthesized).toEqual([
      {
        repo: 'alice/app',
        branch: 'feature/x',
        sha: branch.sha,
        deliveryId: `reconciled:${t.gogsRepoId}:feature/x:${branch.sha}`,
      },
    ]);
    const [synthetic] = await deliveries();
    expect(JSON.parse(synthetic!.body).before).toBe('0'.repeat(40));
  });

  it('runs by itself inside the serving sidecar, every interval', async () => {
    t = await startSidecarBesideGogs({
      gogs: { localNetworkAllowlist: [] },
      env: { DRONE_GOGS_RECONCILE_GRACE_SECONDS: '0', DRONE_GOGS_RECONCILE_INTERVAL_SECONDS: '1' },
    });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push('master', { w: '1' }, 'lost');
    const deadline = Date.now() + 10_000;
    while ((await deliveries()).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect((await deliveries()).map((delivery) => [delivery.after, delivery.synthetic])).toEqual([
      [push.sha, true],
    ]);
  });

  it('skips and reports branches whose name or head git would misread, and records the others', async () => {
    t = await withFailingDeliveries({ DRONE_GOGS_RECONCILE_GRACE_SECONDS: '0' });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push('master', { v: '1' }, 'lost');
    const commit = (id: string) => ({
      id,
      message: 'x\n',
      url: '',
      author: { name: 'A', email: 'a@example.com', username: 'alice' },
      committer: { name: 'A', email: 'a@example.com', username: 'alice' },
      timestamp: '2026-11-25T12:00:00Z',
    });
    const branches = [
      { name: 'master', commit: commit(push.sha) },
      { name: '--upload-pack=touch /tmp/x', commit: commit('b'.repeat(40)) },
      { name: 'evil', commit: commit('--upload-pack=touch /tmp/x') },
    ];
    t.gogs.injectFault({
      reply: {
        status: 200,
        body: JSON.stringify(branches),
        headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      },
      match: ({ path }) => path.endsWith('/branches'),
    });
    const result = await t.cli('hooks', 'reconcile');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `checked 1 repositories; recorded 1 missed push(es)\n  alice/app master ${push.sha}\n`,
    );
    const reported = result.stderr.split('\n').filter((line) => line.startsWith('  alice/app: '));
    expect(reported).toEqual([
      '  alice/app: skipped branch "--upload-pack=touch /tmp/x" starts with "-"',
      '  alice/app: skipped branch "evil": expected a full commit SHA (40 or 64 lowercase hex characters)',
    ]);
    expect((await deliveries()).map((delivery) => delivery.ref)).toEqual(['refs/heads/master']);
    const repo = await t.sidecar.services.stores.repos.findByFullName('alice/app');
    expect((await t.sidecar.services.stores.branchHeads.list(repo!.id)).map((head) => head.branch)).toEqual([
      'master',
    ]);
  });

  it('reports a repository it cannot check, and goes on with the others', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    t.gogs.injectFault({
      times: 10,
      reply: { status: 500, body: '' },
      match: ({ path }) => path.includes('/branches'),
    });
    const result = await t.cli('hooks', 'reconcile');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/alice\/app: .*500/);
  });
});
