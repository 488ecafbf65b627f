/**
 * Gogs accounts against the Gogs TEST DOUBLE and a real libSQL file: the login form makes one Gogs token per
 * person however often they sign in, makes a new one only when Gogs stops accepting it, refuses a wrong password
 * without storing it; a pasted token is checked; OIDC identities are matched by verified email or username, or
 * kept unlinked.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GogsAccounts, gogsLinkTokenPlace, type OidcIdentity } from '../../sidecar/core/index.ts';
import { createGogsClient, createGogsTokenIssuer } from '../../sidecar/gogs/index.ts';
import { createGogsAccounts } from '../../sidecar/identity/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { openTestStores, testAuditLog } from '../support/stores.ts';

const cipher = createSecretCipher(randomBytes(32));

describe('Gogs accounts', () => {
  let gogs: GogsDouble;
  let adminToken: string;
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let accounts: GogsAccounts;
  let users = 0;

  beforeAll(async () => {
    gogs = await startGogsDouble();
    adminToken = gogs.addUser({ username: 'root', password: 'pw-root', admin: true }).token;
  });
  afterAll(() => gogs?.close());
  beforeEach(async () => {
    t = await openTestStores();
    accounts = createGogsAccounts({
      users: t.users,
      links: t.gogsLinks,
      identities: t.identities,
      gogs: () => createGogsClient({ baseUrl: gogs.url, token: adminToken }),
      issuer: createGogsTokenIssuer({ baseUrl: gogs.url }),
      cipher,
      audit: testAuditLog(t),
      clock: { now: () => 1_800_000_000_000 },
      logger: silentLogger,
    });
  });
  afterEach(() => t.dispose());

  /** A new Gogs user for one test (the double outlives the stores). */
  const newUser = (extra: { email?: string; fullName?: string } = {}) => {
    users += 1;
    const username = `user${users}`;
    const password = `pw-${randomBytes(6).toString('hex')}`;
    gogs.addUser({ username, password, ...extra });
    return { username, password };
  };
  const file = (sql: string) => t.fromFile(sql);

  it('makes one Gogs token for a person across many form logins, stored encrypted', async () => {
    const { username, password } = newUser();
    const first = await accounts.signInWithPassword(username, password);
    expect(first).toMatchObject({ ok: true, tokenCreated: true, user: { login: username } });
    const again = await Promise.all([1, 2, 3].map(() => accounts.signInWithPassword(username, password)));
    for (let i = 0; i < 5; i += 1) again.push(await accounts.signInWithPassword(username, password));
    expect(again.every((outcome) => outcome.ok && !outcome.tokenCreated)).toBe(true);
    expect(gogs.tokenNames(username)).toEqual(['double', 'drone-gogs']);

    const [link] = await file('select * from gogs_links');
    expect(link).toMatchObject({ source: 'form' });
    const token = cipher.decrypt(String(link?.token), gogsLinkTokenPlace(Number(link?.user_id)));
    expect((await createGogsClient({ baseUrl: gogs.url, token }).currentUser()).username).toBe(username);
    expect(JSON.stringify(await file('select * from gogs_links, users, audit_events'))).not.toContain(
      password,
    );
  });

  it('makes a new token when Gogs stops accepting the stored one, with the next free name', async () => {
    const { username, password } = newUser();
    await accounts.signInWithPassword(username, password);
    expect(gogs.deleteToken(username, 'drone-gogs')).toBe(true);
    gogs.addToken(username, 'drone-gogs');
    const after = await accounts.signInWithPassword(username, password);
    expect(after).toMatchObject({ ok: true, tokenCreated: true });
    expect(gogs.tokenNames(username)).toEqual(['double', 'drone-gogs', 'drone-gogs-2']);
    expect(await accounts.signInWithPassword(username, password)).toMatchObject({ tokenCreated: false });
  });

  it('refuses a wrong password, makes no token, and audits the failure without the password', async () => {
    const { username } = newUser();
    const outcome = await accounts.signInWithPassword(username, 'wrong-password-123');
    expect(outcome).toEqual({
      ok: false,
      reason: 'bad-credentials',
      message: 'Gogs did not accept this username and password.',
    });
    expect(gogs.tokenNames(username)).toEqual(['double']);
    expect(await file('select * from gogs_links')).toEqual([]);
    const rows = await t.audit.read();
    expect(rows.map((row) => [row.action, row.target, row.decision])).toEqual([
      ['login.failure', username, 'deny'],
    ]);
    expect(JSON.stringify(rows)).not.toContain('wrong-password-123');
  });

  it('checks a pasted token with Gogs and stores it as pasted', async () => {
    const { username } = newUser();
    const pasted = gogs.addToken(username, 'mine');
    expect(await accounts.linkPastedToken(pasted)).toMatchObject({ ok: true, user: { login: username } });
    expect(await file('select source from gogs_links')).toEqual([{ source: 'pasted' }]);
    expect(await accounts.linkPastedToken('f'.repeat(40))).toMatchObject({
      ok: false,
      reason: 'token-refused',
    });
    expect(JSON.stringify(await file('select * from gogs_links'))).not.toContain(pasted);
  });

  const oidc = (extra: Partial<OidcIdentity>): OidcIdentity => ({
    provider: 'corp',
    subject: `sub-${randomBytes(4).toString('hex')}`,
    issuer: 'https://id.example.com',
    username: 'nobody-here',
    email: null,
    emailVerified: false,
    groups: ['dev'],
    admin: false,
    idTokenExpiresAt: 0,
    idToken: 'x',
    ...extra,
  });

  it('matches an OIDC identity by verified email, by username, or keeps it unlinked', async () => {
    const carol = newUser({ email: 'carol.jones@corp.example', fullName: 'Carol Jones' });
    const byEmail = await accounts.matchIdentity(
      oidc({ email: 'Carol.Jones@corp.example', emailVerified: true, username: 'cj' }),
      'email',
    );
    expect(byEmail.user?.login).toBe(carol.username);
    expect(byEmail.identity).toMatchObject({ provider: 'corp', username: 'cj', userId: byEmail.user?.id });

    // An unverified email is not trusted.
    const unverified = await accounts.matchIdentity(
      oidc({ email: 'carol.jones@corp.example', emailVerified: false, username: carol.username }),
      'email',
    );
    expect(unverified.user).toBeNull();

    const dave = newUser();
    const byUsername = await accounts.matchIdentity(oidc({ username: dave.username }), 'username');
    expect(byUsername.user?.login).toBe(dave.username);

    const nobody = await accounts.matchIdentity(
      oidc({ username: 'ghost', email: 'ghost@corp.example', emailVerified: true }),
      'email',
    );
    expect(nobody.user).toBeNull();
    expect(await file(`select user_id, username from identities where username = 'ghost'`)).toEqual([
      { user_id: null, username: 'ghost' },
    ]);
    expect((await accounts.matchIdentity(oidc({ username: 'ghost' }), 'username')).user).toBeNull();
  });
});
