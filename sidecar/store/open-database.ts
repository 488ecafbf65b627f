import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { AppError } from '../core/index.ts';
import * as schema from './schema.ts';

export type Database = LibSQLDatabase<typeof schema>;

export interface DatabaseOptions {
  url: string;
  authToken?: string | undefined;
  /** For local files: `full` fsyncs each commit, `normal` survives a process crash but not power loss. */
  sync?: 'full' | 'normal';
  /** For local files: leave WAL checkpoints to the checkpoint thread (wal-checkpointer.ts). */
  backgroundCheckpoints?: boolean;
}

export interface OpenDatabase {
  db: Database;
  client: Client;
  close(): void;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Opens the database: a local libSQL file (created with its folder, WAL mode) or a libSQL server by URL.
 * Local files use a single connection: @libsql/client's pool would otherwise open connections that miss
 * the pragmas set here (see ../shared/reference/limits.md, surprise 4).
 */
export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  const isLocalFile = options.url.startsWith('file:');
  if (isLocalFile && options.url !== 'file::memory:') {
    await mkdir(dirname(fileURLToPath(options.url)), { recursive: true });
  }
  let client: Client;
  try {
    client = createClient({
      url: options.url,
      ...(options.authToken ? { authToken: options.authToken } : {}),
      ...(isLocalFile ? { concurrency: 1 } : {}),
    });
    if (isLocalFile) {
      await client.execute('PRAGMA journal_mode = WAL');
      await client.execute(`PRAGMA synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
      await client.execute('PRAGMA busy_timeout = 5000');
      if (options.backgroundCheckpoints) await client.execute('PRAGMA wal_autocheckpoint = 0');
    }
    await client.execute('PRAGMA foreign_keys = ON');
  } catch (cause) {
    throw new AppError(
      'STORE_FAILED',
      `cannot open the database at ${describeUrl(options.url)}: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  const db = drizzle(client, { schema, casing: 'snake_case' });
  return { db, client, close: () => client.close() };
}

/** Applies the migrations in drizzle/ that the database has not seen yet. Idempotent. */
export async function migrateDatabase(db: Database): Promise<void> {
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (cause) {
    throw new AppError('STORE_FAILED', `cannot apply database migrations: ${messageOf(cause)}`, { cause });
  }
}

function describeUrl(url: string): string {
  return url.startsWith('file:') ? url : url.replace(/\?.*$/, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
