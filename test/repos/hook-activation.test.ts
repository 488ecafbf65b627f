import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { HOOK_EVENTS } from '../../sidecar/repos/index.ts';
import { callApi } from '../support/gogs-double/index.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

/** `drone-gogs repo …` and `hooks rotate` against the Gogs test double, with the sidecar receiving for real. */
describe('enabling a repository', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  const storedDeliveries = () => t.sidecar.services.stores.deliveries.list({ limit: 100 });

  it('registers a hook with its own secret, and from then on pushes reach the sidecar once each', async () => {
    t = await startSidecarBesideGogs();
    const enabled = await t.cli('repo', 'enable', 'alice/app');
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toMatch(
      /^enabled alice\/app: webhook #\d+ → http:\/\/127\.0\.0\.1:\d+\/hook\?repo=\d+\n$/,
    );
    // The sidecar listens on loopback: Gogs would block it without LOCAL_NETWORK_ALLOWLIST, and we say so.
    expect(enabled.stderr).toContain('LOCAL_NETWORK_ALLOWLIST = 127.0.0.1');

    const [hook] = t.gogs.hooks('alice', 'app');
    expect(hook).toMatchObject({
      type: 'gogs',
      url: `${t.env.DRONE_GOGS_HOOK_URL}?repo=${t.gogsRepoId}`,
      contentType: 'json',
      active: true,
    });
    expect([...hook!.events].sort()).toEqual([...HOOK_EVENTS].sort());
    expect(hook!.secret).toMatch(/^[0-9a-f]{64}$/);

    const push = await t.push('master', { 'a.txt': '1' }, 'one');
    expect(push.deliveries.map((d) => d.response?.status)).toEqual([202]);
    const redelivered = await t.gogs.redeliver(push.deliveries[0]!.id);
    expect(redelivered.response?.status).toBe(200);
    const stored = await storedDeliveries();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      deliveryId: push.deliveries[0]!.id,
      kind: 'push',
      after: push.sha,
    });
    // Stored, and then taken by the trigger at once (alice/app has no .drone.yml, so no build).
    expect(['pending', 'processing', 'ignored']).toContain(stored[0]?.status);
  });

  it('tags, branches and pull requests arrive too, normalised', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    await t.push('feature', { 'f.txt': 'f' }, 'feature');
    await t.gogs.createTag({ owner: 'alice', name: 'app', tag: 'v1.0.0' });
    await t.gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'feature',
      title: 'Feature',
      author: 'bob',
    });
    const kinds = (await storedDeliveries()).map((d) => `${d.kind}:${d.action}:${d.ref}`).reverse();
    expect(kinds).toEqual([
      'branch:created:refs/heads/feature',
      'push:pushed:refs/heads/feature',
      'tag:created:refs/tags/v1.0.0',
      'pull_request:opened:refs/pull/1/head',
    ]);
  });

  it('replaces an older hook of ours, keeps other hooks, and enabling twice leaves one hook', async () => {
    t = await startSidecarBesideGogs();
    t.gogs.addHook({
      owner: 'alice',
      name: 'app',
      url: `${t.env.DRONE_GOGS_HOOK_URL}`,
      secret: 'old',
      events: ['push'],
    });
    t.gogs.addHook({
      owner: 'alice',
      name: 'app',
      url: 'http://127.0.0.1:9/other-service',
      secret: 'x',
      events: ['push'],
    });
    const first = await t.cli('repo', 'enable', 'alice/app');
    expect(first.stdout).toMatch(/replaced hook #1\)/);
    await t.cli('repo', 'enable', 'alice/app');
    const hooks = t.gogs.hooks('alice', 'app');
    expect(hooks.map((hook) => hook.url)).toEqual([
      'http://127.0.0.1:9/other-service',
      `${t.env.DRONE_GOGS_HOOK_URL}?repo=${t.gogsRepoId}`,
    ]);
  });

  it('refuses when the token user is not an admin of the repository, saying why', async () => {
    t = await startSidecarBesideGogs({ tokenOf: 'bob' });
    const refused = await t.cli('repo', 'enable', 'alice/app');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(bob) is not an admin of alice/app');
    expect(t.gogs.hooks('alice', 'app')).toEqual([]);
  });

  it('refuses a hook URL that redirects unless forced', async () => {
    t = await startSidecarBesideGogs();
    const redirector = createServer((_, response) =>
      response.writeHead(301, { location: t.env.DRONE_GOGS_HOOK_URL! }).end(),
    );
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      t.env.DRONE_GOGS_HOOK_URL = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook`;
      const refused = await t.cli('repo', 'enable', 'alice/app');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('answers 301 redirecting to');
      expect(refused.stderr).toContain('use --force');
      expect(t.gogs.hooks('alice', 'app')).toEqual([]);
      const forced = await t.cli('repo', 'enable', 'alice/app', '--force');
      expect(forced.code).toBe(0);
      expect(forced.stderr).toContain('error: the hook URL answers 301');
    } finally {
      redirector.close();
    }
  });

  it('says what to set when Gogs is not configured', async () => {
    t = await startSidecarBesideGogs();
    delete t.env.DRONE_GOGS_GOGS_TOKEN;
    const refused = await t.cli('repo', 'enable', 'alice/app');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('set DRONE_GOGS_GOGS_URL and DRONE_GOGS_GOGS_TOKEN');
  });
});

describe('repairing, rotating and disabling', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  const aliceToken = () => t.env.DRONE_GOGS_GOGS_TOKEN!;

  it('repair fixes a hook someone edited in Gogs (events reset to push, deactivated) and keeps its secret', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    const [hook] = t.gogs.hooks('alice', 'app');
    // An edit without `events` resets the hook to push-only, a real Gogs quirk.
    await callApi(t.gogs.apiUrl, `/repos/alice/app/hooks/${hook!.id}`, {
      method: 'PATCH',
      token: aliceToken(),
      body: { active: false },
    });
    expect(t.gogs.hooks('alice', 'app')[0]).toMatchObject({ events: ['push'], active: false });

    const repaired = await t.cli('repo', 'repair');
    expect(repaired.stdout).toContain(
      `alice/app: fixed hook #${hook!.id}: it was inactive; events create, delete, pull_request, issue_comment, release were missing`,
    );
    const [fixed] = t.gogs.hooks('alice', 'app');
    expect(fixed).toMatchObject({ id: hook!.id, active: true, secret: hook!.secret });
    expect((await t.cli('repo', 'repair', 'alice/app')).stdout).toBe('alice/app: webhook healthy\n');

    const push = await t.push('master', { b: '2' }, 'two');
    expect(push.deliveries[0]!.response?.status).toBe(202);
  });

  it('repair re-creates a hook deleted in Gogs, and removes duplicates', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    const [hook] = t.gogs.hooks('alice', 'app');
    await callApi(t.gogs.apiUrl, `/repos/alice/app/hooks/${hook!.id}`, {
      method: 'DELETE',
      token: aliceToken(),
    });
    const repaired = await t.cli('repo', 'repair', 'alice/app');
    expect(repaired.stdout).toMatch(/registered a new hook \(#\d+\) with a fresh secret/);
    t.gogs.addHook({
      owner: 'alice',
      name: 'app',
      url: t.env.DRONE_GOGS_HOOK_URL!,
      secret: 'dup',
      events: ['push'],
    });
    expect((await t.cli('repo', 'repair')).stdout).toMatch(/removed 1 duplicate hook/);
    expect(t.gogs.hooks('alice', 'app')).toHaveLength(1);
  });

  it('rotation gives a new hook and secret; the old secret verifies only during the grace period', async () => {
    // The sidecar's clock runs ahead on demand; `hooks rotate` stamps the grace period with the system's.
    let ahead = 0;
    const clock = { now: () => Date.now() + ahead };
    t = await startSidecarBesideGogs({ env: { DRONE_GOGS_HOOK_SECRET_GRACE_SECONDS: '60' }, clock });
    await t.cli('repo', 'enable', 'alice/app');
    const [before] = t.gogs.hooks('alice', 'app');
    const rotated = await t.cli('hooks', 'rotate');
    expect(rotated.stdout).toMatch(/^alice\/app: new secret, webhook #\d+\n$/);
    const [after] = t.gogs.hooks('alice', 'app');
    expect(after!.id).not.toBe(before!.id);
    expect(after!.secret).not.toBe(before!.secret);

    const push = await t.push('master', { c: '3' }, 'three');
    expect(push.deliveries[0]!.response?.status).toBe(202);

    // A delivery Gogs queued before the rotation is still signed with the old secret.
    const body = push.deliveries[0]!.payload;
    const signedWithOld = (deliveryId: string) =>
      fetch(after!.url, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/json',
          'X-Gogs-Event': 'push',
          'X-Gogs-Delivery': deliveryId,
          'X-Gogs-Signature': signGogsPayload(body, before!.secret),
        },
      });
    expect((await signedWithOld('queued-before-rotation')).status).toBe(202);
    ahead = 50_000;
    expect((await signedWithOld('queued-a-while-before')).status).toBe(202);
    ahead = 61_000;
    expect((await signedWithOld('queued-long-before')).status).toBe(401);
    expect((await signedWithOld('queued-before-rotation')).status).toBe(401);
  });

  it('disable removes the hook; deliveries for the repository are refused afterwards', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    const [hook] = t.gogs.hooks('alice', 'app');
    const disabled = await t.cli('repo', 'disable', 'alice/app');
    expect(disabled.stdout).toBe('disabled alice/app; removed 1 webhook(s)\n');
    expect(t.gogs.hooks('alice', 'app')).toEqual([]);
    const list = await t.cli('repo', 'list', '--json');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ fullName: 'alice/app', active: false, hookId: null }),
    ]);
    const stale = await fetch(hook!.url, {
      method: 'POST',
      body: '{}',
      headers: {
        'X-Gogs-Event': 'push',
        'X-Gogs-Delivery': 'late',
        'X-Gogs-Signature': signGogsPayload('{}', hook!.secret),
      },
    });
    expect(stale.status).toBe(401);
  });
});
