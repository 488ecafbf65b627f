import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { loadConfig } from '../../sidecar/config/index.ts';
import {
  gogsLinkTokenPlace,
  hookSecretPlace,
  oidcClientSecretPlace,
  previousHookSecretPlace,
  repoSecretScope,
  secretPlace,
} from '../../sidecar/core/index.ts';
import { openServices, type Services } from '../../sidecar/main.ts';
import { createBuildSecrets, createSecretCipher, secretKeyIdOf } from '../../sidecar/secrets/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';
import { runCommand } from '../support/run-command.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { pushClaims } from '../support/workload-issuer.ts';

type TempDir = Awaited<ReturnType<typeof makeTempDir>>;

/** The recorded push of repository 6, signed by Gogs with the hook secret `letmein`. */
const signedPush = fixtureBytes('push_signed.json');
const pushHeaders = fixtureJson<Record<string, string>>('push_signed.headers.json');

const PLAIN = {
  hook: 'letmein',
  previousHook: 'previous-hook-secret-77',
  build: 'build-secret-value-91',
  oidc: 'oidc-client-secret-53',
  gogsToken: 'gogs-link-token-0042',
  idToken: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.session-id-token-17',
};
const BUILD_SCOPE = repoSecretScope(6);

/** Every encrypted column, read from the database file itself. */
const COLUMNS = [
  ['repos', 'hook_secret'],
  ['repos', 'previous_hook_secret'],
  ['secrets', 'data'],
  ['oidc_providers', 'client_secret'],
  ['gogs_links', 'token'],
  ['session_keys', 'secret'],
  ['sessions', 'id_token'],
  ['workload_signing_keys', 'private_key'],
] as const;

async function storedCiphertexts(dataDir: string): Promise<{ column: string; value: string }[]> {
  const client = createClient({ url: pathToFileURL(join(dataDir, 'drone-gogs.db')).href });
  try {
    const found: { column: string; value: string }[] = [];
    for (const [table, column] of COLUMNS) {
      const result = await client.execute(
        `SELECT ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL`,
      );
      for (const row of result.rows) found.push({ column: `${table}.${column}`, value: String(row.value) });
    }
    return found;
  } finally {
    client.close();
  }
}

const keyIdsOf = (values: { value: string }[]) => values.map(({ value }) => value.split(':')[1]);

async function keyOnDisk(path: string): Promise<Buffer> {
  return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
}

function logged(lines: string[]) {
  return createLogger({ format: 'text', level: 'info', write: (line) => lines.push(line) });
}

async function open(dir: TempDir, env: NodeJS.ProcessEnv, lines: string[] = []): Promise<Services> {
  return openServices(loadConfig(env, dir.path), logged(lines));
}

