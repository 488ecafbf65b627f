/**
 * API tokens over the real stores and the Gogs test double (for looking users up): shown once, kept only as a
 * hash (read from the database file), accepted until they expire or are revoked, each use recorded at most
 * once a minute, and managed by CI admins or their own user only.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN, type TokenService } from '../../sidecar/core/index.ts';
import { createGogsClient } from '../../sidecar/gogs/index.ts';
import { createTokenService, tokenHash } from '../../sidecar/identity/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { person, refusal } from '../support/refusal.ts';
import { openTestStores, testAuditLog, testAuthorizer } from '../support/stores.ts';

describe('API tokens', () => {
  let gogs: GogsDouble;
  let adminToken: string;
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let service: TokenService;
  let now: number;

  beforeAll(async () => {
    gogs = await startGogsDouble();
    adminToken = gogs.addUser({ username: 'root', password: 'pw-root', admin: true }).token;
    gogs.addUser({ username: 'bob', password: 'pw-bob', email: 'bob@example.com', fullName: 'Bob B' });
    gogs.addUser({ username: 'alice', password: 'pw-alice' });
  });
  afterAll(() => gogs?.close());
  beforeEach(async () => {
    t = await openTestStores();
    now = 1_800_000_000_000;
    const audit = testAuditLog(t);
    service = createTokenService({
      users: t.users,
      tokens: t.apiTokens,
      gogs: () => createGogsClient({ baseUrl: gogs.url, token: adminToken }),
      admins: new Set(['alice']),
      authorizer: testAuthorizer(audit),
      audit,
      clock: { now: () => now },
      logger: silentLogger,
    });
  });
  afterEach(() => t.dispose());

  const file = (sql: string) => t.fromFile(sql);

  it('makes a token for a Gogs user met for the first time, keeps only its hash, and accepts it', async () => {
    const { token, view } = await service.create(LOCAL_ADMIN, 'Bob', {
      name: 'deploy bot',
      expiresInMs: 86_400_000,
    });
    expect(token).toMatch(/^dgt_[A-Za-z0-9_-]{43}$/);
    expect(view).toMatchObject({ user: 'bob', name: 'deploy bot', created_by: 'local-admin', last_used: 0 });
    expect(view.expires - view.created).toBe(86_400);
    // Looked up in Gogs, stored as Gogs says.
    expect(await file('select login, email, full_name from users')).toEqual([
      { login: 'bob', email: 'bob@example.com', full_name: 'Bob B' },
    ]);
    const rows = await file('select * from api_tokens');
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0]?.hash).toBe(tokenHash(token));

    expect(await service.authenticate(token)).toEqual({
      kind: 'user',
      login: 'bob',
      admin: false,
      roles: [],
      subject: null,
    });
    expect((await file('select last_used_at from api_tokens'))[0]?.last_used_at).toBe(now);
    // Another use within the minute writes nothing; one after it does.
    now += 30_000;
    await service.authenticate(token);
    expect((await file('select last_used_at from api_tokens'))[0]?.last_used_at).toBe(now - 30_000);
    now += 31_000;
    await service.authenticate(token);
    expect((await file('select last_used_at from api_tokens'))[0]?.last_used_at).toBe(now);
    // Past its expiry it stands for nobody.
    now += 86_400_000;
    expect(await service.authenticate(token)).toBeNull();
    const listed = JSON.stringify(await service.list(LOCAL_ADMIN));
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(tokenHash(token));
  });

  it('refuses a revoked token, a changed one and a made-up one; revoking is audited', async () => {
    const { token, view } = await service.create(LOCAL_ADMIN, 'bob', {});
    expect(view.expires).toBe(0);
    expect(await service.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await service.authenticate('dgt_short')).toBeNull();
    expect(await service.authenticate(`Bearer ${token}`)).toBeNull();
    expect(await service.revoke(LOCAL_ADMIN, view.id)).toMatchObject({
      id: view.id,
      revoked: Math.floor(now / 1000),
    });
    expect(await service.authenticate(token)).toBeNull();
    expect(
      (await file("select action, target from audit_events where action like 'token.%' order by seq")).map(
        (row) => [row.action, row.target],
      ),
    ).toEqual([
      ['token.create', 'bob'],
      ['token.revoke', 'bob'],
    ]);
  });

  it('names CI admins from the setting, and lets people manage only their own tokens', async () => {
    const { token } = await service.create(LOCAL_ADMIN, 'alice', {});
    expect(await service.authenticate(token)).toMatchObject({ login: 'alice', admin: true });
    const own = await service.create(person('bob'), 'bob', {});
    expect((await refusal(service.create(person('bob'), 'alice', {}))).code).toBe('FORBIDDEN');
    expect((await refusal(service.revoke(person('bob'), 1))).code).toBe('FORBIDDEN');
    expect(await service.revoke(person('bob'), own.view.id)).toMatchObject({ user: 'bob' });
    expect((await service.list(person('bob'), 'bob')).map((each) => each.id)).toEqual([own.view.id]);
    expect((await refusal(service.list(person('bob')))).code).toBe('FORBIDDEN');
  });

  it('says so when Gogs has no such user, and stores nothing', async () => {
    const error = await refusal(service.create(LOCAL_ADMIN, 'nobody', {}));
    expect(error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Gogs has no user nobody; tokens are for Gogs users',
    });
    expect((await refusal(service.create(LOCAL_ADMIN, '--all', {}))).code).toBe('BAD_REQUEST');
    expect(await file('select count(*) as n from users')).toEqual([{ n: 0 }]);
  });
});
