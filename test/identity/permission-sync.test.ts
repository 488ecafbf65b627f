/**
 * Rights that follow Gogs, against the Gogs TEST DOUBLE and a real libSQL file: read with the person's own token
 * (collaborations and organisation teams), rows deleted when Gogs takes a right away (within one refresh), the
 * TTL respected on an injected clock, the policy refreshing before an action that changes something, and people
 * without a linked token getting their direct collaborations through the admin token.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyRepo, RepoAccessSource } from '../../sidecar/core/index.ts';
import { createGogsClient, createGogsTokenIssuer } from '../../sidecar/gogs/index.ts';
import { createAuthorizer, createGogsAccounts, createPermissionSync } from '../../sidecar/identity/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { person, refusal } from '../support/refusal.ts';
import { openTestStores, repoFacts, testAuditLog } from '../support/stores.ts';

const cipher = createSecretCipher(randomBytes(32));
const TTL_MS = 15 * 60_000;
const APP: PolicyRepo = { fullName: 'alice/app', private: true };
const LIB: PolicyRepo = { fullName: 'acme/lib', private: true };

describe('permissions that follow Gogs', () => {
  let gogs: GogsDouble;
  let adminToken: string;
  let teamId: number;
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let sync: RepoAccessSource;
  let now: number;
  const clock = { now: () => now };

  beforeAll(async () => {
    gogs = await startGogsDouble();
    adminToken = gogs.addUser({ username: 'root', password: 'pw-root', admin: true }).token;
    gogs.addUser({ username: 'alice', password: 'pw-alice' });
    gogs.addUser({ username: 'bob', password: 'pw-bob' });
    gogs.addUser({ username: 'carol', password: 'pw-carol' });
    gogs.addOrg({ username: 'acme', owners: ['alice'] });
    expect((await gogs.createRepo({ owner: 'alice', name: 'app', private: true })).id).toBe(1);
    expect((await gogs.createRepo({ owner: 'acme', name: 'lib', private: true })).id).toBe(2);
  });
  afterAll(() => gogs?.close());
  beforeEach(async () => {
    now = 1_800_000_000_000;
    t = await openTestStores();
    await t.repos.upsertFacts({ ...repoFacts('alice/app', 1), private: true });
    await t.repos.upsertFacts({ ...repoFacts('acme/lib', 2), private: true });
    gogs.addCollaborator({ owner: 'alice', name: 'app', username: 'bob', level: 'write' });
    gogs.addCollaborator({ owner: 'alice', name: 'app', username: 'carol', level: 'read' });
    teamId = gogs.addTeam({
      org: 'acme',
      name: `devs-${now}-${randomBytes(2).toString('hex')}`,
      permission: 'admin',
      members: ['bob'],
      repos: ['lib'],
    }).id;
    const gogsAdmin = () => createGogsClient({ baseUrl: gogs.url, token: adminToken });
    const accounts = createGogsAccounts({
      users: t.users,
      links: t.gogsLinks,
      identities: t.identities,
      gogs: gogsAdmin,
      issuer: createGogsTokenIssuer({ baseUrl: gogs.url }),
      cipher,
      audit: testAuditLog(t),
      clock,
      logger: silentLogger,
    });
    // bob signs in with the form: his token is linked. carol never does.
    expect(await accounts.signInWithPassword('bob', 'pw-bob')).toMatchObject({ ok: true });
    sync = createPermissionSync({
      users: t.users,
      links: t.gogsLinks,
      permissions: t.permissions,
      repos: t.repos,
      gogs: gogsAdmin,
      cipher,
      clock,
      logger: silentLogger,
      ttlMs: TTL_MS,
    });
  });
  afterEach(async () => {
    gogs.removeTeamMember(teamId, 'bob');
    await t.dispose();
  });

  const bob = person('bob');
  const rowsOfBob = async () => {
    const user = await t.users.findByLogin('bob');
    return (await t.permissions.list(user?.id ?? 0)).map((row) => [
      row.repoId,
      row.admin,
      row.push,
      row.pull,
    ]);
  };

  it('reads rights with the person’s token, and deletes a collaboration Gogs took away at the next refresh', async () => {
    expect(await sync.accessOf(bob, APP, { fresh: false })).toEqual({
      admin: false,
      push: true,
      pull: true,
      syncedAt: now,
    });
    expect(await rowsOfBob()).toEqual([
      [1, false, true, true],
      [2, true, true, true],
    ]);
    gogs.removeCollaborator({ owner: 'alice', name: 'app', username: 'bob' });
    expect(await sync.accessOf(bob, APP, { fresh: true })).toBeNull();
    expect(await rowsOfBob()).toEqual([[2, true, true, true]]);
  });

  it('deletes rights that came through a team once the person leaves it', async () => {
    expect(await sync.accessOf(bob, LIB, { fresh: false })).toMatchObject({ admin: true, push: true });
    gogs.removeTeamMember(teamId, 'bob');
    expect(await sync.accessOf(bob, LIB, { fresh: true })).toBeNull();
    expect(await rowsOfBob()).toEqual([[1, false, true, true]]);
  });

  it('trusts the cache for the TTL and reads Gogs again after it', async () => {
    await sync.accessOf(bob, APP, { fresh: false });
    gogs.removeCollaborator({ owner: 'alice', name: 'app', username: 'bob' });
    now += TTL_MS - 1;
    expect(await sync.accessOf(bob, APP, { fresh: false })).toMatchObject({ push: true });
    now += 1;
    expect(await sync.accessOf(bob, APP, { fresh: false })).toBeNull();
  });

  it('makes the policy read rights again before an action that changes something', async () => {
    const audit = testAuditLog(t);
    const authorizer = createAuthorizer({ access: sync, audit, clock });
    await authorizer.authorize(bob, 'restart', APP);
    gogs.removeCollaborator({ owner: 'alice', name: 'app', username: 'bob' });
    // Reading is still allowed from the cache; a restart a minute later asks Gogs and is refused.
    now += 61_000;
    await authorizer.authorize(bob, 'view', { ...APP, private: false });
    expect((await refusal(authorizer.authorize(bob, 'restart', APP))).code).toBe('FORBIDDEN');
    expect(await rowsOfBob()).toEqual([[2, true, true, true]]);
  });

  it('gives people without a linked token their direct collaborations and their own repositories', async () => {
    expect(await sync.accessOf(person('carol'), APP, { fresh: false })).toMatchObject({
      push: false,
      pull: true,
    });
    expect(await sync.accessOf(person('alice'), APP, { fresh: false })).toMatchObject({ admin: true });
    // Team rights need the person's own token.
    expect(await sync.accessOf(person('carol'), LIB, { fresh: false })).toBeNull();
    gogs.removeCollaborator({ owner: 'alice', name: 'app', username: 'carol' });
    expect(await sync.accessOf(person('carol'), APP, { fresh: true })).toBeNull();
  });

  it('drops the rights of a person whose token Gogs stopped accepting', async () => {
    await sync.accessOf(bob, LIB, { fresh: false });
    // Every token the form made for bob (the double outlives each test's stores), as he would in Gogs' settings.
    for (const name of gogs.tokenNames('bob').filter((name) => name.startsWith('drone-gogs')))
      expect(gogs.deleteToken('bob', name)).toBe(true);
    // Now only what the admin token sees: bob's direct collaboration on alice/app, not the team.
    expect(await sync.accessOf(bob, LIB, { fresh: true })).toBeNull();
    expect(await sync.accessOf(bob, APP, { fresh: true })).toMatchObject({ push: true });
    expect(await rowsOfBob()).toEqual([]);
  });
});
