import { fileURLToPath } from 'node:url';
import Database from 'libsql';

export interface NativeConnectionOptions {
  url: string;
  sync: 'full' | 'normal';
  backgroundCheckpoints: boolean;
}

/** A statement as drizzle renders it (`toSQL()`), or as written by hand. */
export interface NativeQuery {
  sql: string;
  params: unknown[];
}

/**
 * One connection of libSQL's native driver to a local file, with the pragmas of open-database.ts. Statements are
 * prepared once per SQL text and reused: @libsql/client prepares each statement again on every call, which costs
 * several times the write itself (../shared/reference/limits.md, surprise 3). Callers pass few distinct texts.
 */
export interface NativeConnection {
  run(query: NativeQuery): { changes: number };
  /** The first row's values in column order, or undefined. */
  row(query: NativeQuery): unknown[] | undefined;
  /** A statement prepared once, for SQL without parameters that runs many times (savepoints). */
  statement(sql: string): { run(): void };
  readonly inTransaction: boolean;
  close(): void;
}

const bind = (params: unknown[]) =>
  params.map((value) => (typeof value === 'boolean' ? Number(value) : value));

export function openNativeConnection(options: NativeConnectionOptions): NativeConnection {
  const db = new Database(fileURLToPath(options.url));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('PRAGMA busy_timeout = 5000');
  if (options.backgroundCheckpoints) db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec('PRAGMA foreign_keys = ON');
  const prepared = new Map<string, Database.Statement<unknown[]>>();
  const prepare = (sql: string) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = db.prepare<unknown[]>(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
  return {
    run: (query) => ({ changes: prepare(query.sql).run(...bind(query.params)).changes }),
    row(query) {
      const statement = prepare(query.sql);
      statement.raw(true);
      return statement.get(...bind(query.params)) as unknown[] | undefined;
    },
    statement(sql) {
      const statement = prepare(sql);
      return { run: () => void statement.run(...bind([])) };
    },
    get inTransaction() {
      return db.inTransaction;
    },
    close: () => db.close(),
  };
}
