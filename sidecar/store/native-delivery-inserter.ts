import { toSnakeCase } from 'drizzle-orm/casing';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import type { NewDelivery } from '../core/index.ts';
import type { NativeConnection, NativeQuery } from './native-connection.ts';
import { DELIVERY_PROCESSING_COLUMNS, deliveries } from './schema.ts';

/**
 * Every column a new delivery has (not the generated id, not the processing columns): the schema's field names,
 * and their SQL names under snake_case casing.
 */
const FIELDS = getTableConfig(deliveries)
  .columns.filter((column) => !column.primary && !DELIVERY_PROCESSING_COLUMNS.has(column.name))
  .map((column) => column.name as keyof NewDelivery);

/**
 * The hottest write: one delivery inserted with a statement generated from the drizzle schema (so it cannot drift
 * from the migrations) and prepared once. Rendering it through drizzle for every row would cost more than the
 * insert. Returns whether the row was inserted (false: a delivery of that id is stored already).
 */
export function createNativeDeliveryInsert(connection: NativeConnection): (row: NewDelivery) => boolean {
  const sql =
    `INSERT INTO ${getTableConfig(deliveries).name} (${FIELDS.map((field) => `"${toSnakeCase(field)}"`).join(', ')}) ` +
    `VALUES (${FIELDS.map(() => '?').join(', ')}) ON CONFLICT (delivery_id) DO NOTHING`;
  return (row) => {
    const query: NativeQuery = { sql, params: FIELDS.map((key) => row[key]) };
    return connection.run(query).changes > 0;
  };
}
