import { fileURLToPath } from 'node:url';
import { toSnakeCase } from 'drizzle-orm/casing';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import Database from 'libsql';
import type { NewDelivery } from '../core/index.ts';
import type { DeliveryInserter } from './insert-deliveries.ts';
import { DELIVERY_PROCESSING_COLUMNS, deliveries } from './schema.ts';

/**
 * Every column a new delivery has (not the generated id, not the processing columns): the schema's field names,
 * and their SQL names under snake_case casing.
 */
const FIELDS = getTableConfig(deliveries)
  .columns.filter((column) => !column.primary && !DELIVERY_PROCESSING_COLUMNS.has(column.name))
  .map((column) => column.name as keyof NewDelivery);

/**
 * The hot path of a local database: deliveries inserted through libSQL's native driver with one prepared
 * statement reused for every row, inside one transaction per group. @libsql/client prepares each statement
 * again on every call, which costs several times the insert itself (../shared/reference/limits.md, surprise 3).
 * The statement is generated from the drizzle schema, so it cannot drift from the migrations.
 */
export interface NativeInserterOptions {
  url: string;
  sync: 'full' | 'normal';
  backgroundCheckpoints: boolean;
}

export function createNativeDeliveryInserter(options: NativeInserterOptions): {
  insert: DeliveryInserter;
  close(): void;
} {
  const db = new Database(fileURLToPath(options.url));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('PRAGMA busy_timeout = 5000');
  if (options.backgroundCheckpoints) db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec('PRAGMA foreign_keys = ON');
  const statement = db.prepare(
    `INSERT INTO ${getTableConfig(deliveries).name} (${FIELDS.map((field) => `"${toSnakeCase(field)}"`).join(', ')}) ` +
      `VALUES (${FIELDS.map(() => '?').join(', ')}) ON CONFLICT (delivery_id) DO NOTHING`,
  );
  const bind = (row: NewDelivery) =>
    FIELDS.map((key) => {
      const value = row[key];
      return typeof value === 'boolean' ? Number(value) : value;
    });

  return {
    async insert(rows) {
      const inserted = new Set<string>();
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const row of rows) {
          if (statement.run(...bind(row)).changes > 0) inserted.add(row.deliveryId);
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
      return inserted;
    },
    close: () => db.close(),
  };
}
