import { eq, isNotNull, or, sql } from 'drizzle-orm';
import {
  AppError,
  hookSecretPlace,
  type Logger,
  previousHookSecretPlace,
  type SecretUpgrader,
  secretPlace,
  workloadSigningKeyPlace,
} from '../core/index.ts';
import type { Database } from './open-database.ts';
import { repos, secrets, workloadSigningKeys } from './schema.ts';

const selectEncrypted = (from: Pick<Database, 'select'>) =>
  from
    .select({
      id: repos.id,
      gogsId: repos.gogsId,
      fullName: repos.fullName,
      hookSecret: repos.hookSecret,
      previousHookSecret: repos.previousHookSecret,
    })
    .from(repos)
    .where(or(isNotNull(repos.hookSecret), isNotNull(repos.previousHookSecret)));

type EncryptedRow = Awaited<ReturnType<typeof selectEncrypted>>[number];

/** Every encrypted column and the place its values are bound to. */
const ENCRYPTED_COLUMNS = [
  { column: 'hookSecret', place: (row: EncryptedRow) => hookSecretPlace(row.gogsId) },
  { column: 'previousHookSecret', place: (row: EncryptedRow) => previousHookSecretPlace(row.gogsId) },
] as const;

const stale = (upgrader: SecretUpgrader, row: EncryptedRow) =>
  ENCRYPTED_COLUMNS.filter(({ column }) => {
    const stored = row[column];
    return stored !== null && !upgrader.isCurrent(stored);
  });

const selectSecrets = (from: Pick<Database, 'select'>) =>
  from.select({ id: secrets.id, scope: secrets.scope, name: secrets.name, data: secrets.data }).from(secrets);

const selectSigningKeys = (from: Pick<Database, 'select'>) =>
  from
    .select({ kid: workloadSigningKeys.kid, privateKey: workloadSigningKeys.privateKey })
    .from(workloadSigningKeys);

/**
 * Migrate's data step: re-encrypts every stored secret (the repositories' hook secrets, the repository and
 * organisation secrets of builds, the private halves of workload signing keys) that is not in the current
 * format or key (SQL migrations cannot), in one write transaction that rereads the rows, so several processes
 * migrating at once upgrade each value once and never overwrite a newer one. Idempotent; when every value is
 * current it only reads. A value that does not decrypt is left as it is, with a warning naming its place.
 * Returns how many values it upgraded.
 */
export async function upgradeStoredSecrets(
  db: Database,
  upgrader: SecretUpgrader,
  logger: Logger,
): Promise<number> {
  const rows = await selectEncrypted(db);
  const buildSecrets = await selectSecrets(db);
  const signingKeys = await selectSigningKeys(db);
  if (
    !rows.some((row) => stale(upgrader, row).length > 0) &&
    buildSecrets.every((row) => upgrader.isCurrent(row.data)) &&
    signingKeys.every((row) => upgrader.isCurrent(row.privateKey))
  )
    return 0;
  return db.transaction(async (tx) => {
    let upgraded = 0;
    for (const row of await selectEncrypted(tx)) {
      const change: Partial<Record<(typeof ENCRYPTED_COLUMNS)[number]['column'], string>> = {};
      for (const { column, place } of stale(upgrader, row)) {
        try {
          change[column] = upgrader.upgrade(row[column] ?? '', place(row));
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          logger.warn(
            `store: cannot upgrade ${place(row)}: ${error.message}; \`drone-gogs hooks rotate ${row.fullName}\` replaces it`,
            { repo: row.fullName },
          );
        }
      }
      const count = Object.keys(change).length;
      if (count === 0) continue;
      await tx
        .update(repos)
        .set({ ...change, version: sql`${repos.version} + 1` })
        .where(eq(repos.id, row.id));
      upgraded += count;
    }
    for (const row of await selectSecrets(tx)) {
      if (upgrader.isCurrent(row.data)) continue;
      const place = secretPlace(row.scope, row.name);
      try {
        const data = upgrader.upgrade(row.data, place);
        await tx
          .update(secrets)
          .set({ data, version: sql`${secrets.version} + 1` })
          .where(eq(secrets.id, row.id));
        upgraded++;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        logger.warn(
          `store: cannot upgrade ${place}: ${error.message}; \`drone-gogs secret update\` with the value replaces it`,
        );
      }
    }
    for (const row of await selectSigningKeys(tx)) {
      if (upgrader.isCurrent(row.privateKey)) continue;
      const place = workloadSigningKeyPlace(row.kid);
      try {
        const privateKey = upgrader.upgrade(row.privateKey, place);
        await tx.update(workloadSigningKeys).set({ privateKey }).where(eq(workloadSigningKeys.kid, row.kid));
        upgraded++;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        logger.warn(
          `store: cannot upgrade ${place}: ${error.message}; workload tokens cannot be signed with it`,
        );
      }
    }
    if (upgraded > 0) logger.info(`store: re-encrypted ${upgraded} stored secret(s) in the current format`);
    return upgraded;
  });
}
