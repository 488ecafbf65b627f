/**
 * require_verified_pusher end to end: the sidecar beside the Gogs TEST DOUBLE (no engine), a repository that
 * requires verified pushers, and pushes by alice before and after she has an OpenID identity in the provider's
 * required group. The identity is recorded in the store as a sign-in records it (signing in itself is tested in
 * test/http/login.test.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_ENGINE, type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';
import { storedBuilds } from '../support/stored-builds.ts';

const PIPELINE = 'kind: pipeline\nname: test\nsteps:\n- {name: test, image: busybox, commands: [true]}\n';

describe('verified pushers', () => {
  let t: SidecarBesideGogs;
  const builds = storedBuilds(() => t);
  afterEach(() => t.dispose());

  it('holds pushes of a pusher without an identity in the required group, and runs those of one with it', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const set = await t.cli('repo', 'set', 'alice/app', '--require-verified-pusher');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('not signed in through an identity provider wait too');
    const secret = join(t.env.DRONE_GOGS_DATA_DIR ?? '', 'client-secret');
    await writeFile(secret, 'secret\n');
    const added = await t.cli(
      ...['identity', 'provider', 'add', 'corp', '--issuer', 'https://login.example.com'],
      ...['--client-id', 'ci', '--client-secret-file', secret, '--required-group', 'engineers'],
    );
    expect(added.code).toBe(0);

    const pushAndSettle = async (n: number) => {
      const push = await t.push('master', { '.drone.yml': PIPELINE, 'n.txt': String(n) }, `push ${n}`);
      await t.settled(push.deliveries[0]?.id ?? '');
      return builds.find(n);
    };
    const first = await pushAndSettle(1);
    expect(first.build.status).toBe('blocked');
    expect(first.stages.map((stage) => stage.status)).toEqual(['blocked']);

    const { stores } = t.sidecar.services;
    const alice = await stores.users.upsert({
      gogsId: 1,
      login: 'alice',
      email: 'alice@example.com',
      fullName: '',
    });
    const identity = {
      provider: 'corp',
      subject: 'u-alice',
      userId: alice.id,
      username: 'alice',
      email: 'alice@example.com',
      lastLoginAt: Date.now(),
    };
    // Outside the required group: still held.
    await stores.identities.record({ ...identity, groups: ['sales'] });
    expect((await pushAndSettle(2)).build.status).toBe('blocked');
    await stores.identities.record({ ...identity, groups: ['engineers'] });
    const third = await pushAndSettle(3);
    expect(third.build.status).toBe('pending');
    expect(third.stages.map((stage) => stage.status)).toEqual(['pending']);
  });
});
