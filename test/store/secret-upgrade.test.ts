import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import {
  hookSecretPlace,
  orgSecretScope,
  previousHookSecretPlace,
  repoSecretScope,
  secretPlace,
  systemClock,
} from '../../sidecar/core/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { openDatabase, openStores } from '../../sidecar/store/index.ts';
import type { Database } from '../../sidecar/store/open-database.ts';
import { upgradeStoredSecrets } from '../../sidecar/store/secret-upgrade.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { createHookSecretResolver } from '../../sidecar/webhooks/index.ts';
import { encryptAsV1 } from '../secrets/old-format.ts';
import { runCommand } from '../support/run-command.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

type TempDir = Awaited<ReturnType<typeof makeTempDir>>;

const key = randomBytes(32);
const cipher = createSecretCipher(key);
const v1 = (plaintext: string, withKey = key) => encryptAsV1(withKey, randomBytes(12), plaintext);

/** A data dir whose database holds hook secrets as the code before v2 stored them (through its repo store). */
async function databaseOfTheOldFormat(
  dir: TempDir,
  rows: { gogsId: number; hookSecret: string | null; previousHookSecret?: string }[],
) {
  const dataDir = join(dir.path, 'data');
  const url = pathToFileURL(join(dataDir, 'drone-gogs.db')).href;
  const stores = await openStores({ url });
  for (const row of rows) {
    const repo = await stores.repos.upsertFacts(repoFacts(`owner/repo-${row.gogsId}`, row.gogsId));
    await stores.repos.update(repo.id, {
      active: true,
      hookSecret: row.hookSecret,
      previousHookSecret: row.previousHookSecret ?? null,
      previousHookSecretUntil: row.previousHookSecret ? Date.now() + 3_600_000 : null,
    });
  }
  await stores.close();
  const env = { DRONE_GOGS_DATA_DIR: dataDir, DRONE_GOGS_SECRET_KEY: key.toString('hex') };
  return { url, env, migrate: () => runCommand(runCli, ['migrate'], { cwd: dir.path, env }) };
}

async function readRepos(url: string) {
  const stores = await openStores({ url, migrate: false });
  try {
    return (await stores.repos.list()).sort((a, b) => a.gogsId - b.gogsId);
  } finally {
    await stores.close();
  }
}

