import { asc, count, desc, gt, lt } from 'drizzle-orm';
import type { ChangeFeed } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { changes } from './schema.ts';

/** The change feed as the database holds it; rows are written by the stores in the transaction of the change. */
export function createChangeFeed(db: Database): ChangeFeed {
  return {
    async after(afterId, limit) {
      return db.select().from(changes).where(gt(changes.id, afterId)).orderBy(asc(changes.id)).limit(limit);
    },
    async latestId() {
      const [row] = await db.select({ id: changes.id }).from(changes).orderBy(desc(changes.id)).limit(1);
      return row?.id ?? 0;
    },
    async prune(before) {
      const [row] = await db.select({ n: count() }).from(changes).where(lt(changes.createdAt, before));
      if (!row || row.n === 0) return 0;
      await db.delete(changes).where(lt(changes.createdAt, before));
      return row.n;
    },
  };
}