/** A data dir whose database holds one value of each encrypted kind, written through the services. */
async function seededDataDir(dir: TempDir, extraEnv: Record<string, string> = {}) {
  const dataDir = join(dir.path, 'data');
  const env = {
    DRONE_GOGS_DATA_DIR: dataDir,
    DRONE_GOGS_DOCKER_HOST: `unix://${join(dir.path, 'no-docker.sock')}`,
    ...extraEnv,
  };
  const services = await open(dir, env);
  const { stores, cipher } = services;
  const now = Date.now();
  const repo = await stores.repos.upsertFacts(repoFacts('maarten/webhook-test', 6));
  await stores.repos.update(repo.id, {
    active: true,
    hookSecret: cipher.encrypt(PLAIN.hook, hookSecretPlace(6)),
    previousHookSecret: cipher.encrypt(PLAIN.previousHook, previousHookSecretPlace(6)),
    previousHookSecretUntil: now + 3_600_000,
  });
  await stores.secrets.add({
    scope: BUILD_SCOPE,
    name: 'DEPLOY_TOKEN',
    data: cipher.encrypt(PLAIN.build, secretPlace(BUILD_SCOPE, 'DEPLOY_TOKEN')),
    pullRequest: false,
    createdBy: 'admin',
  });
  await stores.oidcProviders.add({
    name: 'corp',
    issuer: 'https://id.example.com',
    clientId: 'drone-gogs',
    clientSecret: cipher.encrypt(PLAIN.oidc, oidcClientSecretPlace('corp')),
    scopes: ['openid'],
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    requiredGroups: [],
    adminGroups: [],
    requireVerifiedEmail: true,
    matchBy: 'email',
    roleGroups: {},
    createdAt: now,
    updatedAt: now,
  });
  const user = await stores.users.upsert({ gogsId: 1, login: 'alice', email: '', fullName: '' });
  await stores.gogsLinks.put({
    userId: user.id,
    token: cipher.encrypt(PLAIN.gogsToken, gogsLinkTokenPlace(user.id)),
    source: 'pasted',
    createdAt: now,
    checkedAt: now,
  });
  const session = await services.sessions.start(
    { userId: user.id, identityId: null, login: 'alice', admin: false, roles: [], subject: null },
    now,
    { idToken: PLAIN.idToken },
  );
  await services.workloadTokens.rotate();
  const keyId = cipher.keyId;
  await services.close();
  const oldKey = extraEnv.DRONE_GOGS_SECRET_KEY
    ? Buffer.from(extraEnv.DRONE_GOGS_SECRET_KEY, 'hex')
    : await keyOnDisk(join(dataDir, 'secret.key'));
  const values = await storedCiphertexts(dataDir);
  return { env, dataDir, cookie: session.cookie, userId: user.id, oldKey, oldKeyId: keyId, values };
}

/** Every value read back through the services that use it, from a process opened now. */
async function expectEveryValueReadable(
  dir: TempDir,
  env: NodeJS.ProcessEnv,
  seeded: { cookie: string; userId: number },
) {
  const services = await open(dir, env);
  try {
    const { cipher, stores } = services;
    const buildSecrets = createBuildSecrets({ secrets: stores.secrets, cipher, logger: services.logger });
    const repo = { gogsId: 6, owner: 'maarten', fullName: 'maarten/webhook-test' };
    expect(await buildSecrets.forBuild(repo, { event: 'push', fork: '' })).toEqual({
      DEPLOY_TOKEN: PLAIN.build,
    });
    const hook = await services.inbox.receive({
      event: pushHeaders['X-Gogs-Event'],
      deliveryId: `${pushHeaders['X-Gogs-Delivery']}-${randomBytes(4).toString('hex')}`,
      signature: pushHeaders['X-Gogs-Signature'],
      contentType: 'application/json',
      userAgent: 'GogsServer',
      body: signedPush,
      repoHint: '6',
    });
    expect(hook.outcome).toBe('accepted');
    const resolved = await services.sessions.resolve(seeded.cookie, Date.now());
    expect(resolved).not.toBeNull();
    expect(resolved && services.sessions.idTokenOf(resolved.session)).toBe(PLAIN.idToken);
    const { token } = await services.workloadTokens.issue(pushClaims(), {
      audience: 'https://vault.example.com',
    });
    expect(token.split('.')).toHaveLength(3);
    const [repoRow] = await stores.repos.list();
    expect(cipher.decrypt(repoRow!.previousHookSecret!, previousHookSecretPlace(6))).toBe(PLAIN.previousHook);
    const [provider] = await stores.oidcProviders.list();
    expect(cipher.decrypt(provider!.clientSecret, oidcClientSecretPlace('corp'))).toBe(PLAIN.oidc);
    const link = await stores.gogsLinks.find(seeded.userId);
    expect(cipher.decrypt(link!.token, gogsLinkTokenPlace(seeded.userId))).toBe(PLAIN.gogsToken);
  } finally {
    await services.close();
  }
}

