import { and, eq } from 'drizzle-orm';
import type { PermissionStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { permissions } from './schema.ts';

/** What Gogs said each user may do on each repository the sidecar knows. */
export function createPermissionStore(db: Database): PermissionStore {
  return {
    async find(userId, repoId) {
      const [row] = await db
        .select({
          admin: permissions.admin,
          push: permissions.push,
          pull: permissions.pull,
          syncedAt: permissions.syncedAt,
        })
        .from(permissions)
        .where(and(eq(permissions.userId, userId), eq(permissions.repoId, repoId)))
        .limit(1);
      return row ?? null;
    },

    async replaceForUser(userId, rows) {
      // One batch (not an interactive transaction, which would hold the local client's one connection).
      const remove = db.delete(permissions).where(eq(permissions.userId, userId));
      if (rows.length === 0) {
        await remove;
        return;
      }
      await db.batch([remove, db.insert(permissions).values(rows.map((row) => ({ ...row, userId })))]);
    },

    list: (userId) => db.select().from(permissions).where(eq(permissions.userId, userId)),
  };
}
