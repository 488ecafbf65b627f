/**
 * The secret store on a real database file migrated from drizzle/: names unique per scope without regard to case
 * (decided by the database, also between concurrent adders), versions, and what lands in the file: the stored
 * row is a ciphertext bound to its scope and name, and one copied to another row does not decrypt.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError, LOCAL_ADMIN, secretPlace } from '../../sidecar/core/index.ts';
import { createBuildSecrets, createSecretCipher, createSecretService } from '../../sidecar/secrets/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { databaseBytes, leaksOf } from '../secrets/leak-search.ts';
import { openTestStores, repoFacts, testAuditLog, testAuthorizer } from '../support/stores.ts';

const row = (scope: string, name: string, data = 'v2:x') => ({
  scope,
  name,
  data,
  pullRequest: false,
  createdBy: 'local-admin',
});

describe('the secret store', () => {
  let stores: Awaited<ReturnType<typeof openTestStores>>;
  beforeEach(async () => {
    stores = await openTestStores();
  });
  afterEach(() => stores.dispose());

  it('keeps one secret per scope and name in any case, also when several add it at once', async () => {
    const first = await stores.secrets.add(row('repo:7', 'Token'));
    expect(first).toMatchObject({ scope: 'repo:7', name: 'Token', version: 1 });
    expect(await stores.secrets.add(row('repo:7', 'TOKEN'))).toBeNull();
    expect(await stores.secrets.add(row('repo:8', 'TOKEN'))).toMatchObject({ name: 'TOKEN' });
    expect(await stores.secrets.add(row('org:alice', 'token'))).toMatchObject({ name: 'token' });
    expect((await stores.secrets.find('repo:7', 'tOkEn'))?.id).toBe(first?.id);
    expect(await stores.secrets.find('repo:9', 'token')).toBeNull();

    const racing = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        stores.secrets.add(row('repo:7', `race${'_'.repeat(index % 2)}`)),
      ),
    );
    expect(racing.flatMap((each) => (each === null ? [] : [each.name])).sort()).toEqual(['race', 'race_']);

    expect(
      (await stores.secrets.list(['repo:7', 'org:alice'])).map((each) => `${each.scope} ${each.name}`),
    ).toEqual(['org:alice token', 'repo:7 race', 'repo:7 race_', 'repo:7 Token']);
    expect(await stores.secrets.list([])).toEqual([]);
  });

  it('updates only the version it read, and removes once', async () => {
    const added = await stores.secrets.add(row('repo:7', 'TOKEN', 'first'));
    const id = added?.id ?? 0;
    const updated = await stores.secrets.update(id, { data: 'second', pullRequest: true }, 1);
    expect(updated).toMatchObject({ data: 'second', pullRequest: true, version: 2 });
    expect(await stores.secrets.update(id, { data: 'stale' }, 1)).toBeNull();
    expect((await stores.secrets.find('repo:7', 'token'))?.data).toBe('second');
    expect(await stores.secrets.remove(id)).toBe(true);
    expect(await stores.secrets.remove(id)).toBe(false);
    expect(await stores.secrets.update(id, { data: 'gone' })).toBeNull();
  });

  it('holds a ciphertext in the file, never the value; copied to another row it does not decrypt', async () => {
    await stores.repos.upsertFacts(repoFacts('alice/app', 7));
    const cipher = createSecretCipher(randomBytes(32));
    const service = createSecretService({
      secrets: stores.secrets,
      repos: stores.repos,
      cipher,
      logger: silentLogger,
      audit: testAuditLog(stores),
      authorizer: testAuthorizer(testAuditLog(stores)),
    });
    const builds = createBuildSecrets({ secrets: stores.secrets, cipher, logger: silentLogger });
    const value = randomBytes(24).toString('hex');
    await service.add(LOCAL_ADMIN, { repo: 'alice/app' }, { name: 'DEPLOY', value, pullRequest: false });
    await service.add(
      LOCAL_ADMIN,
      { repo: 'alice/app' },
      { name: 'OTHER', value: 'other-value', pullRequest: false },
    );
    await service.add(
      LOCAL_ADMIN,
      { org: 'alice' },
      { name: 'DEPLOY2', value: 'org-value', pullRequest: false },
    );

    const client = createClient({ url: stores.url });
    try {
      const rows = (await client.execute('select scope, name, data from secrets order by id')).rows;
      expect(rows.map((each) => [each.scope, each.name])).toEqual([
        ['repo:7', 'DEPLOY'],
        ['repo:7', 'OTHER'],
        ['org:alice', 'DEPLOY2'],
      ]);
      const data = String(rows[0]?.data);
      expect(data).toMatch(new RegExp(`^v2:${cipher.keyId}:`));
      expect(cipher.decrypt(data, secretPlace('repo:7', 'deploy'))).toBe(value);
      const { bytes } = await databaseBytes(dirname(fileURLToPath(stores.url)), 'test.db');
      expect(bytes.includes(Buffer.from(data))).toBe(true);
      expect(leaksOf(value, bytes)).toEqual([]);

      // Bound to the scope and the name: not readable under another name, in another scope, or altered.
      for (const place of [
        secretPlace('repo:7', 'OTHER'),
        secretPlace('repo:8', 'DEPLOY'),
        secretPlace('org:alice', 'DEPLOY'),
      ])
        expect(() => cipher.decrypt(data, place)).toThrow(/altered or copied from another place/);

      // What an attacker with write access to the file could try: DEPLOY's ciphertext into OTHER's row.
      await client.execute({ sql: "update secrets set data = ? where name = 'OTHER'", args: [data] });
      const error = await builds
        .forBuild({ gogsId: 7, owner: 'alice', fullName: 'alice/app' }, { event: 'push', fork: '' })
        .then(
          () => null,
          (caught: unknown) => caught,
        );
      expect(isAppError(error, 'DECRYPT_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(
        /^the secret OTHER of alice\/app cannot be decrypted \(.*secrets\.data:repo:7:other.*\); set it again with `drone-gogs secret update alice\/app OTHER`$/,
      );
      expect((error as Error).message).not.toContain(value);
    } finally {
      client.close();
    }
  });
});