const rotate = (dir: TempDir, env: NodeJS.ProcessEnv, ...args: string[]) =>
  runCommand(runCli, ['rotate', 'secret-key', ...args], { cwd: dir.path, env });

/** What the audit log says, as exported, and whether its chain checks. */
async function auditOf(dir: TempDir, env: NodeJS.ProcessEnv) {
  const exported = await runCommand(runCli, ['audit', 'export'], { cwd: dir.path, env });
  const verified = await runCommand(runCli, ['audit', 'verify'], { cwd: dir.path, env });
  return { exported: exported.stdout, verified };
}

function expectNoKeyMaterial(text: string, ...keys: Buffer[]) {
  for (const key of keys) {
    expect(text).not.toContain(key.toString('hex'));
    expect(text).not.toContain(key.toString('base64'));
    expect(text).not.toContain(key.toString('base64url'));
  }
}

describe('drone-gogs rotate secret-key', () => {
  let dir: TempDir;
  let sidecar: SidecarProcess | undefined;
  afterEach(async () => {
    await sidecar?.kill().catch(() => {});
    sidecar = undefined;
    await dir.remove();
  });

  it('re-encrypts every encrypted column under a new key, in batches, and every value still reads', async () => {
    dir = await makeTempDir();
    const seeded = await seededDataDir(dir);
    expect(seeded.values.map(({ column }) => column)).toEqual(COLUMNS.map(([t, c]) => `${t}.${c}`));
    expect(new Set(keyIdsOf(seeded.values))).toEqual(new Set([seeded.oldKeyId]));

    const rotated = await rotate(dir, seeded.env, '--batch-size', '2');
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const newKey = await keyOnDisk(join(seeded.dataDir, 'secret.key'));
    const newKeyId = secretKeyIdOf(newKey);
    expect(newKeyId).not.toBe(seeded.oldKeyId);
    expect(rotated.stdout).toContain('re-encrypted 2/8 values\n');
    expect(rotated.stdout).toContain('re-encrypted 8/8 values\n');
    expect(rotated.stdout).toContain(
      `every value is now encrypted with key ${newKeyId}; re-encrypted 8 value(s): repos 2, secrets 1, workload_signing_keys 1, oidc_providers 1, gogs_links 1, session_keys 1, sessions 1`,
    );
    expect(rotated.stdout).toContain(`the old key(s) ${seeded.oldKeyId} stay in data/secret-keys/`);
    expect(rotated.stdout).toContain('--retire-old');

    // The database file: every value under the new key, none under the old.
    const after = await storedCiphertexts(seeded.dataDir);
    expect(after).toHaveLength(seeded.values.length);
    for (const { value } of after)
      expect(value).toMatch(new RegExp(`^v2:${newKeyId}:[\\w-]+:[\\w-]+:[\\w-]+$`));
    expect(after.some(({ value }) => value.includes(seeded.oldKeyId))).toBe(false);
    // The old key beside the new one, readable only by its owner.
    const kept = join(seeded.dataDir, 'secret-keys', `${seeded.oldKeyId}.key`);
    expect((await keyOnDisk(kept)).equals(seeded.oldKey)).toBe(true);
    expect((await stat(kept)).mode & 0o777).toBe(0o600);
    expect((await stat(join(seeded.dataDir, 'secret.key'))).mode & 0o777).toBe(0o600);

    await expectEveryValueReadable(dir, seeded.env, seeded);

    const audit = await auditOf(dir, seeded.env);
    const row = audit.exported.split('\n').find((line) => line.includes('"secret-key.rotate"'));
    expect(JSON.parse(row ?? '{}')).toMatchObject({
      actor: 'local-admin',
      detail: { from: seeded.oldKeyId, to: newKeyId, reencrypted: 8, resumed: false },
    });
    expect(audit.verified).toMatchObject({ code: 0 });
    expectNoKeyMaterial(rotated.stdout + rotated.stderr + audit.exported, seeded.oldKey, newKey);
  });

  it('a serve started with the old key set reads values re-encrypted under the new key, after reading the keys again', async () => {
    dir = await makeTempDir();
    const seeded = await seededDataDir(dir);
    sidecar = await startSidecarProcess({ cwd: dir.path, env: seeded.env });

    expect((await rotate(dir, seeded.env)).code).toBe(0);
    const newKeyId = secretKeyIdOf(await keyOnDisk(join(seeded.dataDir, 'secret.key')));
    const [repo] = (await storedCiphertexts(seeded.dataDir)).filter(
      ({ column }) => column === 'repos.hook_secret',
    );
    expect(repo!.value.startsWith(`v2:${newKeyId}:`)).toBe(true);

    // The serve holds only the old key: the hook secret it verifies this push with is under the new one.
    const answer = await fetch(`${sidecar.url}/hook`, {
      method: 'POST',
      body: signedPush,
      headers: pushHeaders,
    });
    expect(answer.status).toBe(202);
    expect(sidecar.output()).toContain(
      'secrets: met a value of a key this process did not hold; read the key ring again',
    );
    expect(sidecar.output()).toMatch(new RegExp(`keyId=${newKeyId} found=true currentKeyId=${newKeyId}`));
    expectNoKeyMaterial(sidecar.output(), seeded.oldKey);

    // Without the reload, the same process would have refused it.
    const withOldKeyOnly = createSecretCipher(seeded.oldKey);
    expect(() => withOldKeyOnly.decrypt(repo!.value, hookSecretPlace(6))).toThrow(/encrypted with key/);
  });

  it('an open process with the old key set adopts the new key once it met a value of it', async () => {
    dir = await makeTempDir();
    const seeded = await seededDataDir(dir);
    const lines: string[] = [];
    const stale = await open(dir, seeded.env, lines);
    try {
      expect((await rotate(dir, seeded.env)).code).toBe(0);
      const newKeyId = secretKeyIdOf(await keyOnDisk(join(seeded.dataDir, 'secret.key')));
      const buildSecrets = createBuildSecrets({
        secrets: stale.stores.secrets,
        cipher: stale.cipher,
        logger: stale.logger,
      });
      const repo = { gogsId: 6, owner: 'maarten', fullName: 'maarten/webhook-test' };
      expect(await buildSecrets.forBuild(repo, { event: 'push', fork: '' })).toEqual({
        DEPLOY_TOKEN: PLAIN.build,
      });
      expect(lines.join('\n')).toContain('read the key ring again');
      expect(stale.cipher.keyId).toBe(newKeyId);
      expect(stale.cipher.encrypt('new', 'a:place').startsWith(`v2:${newKeyId}:`)).toBe(true);
    } finally {
      await stale.close();
    }
  });

  it('an interrupted rotation loses nothing, refuses to retire the old key, and finishes when run again', async () => {
    dir = await makeTempDir();
    const seeded = await seededDataDir(dir);
    const services = await openServices(loadConfig(seeded.env, dir.path), logged([]), undefined, {
      upgradeStoredSecrets: false,
    });
    let batches = 0;
    await expect(
      services.secretKeyRotation.rotate({
        batchSize: 2,
        onBatch: () => {
          batches++;
          throw new Error('the process died after its first batch');
        },
      }),
    ).rejects.toThrow('the process died after its first batch');
    await services.close();
    expect(batches).toBe(1);

    const newKeyId = secretKeyIdOf(await keyOnDisk(join(seeded.dataDir, 'secret.key')));
    const midway = keyIdsOf(await storedCiphertexts(seeded.dataDir));
    expect(midway.filter((id) => id === newKeyId)).toHaveLength(2);
    expect(midway.filter((id) => id === seeded.oldKeyId)).toHaveLength(6);

    const refused = await rotate(dir, seeded.env, '--retire-old');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`key ${seeded.oldKeyId} is still needed by 6 value(s)`);
    expect(refused.stderr).toContain('no key was retired');
    expect(
      (await keyOnDisk(join(seeded.dataDir, 'secret-keys', `${seeded.oldKeyId}.key`))).equals(seeded.oldKey),
    ).toBe(true);

    const again = await rotate(dir, seeded.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `finished the interrupted rotation: every value is now encrypted with key ${newKeyId}`,
    );
    expect(again.stdout).toContain('re-encrypted 6 value(s)');
    // The same new key: running again finished that rotation instead of starting another.
    expect(secretKeyIdOf(await keyOnDisk(join(seeded.dataDir, 'secret.key')))).toBe(newKeyId);
    expect(new Set(keyIdsOf(await storedCiphertexts(seeded.dataDir)))).toEqual(new Set([newKeyId]));
    await expectEveryValueReadable(dir, seeded.env, seeded);

    const retired = await rotate(dir, seeded.env, '--retire-old');
    expect(retired.code).toBe(0);
    expect(retired.stdout).toContain(`removed retired key(s) ${seeded.oldKeyId} from data/secret-keys/`);
    await expect(stat(join(seeded.dataDir, 'secret-keys', `${seeded.oldKeyId}.key`))).rejects.toThrow(
      /ENOENT/,
    );
    await expectEveryValueReadable(dir, seeded.env, seeded);
    // Audit rows sealed with the retired key still check, with the audit key kept in its place.
    const audit = await auditOf(dir, seeded.env);
    expect(audit.verified).toMatchObject({ code: 0 });
    expect(audit.exported).toContain('"secret-key.retire"');
    expect(audit.exported).toContain(`"key_id":"${seeded.oldKeyId}"`);
    expectNoKeyMaterial(refused.stderr + again.stdout + retired.stdout + audit.exported, seeded.oldKey);
  });

  it('refuses to retire a key that a value written by an old process still needs, until that value is re-encrypted', async () => {
    dir = await makeTempDir();
    const seeded = await seededDataDir(dir);
    expect((await rotate(dir, seeded.env)).code).toBe(0);
    // A process that never met the new key writes a build secret under the old one.
    const old = createSecretCipher(seeded.oldKey);
    const services = await open(dir, seeded.env);
    await services.stores.secrets.add({
      scope: BUILD_SCOPE,
      name: 'LATE',
      data: old.encrypt('written late', secretPlace(BUILD_SCOPE, 'LATE')),
      pullRequest: false,
      createdBy: 'admin',
    });
    await services.close();

    const refused = await rotate(dir, seeded.env, '--retire-old');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`key ${seeded.oldKeyId} is still needed by 1 value(s) (secrets 1)`);
    await stat(join(seeded.dataDir, 'secret-keys', `${seeded.oldKeyId}.key`));

    const finished = await rotate(dir, seeded.env);
    expect(finished.stdout).toContain('finished the interrupted rotation');
    expect(finished.stdout).toContain('re-encrypted 1 value(s): secrets 1');
    expect((await rotate(dir, seeded.env, '--retire-old')).code).toBe(0);
    const reopened = await open(dir, seeded.env);
    try {
      const late = (await reopened.stores.secrets.list([BUILD_SCOPE])).find((row) => row.name === 'LATE');
      expect(reopened.cipher.decrypt(late!.data, secretPlace(BUILD_SCOPE, 'LATE'))).toBe('written late');
    } finally {
      await reopened.close();
    }
  });

  it('with DRONE_GOGS_SECRET_KEY writes no file, prints a new key once, then re-encrypts under the key set', async () => {
    dir = await makeTempDir();
    const oldKey = randomBytes(32);
    const seeded = await seededDataDir(dir, { DRONE_GOGS_SECRET_KEY: oldKey.toString('hex') });

    const refused = await rotate(dir, seeded.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('comes from DRONE_GOGS_SECRET_KEY');
    expect(refused.stderr).toContain('--print-new-key');
    expect(refused.stderr).toContain('DRONE_GOGS_SECRET_KEYS_RETIRED');
    await expect(stat(join(seeded.dataDir, 'secret.key'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(seeded.dataDir, 'secret-keys'))).rejects.toThrow(/ENOENT/);

    const printed = await rotate(dir, seeded.env, '--print-new-key');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const newKey = Buffer.from(printed.stdout.trim(), 'hex');
    expect(printed.stderr).toContain(`key ${secretKeyIdOf(newKey)}`);
    expect(new Set(keyIdsOf(await storedCiphertexts(seeded.dataDir)))).toEqual(new Set([seeded.oldKeyId]));

    const env = {
      ...seeded.env,
      DRONE_GOGS_SECRET_KEY: newKey.toString('hex'),
      DRONE_GOGS_SECRET_KEYS_RETIRED: oldKey.toString('hex'),
    };
    const finished = await rotate(dir, env);
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain(`every value is now encrypted with key ${secretKeyIdOf(newKey)}`);
    expect(new Set(keyIdsOf(await storedCiphertexts(seeded.dataDir)))).toEqual(
      new Set([secretKeyIdOf(newKey)]),
    );
    await expect(stat(join(seeded.dataDir, 'secret.key'))).rejects.toThrow(/ENOENT/);

    const retired = await rotate(dir, env, '--retire-old');
    expect(retired.stdout).toContain('remove them from DRONE_GOGS_SECRET_KEYS_RETIRED');
    const withoutOld = { ...seeded.env, DRONE_GOGS_SECRET_KEY: newKey.toString('hex') };
    await expectEveryValueReadable(dir, withoutOld, seeded);
    const audit = await auditOf(dir, withoutOld);
    expect(audit.verified).toMatchObject({ code: 0 });
    expectNoKeyMaterial(
      refused.stderr + printed.stderr + finished.stdout + retired.stdout + audit.exported,
      oldKey,
      newKey,
    );
  });

  it('explains itself with --help', async () => {
    dir = await makeTempDir();
    const help = await rotate(dir, {}, '--help');
    expect(help.code).toBe(0);
    for (const part of [
      '--retire-old',
      '--print-new-key',
      '--batch-size',
      'secret-keys/<key id>.key',
      'DRONE_GOGS_SECRET_KEYS_RETIRED',
      'audit-key',
    ]) {
      expect(help.stdout).toContain(part);
    }
  });
});

