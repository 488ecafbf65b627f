/**
 * OpenID provider administration: `drone-gogs identity provider add|ls|rm` in process on an admin's database
 * file (the client secret read from a file, stored encrypted, never printed), only CI admins through the
 * service, and the registry the login routes read, which sees another process's change within its interval
 * and this process's at once, and reads the database at most once per interval between changes.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { LOCAL_ADMIN, oidcClientSecretPlace } from '../../sidecar/core/index.ts';
import { createOidcProviderRegistry, createOidcProviderService } from '../../sidecar/identity/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { person, refusal } from '../support/refusal.ts';
import { runCommand } from '../support/run-command.ts';
import { openTestStores, testAuditLog, testAuthorizer } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const KEY = randomBytes(32);
const SECRET = `client-secret-${randomBytes(12).toString('hex')}`;

describe('drone-gogs identity provider', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  const env = { DRONE_GOGS_SECRET_KEY: KEY.toString('hex') };
  beforeEach(async () => {
    dir = await makeTempDir();
    await writeFile(join(dir.path, 'secret.txt'), `${SECRET}\n`);
  });
  afterEach(() => dir.remove());

  /** As typed after `drone-gogs identity`, through the CLI (which prints AppErrors as one line, exit 1). */
  const identity = (...args: string[]) =>
    runCommand((argv, io) => runCli(['identity', ...argv], io), args, { cwd: dir.path, env });
  const rows = async () => {
    const client = createClient({ url: pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href });
    try {
      return (await client.execute('select * from oidc_providers')).rows;
    } finally {
      client.close();
    }
  };

  it('adds a provider with its secret from a file, stored encrypted, lists it without the secret, removes it', async () => {
    const added = await identity(
      'provider',
      'add',
      'corp',
      '--issuer',
      'https://id.example.com',
      '--client-id',
      'drone',
      '--client-secret-file',
      'secret.txt',
      '--required-group',
      'dev',
      '--required-group',
      'ops',
      '--admin-group',
      'ci-admins',
      '--match-by',
      'username',
    );
    expect(added).toEqual({
      code: 0,
      stdout: 'added OIDC provider corp (https://id.example.com), matching by username\n',
      stderr: '',
    });
    const [row] = await rows();
    expect(row).toMatchObject({ name: 'corp', client_id: 'drone', match_by: 'username' });
    expect(JSON.parse(String(row?.required_groups))).toEqual(['dev', 'ops']);
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(createSecretCipher(KEY).decrypt(String(row?.client_secret), oidcClientSecretPlace('corp'))).toBe(
      SECRET,
    );

    const listed = await identity('provider', 'ls');
    expect(listed.stdout).toMatch(
      /^NAME +ISSUER +CLIENT ID +MATCH BY +REQUIRED GROUPS +ADMIN GROUPS\ncorp +https/,
    );
    const json = await identity('provider', 'ls', '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: 'corp', admin_groups: ['ci-admins'], match_by: 'username' }),
    ]);
    for (const outcome of [added, listed, json])
      expect(outcome.stdout + outcome.stderr).not.toContain(SECRET);

    expect(await identity('provider', 'rm', 'corp')).toEqual({
      code: 0,
      stdout: 'removed OIDC provider corp\n',
      stderr: '',
    });
    expect(await rows()).toEqual([]);
    expect(await identity('provider', 'rm', 'corp')).toMatchObject({ code: 1 });
  });

  it('refuses a secret on the command line, a bad configuration (every problem) and a taken name', async () => {
    const base = ['provider', 'add', 'corp', '--issuer', 'https://id.example.com', '--client-id', 'drone'];
    expect(await identity(...base, '--client-secret', SECRET)).toMatchObject({ code: 2 });
    expect(await identity(...base)).toMatchObject({ code: 2 });
    const bad = await identity(
      'provider',
      'add',
      'Corp!',
      '--issuer',
      'http://id.example.com',
      '--client-id',
      'drone',
      '--client-secret-file',
      'secret.txt',
      '--scopes',
      'email',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('name must be');
    expect(bad.stderr).toContain('issuer must use https');
    expect(bad.stderr).toContain('scopes must include openid');
    expect(bad.stderr).not.toContain(SECRET);
    expect(await identity(...base, '--client-secret-file', 'secret.txt')).toMatchObject({ code: 0 });
    const again = await identity(...base, '--client-secret-file', 'secret.txt');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already an OIDC provider named corp');
    expect((await identity('provider', 'add', '--help')).stdout).toContain('--client-secret-file FILE');
    expect((await identity('provider', '--help')).code).toBe(0);
  });
});

