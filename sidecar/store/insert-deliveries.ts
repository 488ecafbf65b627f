import type { NewDelivery } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { deliveries } from './schema.ts';

/** Inserts a group of deliveries in one statement (one transaction); returns the ids actually inserted. */
export type DeliveryInserter = (rows: NewDelivery[]) => Promise<Set<string>>;

export function insertDeliveriesWith(db: Database): DeliveryInserter {
  return async (rows) => {
    const inserted = await db
      .insert(deliveries)
      .values(rows)
      .onConflictDoNothing({ target: deliveries.deliveryId })
      .returning({ deliveryId: deliveries.deliveryId });
    return new Set(inserted.map((row) => row.deliveryId));
  };
}
