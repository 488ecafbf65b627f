import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { OrgRoleStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { orgRoles } from './schema.ts';

/** What Gogs said each user is in each organisation they belong to. */
export function createOrgRoleStore(db: Database): OrgRoleStore {
  return {
    async find(userId, org) {
      const [row] = await db
        .select()
        .from(orgRoles)
        .where(and(eq(orgRoles.userId, userId), eq(sql`lower(${orgRoles.org})`, org.toLowerCase())))
        .limit(1);
      return row ?? null;
    },

    async keepOnly(userId, memberOf, row) {
      const mine = eq(orgRoles.userId, userId);
      // One batch (not an interactive transaction, which would hold the local client's one connection).
      const remove = db
        .delete(orgRoles)
        .where(memberOf.length === 0 ? mine : and(mine, notInArray(orgRoles.orgId, [...memberOf])));
      if (row === undefined) {
        await remove;
        return;
      }
      await db.batch([
        remove,
        db
          .insert(orgRoles)
          .values({ ...row, userId })
          .onConflictDoUpdate({
            target: [orgRoles.userId, orgRoles.orgId],
            set: { org: row.org, role: row.role, syncedAt: row.syncedAt },
          }),
      ]);
    },

    list: (userId) => db.select().from(orgRoles).where(eq(orgRoles.userId, userId)).orderBy(orgRoles.orgId),
  };
}