describe('OIDC provider service and registry', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  beforeEach(async () => {
    t = await openTestStores();
  });
  afterEach(() => t.dispose());

  it('lets CI admins alone change providers, and audits each change', async () => {
    const audit = testAuditLog(t);
    const service = createOidcProviderService({
      store: t.oidcProviders,
      cipher: createSecretCipher(KEY),
      authorizer: testAuthorizer(audit),
      audit,
      clock: { now: () => 1_800_000_000_000 },
      logger: silentLogger,
    });
    const input = { name: 'corp', issuer: 'https://id.example.com', clientId: 'c', clientSecret: SECRET };
    expect((await refusal(service.add(person('mallory'), input))).code).toBe('FORBIDDEN');
    expect(await t.oidcProviders.list()).toEqual([]);
    const view = await service.add(person('alice', { admin: true }), input);
    expect(view).toMatchObject({ name: 'corp', match_by: 'email', scopes: ['openid', 'email', 'profile'] });
    expect(JSON.stringify(view)).not.toContain(SECRET);
    await service.remove(LOCAL_ADMIN, 'corp');
    const actions = (await t.audit.read()).map((row) => `${row.action} ${row.actor} ${row.decision}`);
    expect(actions).toEqual([
      'policy.deny gogs:mallory deny',
      'identity.provider.add gogs:alice allow',
      'identity.provider.remove local-admin allow',
    ]);
  });

  it('gives the login routes the current providers, seeing another process’s change within its interval', async () => {
    let now = 1_800_000_000_000;
    const clock = { now: () => now };
    const cipher = createSecretCipher(KEY);
    const audit = testAuditLog(t);
    // The other process: its own stores on the same database file.
    const other = await openStores({ url: t.url });
    try {
      const service = createOidcProviderService({
        store: other.oidcProviders,
        cipher,
        authorizer: testAuthorizer(audit),
        audit,
        clock,
        logger: silentLogger,
      });
      const registry = createOidcProviderRegistry({
        store: t.oidcProviders,
        cipher,
        clock,
        logger: silentLogger,
        checkEveryMs: 2_000,
      });
      expect((await registry.client()).providers()).toEqual([]);
      const input = { issuer: 'https://id.example.com', clientId: 'c', clientSecret: SECRET };
      await service.add(LOCAL_ADMIN, { ...input, name: 'corp' });
      expect((await registry.client()).providers()).toEqual([]);
      now += 2_000;
      const client = await registry.client();
      expect(client.providers()).toEqual(['corp']);
      expect((await registry.providers())[0]).toMatchObject({ clientSecret: SECRET, matchBy: 'email' });
      now += 2_000;
      expect(await registry.client()).toBe(client);

      await service.remove(LOCAL_ADMIN, 'corp');
      await service.add(LOCAL_ADMIN, { ...input, name: 'lab' });
      now += 2_000;
      expect((await registry.client()).providers()).toEqual(['lab']);
    } finally {
      await other.close();
    }
  });

  it('reads the stored providers at most once per interval, and sees a change made in this process at once', async () => {
    let now = 1_800_000_000_000;
    const clock = { now: () => now };
    const cipher = createSecretCipher(KEY);
    const audit = testAuditLog(t);
    const reads: string[] = [];
    const counted = {
      ...t.oidcProviders,
      version: () => {
        reads.push('version');
        return t.oidcProviders.version();
      },
      list: () => {
        reads.push('list');
        return t.oidcProviders.list();
      },
    };
    const registry = createOidcProviderRegistry({ store: counted, cipher, clock, logger: silentLogger });
    const service = createOidcProviderService({
      store: t.oidcProviders,
      cipher,
      authorizer: testAuthorizer(audit),
      audit,
      clock,
      logger: silentLogger,
      changed: () => registry.forget(),
    });
    const names = async () => (await registry.providers()).map((provider) => provider.name);
    const input = { issuer: 'https://id.example.com', clientId: 'c', clientSecret: SECRET };

    // Every GET of the login page asks; within 2 s only the first reaches the database.
    for (let page = 0; page < 5; page++) {
      expect(await names()).toEqual([]);
      now += 300;
    }
    expect(reads).toEqual(['version', 'list']);
    now += 500;
    expect(await names()).toEqual([]);
    expect(reads).toEqual(['version', 'list', 'version']);

    reads.length = 0;
    await service.add(LOCAL_ADMIN, { ...input, name: 'corp' });
    expect(await names()).toEqual(['corp']);
    await service.remove(LOCAL_ADMIN, 'corp');
    expect(await names()).toEqual([]);
    expect(reads).toEqual(['version', 'list', 'version', 'list']);
  });
});