describe('the key ring of the cipher', () => {
  it('decrypts with any key it holds, encrypts with the current one, and reads the keys again once per unknown id', () => {
    const [first, second, third] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const old = createSecretCipher(first);
    const stored = old.encrypt('kept', 'a:place');
    let onDisk = { current: second, retired: [first] };
    let reloads = 0;
    const lines: string[] = [];
    const cipher = createSecretCipher(
      { current: second, retired: [] },
      {
        reload: () => {
          reloads++;
          return onDisk;
        },
        logger: logged(lines),
      },
    );
    expect(cipher.decrypt(stored, 'a:place')).toBe('kept');
    expect(reloads).toBe(1);
    expect(cipher.ring.retiredKeyIds()).toEqual([secretKeyIdOf(first)]);
    expect(cipher.encrypt('new', 'a:place').startsWith(`v2:${secretKeyIdOf(second)}:`)).toBe(true);

    const foreign = createSecretCipher(third).encrypt('not ours', 'a:place');
    onDisk = { current: second, retired: [first] };
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(() => cipher.decrypt(foreign, 'a:place')).toThrow(
        expect.objectContaining({
          code: 'DECRYPT_FAILED',
          details: { reason: 'unknown-key', place: 'a:place' },
        }),
      );
    }
    expect(reloads).toBe(2);
    expect(lines.filter((line) => line.includes('read the key ring again'))).toHaveLength(2);
    expectNoKeyMaterial(lines.join('\n'), first, second, third);
  });
});