describe('migrate upgrades stored secrets to the current format', () => {
  let dir: TempDir;
  afterEach(() => dir.remove());

  it('re-encrypts v1 hook secrets of both columns as v2 bound to their place, once', async () => {
    dir = await makeTempDir();
    const db = await databaseOfTheOldFormat(dir, [
      { gogsId: 6, hookSecret: v1('current-six'), previousHookSecret: v1('previous-six') },
      { gogsId: 9, hookSecret: v1('current-nine') },
      { gogsId: 11, hookSecret: null },
    ]);
    const before = await readRepos(db.url);
    expect(before.map((repo) => repo.hookSecret?.slice(0, 3) ?? null)).toEqual(['v1.', 'v1.', null]);

    const migrated = await db.migrate();
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stderr).not.toContain('cannot upgrade');
    expect(migrated.stderr).toContain('store: re-encrypted 3 stored secret(s) in the current format');

    const after = await readRepos(db.url);
    const [six, nine, eleven] = after;
    for (const stored of [six!.hookSecret, six!.previousHookSecret, nine!.hookSecret]) {
      expect(stored).toMatch(new RegExp(`^v2:${cipher.keyId}:[\\w-]+:[\\w-]+:[\\w-]+$`));
    }
    expect(cipher.decrypt(six!.hookSecret!, hookSecretPlace(6))).toBe('current-six');
    expect(cipher.decrypt(six!.previousHookSecret!, previousHookSecretPlace(6))).toBe('previous-six');
    expect(cipher.decrypt(nine!.hookSecret!, hookSecretPlace(9))).toBe('current-nine');
    expect(eleven).toMatchObject({ hookSecret: null, previousHookSecret: null });
    expect(after.map((repo) => repo.version - before.find((b) => b.id === repo.id)!.version)).toEqual([
      1, 1, 0,
    ]);

    // What the inbox verifies with: both secrets of the rotation grace, from the upgraded rows.
    const stores = await openStores({ url: db.url, migrate: false });
    const resolver = createHookSecretResolver({ repos: stores.repos, cipher, clock: systemClock });
    expect((await resolver.forGogsRepo(6))?.secrets).toEqual(['current-six', 'previous-six']);
    await stores.close();

    const again = await db.migrate();
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('re-encrypted');
    expect(await readRepos(db.url)).toEqual(after);
  });

  it("re-encrypts the builds' repository and organisation secrets too, bound to their scope and name", async () => {
    dir = await makeTempDir();
    const db = await databaseOfTheOldFormat(dir, []);
    const stores = await openStores({ url: db.url, migrate: false });
    const current = cipher.encrypt('kept', secretPlace(repoSecretScope(6), 'kept'));
    for (const [scope, name, data] of [
      [repoSecretScope(6), 'Deploy_Key', v1('repo value')],
      [orgSecretScope('Acme'), 'token', v1('org value')],
      [repoSecretScope(6), 'kept', current],
      [repoSecretScope(6), 'foreign', v1('another key', randomBytes(32))],
    ] as const) {
      await stores.secrets.add({ scope, name, data, pullRequest: false, createdBy: 'admin' });
    }
    await stores.close();

    const migrated = await db.migrate();
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toContain('store: re-encrypted 2 stored secret(s) in the current format');
    expect(migrated.stderr).toContain(`store: cannot upgrade ${secretPlace(repoSecretScope(6), 'foreign')}`);
    expect(migrated.stderr).not.toContain('repo value');

    const reopened = await openStores({ url: db.url, migrate: false });
    const stored = new Map(
      (await reopened.secrets.list([repoSecretScope(6), orgSecretScope('acme')])).map((row) => [
        row.name,
        row,
      ]),
    );
    await reopened.close();
    const repoSecret = stored.get('Deploy_Key')!;
    expect(repoSecret.data.startsWith(`v2:${cipher.keyId}:`)).toBe(true);
    expect(cipher.decrypt(repoSecret.data, secretPlace(repoSecretScope(6), 'deploy_key'))).toBe('repo value');
    expect(repoSecret.version).toBe(2);
    expect(cipher.decrypt(stored.get('token')!.data, secretPlace(orgSecretScope('acme'), 'token'))).toBe(
      'org value',
    );
    expect(stored.get('kept')).toMatchObject({ data: current, version: 1 });
    expect(stored.get('foreign')!.data.startsWith('v1.')).toBe(true);
  });

  it('leaves a value it cannot decrypt as it is, says which, and upgrades the rest', async () => {
    dir = await makeTempDir();
    const db = await databaseOfTheOldFormat(dir, [
      { gogsId: 6, hookSecret: v1('mine') },
      { gogsId: 9, hookSecret: v1('another key', randomBytes(32)) },
    ]);
    const unreadable = (await readRepos(db.url))[1]!.hookSecret;

    const migrated = await db.migrate();
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toContain('store: cannot upgrade repos.hook_secret:9');
    expect(migrated.stderr).toContain('`drone-gogs hooks rotate owner/repo-9` replaces it');
    const [six, nine] = await readRepos(db.url);
    expect(cipher.decrypt(six!.hookSecret!, hookSecretPlace(6))).toBe('mine');
    expect(nine!.hookSecret).toBe(unreadable);
  });

  it('upgrades nothing twice when another process upgraded between its first look and its transaction', async () => {
    dir = await makeTempDir();
    const db = await databaseOfTheOldFormat(dir, [
      { gogsId: 6, hookSecret: v1('six'), previousHookSecret: v1('six before') },
      { gogsId: 9, hookSecret: v1('nine') },
    ]);
    const quiet = createLogger({ format: 'text', level: 'error', write: () => {} });
    const first = await openDatabase({ url: db.url });
    const second = await openDatabase({ url: db.url });
    let secondUpgraded = -1;
    // The first process has read the rows and found old values; the second one upgrades them all before the
    // first process's write transaction begins.
    const firstWithAnotherProcessInBetween = {
      select: first.db.select.bind(first.db),
      transaction: async (run: Parameters<Database['transaction']>[0]) => {
        secondUpgraded = await upgradeStoredSecrets(second.db, cipher, quiet);
        return first.db.transaction(run);
      },
    } as unknown as Database;
    const firstUpgraded = await upgradeStoredSecrets(firstWithAnotherProcessInBetween, cipher, quiet);
    first.close();
    second.close();
    expect({ firstUpgraded, secondUpgraded }).toEqual({ firstUpgraded: 0, secondUpgraded: 3 });
    const [six, nine] = await readRepos(db.url);
    expect(cipher.decrypt(six!.previousHookSecret!, previousHookSecretPlace(6))).toBe('six before');
    expect(cipher.decrypt(nine!.hookSecret!, hookSecretPlace(9))).toBe('nine');
    expect(six!.version).toBe(3);
  });
});
