/**
 * Organisation roles from Gogs for organisation secrets, against the Gogs TEST DOUBLE and a real libSQL file:
 * through the secret service, an owner of an organisation may add its secrets and a plain member or an admin
 * team's member may not (denials audited); a person taken out of the organisation loses the right at the next
 * refresh, with rows Gogs no longer lists deleted; the TTL runs on an injected clock; and a sidecar token that is
 * not a site admin's leaves members at `member`.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isAppError,
  type OrgRoleSource,
  type Principal,
  type SecretService,
} from '../../sidecar/core/index.ts';
import { createGogsClient, createGogsTokenIssuer } from '../../sidecar/gogs/index.ts';
import {
  createAuthorizer,
  createGogsAccounts,
  createOrgRoleSync,
  NO_ACCESS,
} from '../../sidecar/identity/index.ts';
import { FRESH_RIGHTS_MS } from '../../sidecar/policy/index.ts';
import { createSecretCipher, createSecretService } from '../../sidecar/secrets/index.ts';
import { createLogger, silentLogger } from '../../sidecar/telemetry/index.ts';
import { type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { person, refusal } from '../support/refusal.ts';
import { openTestStores, testAuditLog } from '../support/stores.ts';

const cipher = createSecretCipher(randomBytes(32));
const TTL_MS = 15 * 60_000;
const ACME = { org: 'acme' };
const secret = (name: string) => ({ name, value: `v-${randomBytes(8).toString('hex')}`, pullRequest: false });

describe('organisation roles from Gogs', () => {
  let gogs: GogsDouble;
  let rootToken: string;
  let plainToken: string;
  let ownersTeam: number;
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let now: number;
  const clock = { now: () => now };
  let logLines: string[];

  const olive = person('olive');
  const mia = person('mia');
  const adam = person('adam');
  const nora = person('nora');

  beforeEach(async () => {
    now = 1_800_000_000_000;
    gogs = await startGogsDouble();
    rootToken = gogs.addUser({ username: 'root', password: 'pw-root', admin: true }).token;
    plainToken = gogs.addUser({ username: 'repoadmin', password: 'pw-repoadmin' }).token;
    for (const login of ['olive', 'mia', 'adam', 'nora', 'una'])
      gogs.addUser({ username: login, password: `pw-${login}` });
    gogs.addOrg({ username: 'acme', owners: ['olive'] });
    await gogs.createRepo({ owner: 'acme', name: 'app', private: true });
    gogs.addTeam({ org: 'acme', name: 'devs', permission: 'write', members: ['mia'], repos: ['app'] });
    gogs.addTeam({ org: 'acme', name: 'ops', permission: 'admin', members: ['adam'], repos: ['app'] });
    const teams = await createGogsClient({ baseUrl: gogs.url, token: rootToken }).listOrgTeams('acme');
    ownersTeam = teams.find((team) => team.permission === 'owner')?.id ?? 0;
    t = await openTestStores();
    logLines = [];
    const accounts = createGogsAccounts({
      users: t.users,
      links: t.gogsLinks,
      identities: t.identities,
      gogs: () => createGogsClient({ baseUrl: gogs.url, token: rootToken }),
      issuer: createGogsTokenIssuer({ baseUrl: gogs.url }),
      cipher,
      audit: testAuditLog(t),
      clock,
      logger: silentLogger,
    });
    // Everyone but una signs in with the form, so their own Gogs token is linked.
    for (const login of ['olive', 'mia', 'adam', 'nora'])
      expect(await accounts.signInWithPassword(login, `pw-${login}`)).toMatchObject({ ok: true });
  });
  afterEach(async () => {
    await t.dispose();
    await gogs.close();
  });

  /** The org-role sync with the sidecar's token (a site admin's unless said), and the secret service over it. */
  const build = (sidecarToken = rootToken): { roles: OrgRoleSource; secrets: SecretService } => {
    const logger = createLogger({ format: 'text', level: 'debug', write: (line) => logLines.push(line) });
    const roles = createOrgRoleSync({
      users: t.users,
      links: t.gogsLinks,
      orgRoles: t.orgRoles,
      gogs: () => createGogsClient({ baseUrl: gogs.url, token: sidecarToken }),
      cipher,
      clock,
      logger,
      ttlMs: TTL_MS,
    });
    const audit = testAuditLog(t);
    const authorizer = createAuthorizer({ access: NO_ACCESS, orgRoles: roles, audit, clock });
    const secrets = createSecretService({
      secrets: t.secrets,
      repos: t.repos,
      cipher,
      logger: silentLogger,
      audit,
      authorizer,
    });
    return { roles, secrets };
  };

  const fromFile = (sql: string) => t.fromFile(sql);
  const roleRows = () =>
    fromFile(
      `select u.login, r.org, r.role from org_roles r join users u on u.id = r.user_id order by u.login, r.org`,
    );
  const storedSecrets = () => fromFile(`select scope, name, created_by from secrets order by name`);
  const denials = async () =>
    (
      await fromFile(
        `select actor, target, detail from audit_events where action = 'policy.deny' order by seq`,
      )
    ).map((row) => ({ actor: row.actor, target: row.target, ...JSON.parse(String(row.detail)) }));

  it('lets an owner add an organisation secret, and refuses a plain member and an admin team’s member', async () => {
    const { secrets } = build();
    expect((await secrets.add(olive, { org: 'ACME' }, secret('DEPLOY_KEY'))).secret).toMatchObject({
      scope: 'org',
      namespace: 'acme',
    });
    const denied = async (actor: Principal) => {
      const error = await refusal(secrets.add(actor, ACME, secret('NOT_MINE')));
      expect(error.code).toBe('FORBIDDEN');
      return error.message;
    };
    expect(await denied(mia)).toBe(
      'only owners of organisation acme in Gogs and CI admins may manage its secrets; your highest team permission there is write',
    );
    expect(await denied(adam)).toMatch(/your highest team permission there is admin$/);
    expect(await denied(nora)).toMatch(/Gogs does not list you as a member of acme/);
    expect(await denied(person('una'))).toMatch(/or your Gogs account is not connected yet$/);
    expect((await refusal(secrets.list(mia, ACME))).code).toBe('FORBIDDEN');

    expect(await storedSecrets()).toEqual([
      { scope: 'org:acme', name: 'DEPLOY_KEY', created_by: 'gogs:olive' },
    ]);
    expect(await roleRows()).toEqual([
      { login: 'adam', org: 'acme', role: 'admin' },
      { login: 'mia', org: 'acme', role: 'write' },
      { login: 'olive', org: 'acme', role: 'owner' },
    ]);
    expect((await denials()).map((row) => [row.actor, row.target, row.action, row.rule])).toEqual([
      ['gogs:mia', 'organisation acme', 'manage-secrets', 'organisation-role'],
      ['gogs:adam', 'organisation acme', 'manage-secrets', 'organisation-role'],
      ['gogs:nora', 'organisation acme', 'manage-secrets', 'organisation-role'],
      ['gogs:una', 'organisation acme', 'manage-secrets', 'organisation-role'],
      ['gogs:mia', 'organisation acme', 'manage-secrets', 'organisation-role'],
    ]);
  });

  it('takes the right from a person removed from the organisation at the next refresh, and deletes the row', async () => {
    const { secrets } = build();
    await secrets.add(olive, ACME, secret('FIRST'));
    gogs.removeTeamMember(ownersTeam, 'olive');
    // Within the minute the role read for the first add still stands; the next action after it reads Gogs again.
    now += FRESH_RIGHTS_MS;
    await secrets.add(olive, ACME, secret('SECOND'));
    now += 1;
    const error = await refusal(secrets.add(olive, ACME, secret('THIRD')));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/Gogs does not list you as a member of acme/);
    expect(await roleRows()).toEqual([]);
    expect((await storedSecrets()).map((row) => row.name)).toEqual(['FIRST', 'SECOND']);
  });

  it('trusts a cached role for the TTL, reads Gogs after it, and keeps rows of organisations still listed', async () => {
    const { roles } = build();
    gogs.addOrg({ username: 'beta', owners: ['mia'] });
    expect(await roles.roleOf(mia, { name: 'beta' }, { fresh: false })).toEqual({
      org: 'beta',
      role: 'owner',
      syncedAt: now,
    });
    expect(await roles.roleOf(mia, { name: 'acme' }, { fresh: false })).toMatchObject({ role: 'write' });
    const devs = (await createGogsClient({ baseUrl: gogs.url, token: rootToken }).listOrgTeams('acme')).find(
      (team) => team.name === 'devs',
    );
    gogs.removeTeamMember(devs?.id ?? 0, 'mia');
    const asked = gogs.requests().length;
    now += TTL_MS - 1;
    expect(await roles.roleOf(mia, { name: 'acme' }, { fresh: false })).toMatchObject({ role: 'write' });
    expect(gogs.requests()).toHaveLength(asked);
    now += 1;
    expect(await roles.roleOf(mia, { name: 'acme' }, { fresh: false })).toBeNull();
    // acme is gone from what Gogs lists for mia; beta is still listed, so its row stays as it was.
    expect(await roleRows()).toEqual([{ login: 'mia', org: 'beta', role: 'owner' }]);
  });

  it('leaves members at `member` when the sidecar’s token may not list team members', async () => {
    const { roles, secrets } = build(plainToken);
    const error = await refusal(secrets.add(olive, ACME, secret('DEPLOY_KEY')));
    expect(error.message).toMatch(/does not show drone-gogs which teams you are in/);
    expect(await roles.roleOf(mia, { name: 'acme' }, { fresh: true })).toMatchObject({ role: 'member' });
    expect(await roleRows()).toEqual([
      { login: 'mia', org: 'acme', role: 'member' },
      { login: 'olive', org: 'acme', role: 'member' },
    ]);
    expect(logLines.filter((line) => line.includes('does not show team members'))).toHaveLength(1);
    expect(await storedSecrets()).toEqual([]);
  });

  it('drops the roles of a person whose token Gogs stopped accepting', async () => {
    const { roles } = build();
    await roles.roleOf(olive, { name: 'acme' }, { fresh: false });
    for (const name of gogs.tokenNames('olive').filter((each) => each.startsWith('drone-gogs')))
      expect(gogs.deleteToken('olive', name)).toBe(true);
    expect(await roles.roleOf(olive, { name: 'acme' }, { fresh: true })).toBeNull();
    expect(await roleRows()).toEqual([]);
  });

  it('serves team members to a site admin only, as Gogs does', async () => {
    const asRoot = createGogsClient({ baseUrl: gogs.url, token: rootToken });
    expect((await asRoot.listTeamMembers(ownersTeam)).map((user) => user.username)).toEqual(['olive']);
    const forbidden = await createGogsClient({ baseUrl: gogs.url, token: plainToken })
      .listTeamMembers(ownersTeam)
      .catch((caught: unknown) => caught);
    expect(isAppError(forbidden, 'GOGS_FORBIDDEN')).toBe(true);
    const gone = await asRoot.listTeamMembers(9999).catch((caught: unknown) => caught);
    expect(isAppError(gone, 'GOGS_NOT_FOUND')).toBe(true);
  });
});
