import { and, asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import {
  AppError,
  type EncryptedValues,
  gogsLinkTokenPlace,
  hookSecretPlace,
  type Logger,
  oidcClientSecretPlace,
  previousHookSecretPlace,
  type ReencryptResult,
  type SecretUpgrader,
  secretPlace,
  sessionIdTokenPlace,
  sessionKeyPlace,
  type ValuesByKey,
  workloadSigningKeyPlace,
} from '../core/index.ts';
import type { Database } from './open-database.ts';
import {
  gogsLinks,
  oidcProviders,
  repos,
  secrets,
  sessionKeys,
  sessions,
  workloadSigningKeys,
} from './schema.ts';

type Row = Record<string, unknown> & { key: string | number };

/** One encrypted column: the property of the row that holds it, and the place its values are bound to. */
interface EncryptedColumn {
  property: string;
  column: SQLiteColumn;
  place(row: Row): string;
}

/** A table with encrypted columns: read by its primary key, a page at a time. */
interface EncryptedTable {
  name: string;
  table: SQLiteTable;
  key: SQLiteColumn;
  /** The other columns the places and hints need. */
  fields: Record<string, SQLiteColumn>;
  columns: EncryptedColumn[];
  /** Bumped with every change, where the table keeps a version for optimistic writes. */
  version?: SQLiteColumn;
  /** What replaces a value that cannot be decrypted. */
  hint(row: Row): string;
}

const text = (value: unknown) => String(value);

/** Every encrypted column of the database. A new one belongs here, or rotations leave its values behind. */
const ENCRYPTED_TABLES: readonly EncryptedTable[] = [
  {
    name: 'repos',
    table: repos,
    key: repos.id,
    fields: { gogsId: repos.gogsId, fullName: repos.fullName },
    columns: [
      {
        property: 'hookSecret',
        column: repos.hookSecret,
        place: (row) => hookSecretPlace(Number(row.gogsId)),
      },
      {
        property: 'previousHookSecret',
        column: repos.previousHookSecret,
        place: (row) => previousHookSecretPlace(Number(row.gogsId)),
      },
    ],
    version: repos.version,
    hint: (row) => `\`drone-gogs hooks rotate ${text(row.fullName)}\` replaces it`,
  },
  {
    name: 'secrets',
    table: secrets,
    key: secrets.id,
    fields: { scope: secrets.scope, name: secrets.name },
    columns: [
      {
        property: 'data',
        column: secrets.data,
        place: (row) => secretPlace(text(row.scope), text(row.name)),
      },
    ],
    version: secrets.version,
    hint: () => '`drone-gogs secret update` with the value replaces it',
  },
  {
    name: 'workload_signing_keys',
    table: workloadSigningKeys,
    key: workloadSigningKeys.kid,
    fields: {},
    columns: [
      {
        property: 'privateKey',
        column: workloadSigningKeys.privateKey,
        place: (row) => workloadSigningKeyPlace(text(row.key)),
      },
    ],
    hint: () => 'workload tokens cannot be signed with it',
  },
  {
    name: 'oidc_providers',
    table: oidcProviders,
    key: oidcProviders.name,
    fields: {},
    columns: [
      {
        property: 'clientSecret',
        column: oidcProviders.clientSecret,
        place: (row) => oidcClientSecretPlace(text(row.key)),
      },
    ],
    hint: (row) =>
      `\`drone-gogs identity provider rm ${text(row.key)}\` and \`identity provider add\` with the client secret replace it`,
  },
  {
    name: 'gogs_links',
    table: gogsLinks,
    key: gogsLinks.userId,
    fields: {},
    columns: [
      { property: 'token', column: gogsLinks.token, place: (row) => gogsLinkTokenPlace(Number(row.key)) },
    ],
    hint: () => 'the person links their Gogs account again at their next login',
  },
  {
    name: 'session_keys',
    table: sessionKeys,
    key: sessionKeys.id,
    fields: {},
    columns: [
      { property: 'secret', column: sessionKeys.secret, place: (row) => sessionKeyPlace(text(row.key)) },
    ],
    hint: () => 'sessions it signed cannot be checked; `drone-gogs rotate session-keys` makes a new key',
  },
  {
    name: 'sessions',
    table: sessions,
    key: sessions.id,
    fields: { hash: sessions.hash },
    columns: [
      { property: 'idToken', column: sessions.idToken, place: (row) => sessionIdTokenPlace(text(row.hash)) },
    ],
    hint: () => 'the session signs out of drone-gogs alone, without signing out of its OpenID provider',
  },
];

const PAGE_ROWS = 500;

const select = (
  from: Pick<Database, 'select'>,
  spec: EncryptedTable,
  where: SQL | undefined,
  limit?: number,
) => {
  const query = from
    .select({
      key: spec.key,
      ...spec.fields,
      ...Object.fromEntries(spec.columns.map(({ property, column }) => [property, column])),
    })
    .from(spec.table)
    .where(where)
    .orderBy(asc(spec.key));
  return (limit === undefined ? query : query.limit(limit)) as unknown as Promise<Row[]>;
};

/** Every row of the table, a page at a time, in key order. */
async function* pages(
  db: Pick<Database, 'select'>,
  spec: EncryptedTable,
  size: number,
): AsyncGenerator<Row[]> {
  let after: string | number | null = null;
  for (;;) {
    const page = await select(db, spec, after === null ? undefined : gt(spec.key, after), size);
    if (page.length === 0) return;
    yield page;
    after = (page.at(-1) as Row).key;
  }
}

const storedValues = (spec: EncryptedTable, row: Row) =>
  spec.columns.flatMap((column) => {
    const stored = row[column.property];
    return typeof stored === 'string' && stored !== '' ? [{ column, stored }] : [];
  });

const staleValues = (upgrader: SecretUpgrader, spec: EncryptedTable, row: Row) =>
  storedValues(spec, row).filter(({ stored }) => !upgrader.isCurrent(stored));

export interface UnreadableValue {
  place: string;
  message: string;
  hint: string;
}

/**
 * The encrypted columns of one database: counting the values of each key, re-encrypting them in batches. A
 * batch is one write transaction that rereads its rows and writes each value only where it is still the value
 * read, so several processes at once (a rotation, a migrate, a serve writing a new secret) upgrade each value
 * once and never overwrite a newer one. A value that does not decrypt is left as it is and reported.
 */
export function createEncryptedValues(
  db: Pick<Database, 'select' | 'transaction'>,
  options: { onUnreadable?: (value: UnreadableValue) => void } = {},
): EncryptedValues {
  return {
    async countByKey(keyIdOf) {
      const counts: ValuesByKey = {};
      for (const spec of ENCRYPTED_TABLES) {
        for await (const page of pages(db, spec, PAGE_ROWS)) {
          for (const row of page) {
            for (const { stored } of storedValues(spec, row)) {
              const id = keyIdOf(stored) ?? (stored.startsWith('v1.') ? 'v1' : 'unknown');
              const byTable = counts[id] ?? {};
              byTable[spec.name] = (byTable[spec.name] ?? 0) + 1;
              counts[id] = byTable;
            }
          }
        }
      }
      return counts;
    },

    async reencrypt(upgrader, { batchSize = PAGE_ROWS, onBatch } = {}) {
      let total = 0;
      for (const spec of ENCRYPTED_TABLES) {
        for await (const page of pages(db, spec, PAGE_ROWS)) {
          for (const row of page) total += staleValues(upgrader, spec, row).length;
        }
      }
      const result: ReencryptResult = { byTable: {}, unreadable: [] };
      if (total === 0) return result;
      const unreadable = new Set<string>();
      let done = 0;
      for (const spec of ENCRYPTED_TABLES) {
        for await (const page of pages(db, spec, batchSize)) {
          const keys = page
            .filter((row) => staleValues(upgrader, spec, row).length > 0)
            .map((row) => row.key);
          if (keys.length === 0) continue;
          const written = await db.transaction(async (tx) => {
            let count = 0;
            for (const row of await select(tx, spec, inArray(spec.key, keys))) {
              const change: Record<string, unknown> = {};
              const unchanged: SQL[] = [eq(spec.key, row.key)];
              for (const { column, stored } of staleValues(upgrader, spec, row)) {
                const place = column.place(row);
                try {
                  change[column.property] = upgrader.upgrade(stored, place);
                  unchanged.push(eq(column.column, stored));
                } catch (error) {
                  if (!(error instanceof AppError)) throw error;
                  if (!unreadable.has(place)) {
                    unreadable.add(place);
                    options.onUnreadable?.({ place, message: error.message, hint: spec.hint(row) });
                  }
                }
              }
              const values = Object.keys(change).length;
              if (values === 0) continue;
              if (spec.version) change[spec.version.name] = sql`${spec.version} + 1`;
              const updated = await tx
                .update(spec.table)
                .set(change)
                .where(and(...unchanged));
              if (updated.rowsAffected === 1) {
                count += values;
                result.byTable[spec.name] = (result.byTable[spec.name] ?? 0) + values;
              }
            }
            return count;
          });
          done += written;
          onBatch?.({ done: Math.min(done, total), total });
        }
      }
      result.unreadable = [...unreadable];
      return result;
    },
  };
}

/**
 * Migrate's data step: re-encrypts every stored secret (every column of ENCRYPTED_TABLES) that is not in the
 * current format or under the current key (SQL migrations cannot); see createEncryptedValues for how it shares
 * the database with other processes. Idempotent; when every value is current it only reads. A value that does
 * not decrypt is left as it is, with a warning naming its place. Returns how many values it upgraded.
 */
export async function upgradeStoredSecrets(
  db: Pick<Database, 'select' | 'transaction'>,
  upgrader: SecretUpgrader,
  logger: Logger,
): Promise<number> {
  const values = createEncryptedValues(db, {
    onUnreadable: ({ place, message, hint }) =>
      logger.warn(`store: cannot upgrade ${place}: ${message}; ${hint}`),
  });
  const { byTable } = await values.reencrypt(upgrader);
  const upgraded = Object.values(byTable).reduce((sum, count) => sum + count, 0);
  if (upgraded > 0) logger.info(`store: re-encrypted ${upgraded} stored secret(s) in the current format`);
  return upgraded;
}
