import { and, asc, desc, eq, gt, gte, inArray, lte, ne, sql } from 'drizzle-orm';
import type { SessionKeyStore, SessionStore, SessionWithOwner } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { identities, sessionKeys, sessions, users } from './schema.ts';

export function createSessionStore(db: Database): SessionStore {
  const one = async (id: number) =>
    (await db.select().from(sessions).where(eq(sessions.id, id)).limit(1))[0] ?? null;

  return {
    async add(session) {
      const [row] = await db.insert(sessions).values(session).returning();
      if (row === undefined) throw new Error('the session was not stored');
      return row;
    },

    async findByHash(hash) {
      // One read per request: the session and its owner's rows together.
      const [row] = await db
        .select({
          session: sessions,
          login: users.login,
          provider: identities.provider,
          subject: identities.subject,
          groups: identities.groups,
        })
        .from(sessions)
        .leftJoin(users, eq(users.id, sessions.userId))
        .leftJoin(identities, eq(identities.id, sessions.identityId))
        .where(eq(sessions.hash, hash))
        .limit(1);
      if (row === undefined) return null;
      const found: SessionWithOwner = {
        ...row.session,
        owner: {
          login: row.login,
          identity:
            row.provider === null || row.subject === null
              ? null
              : { provider: row.provider, subject: row.subject, groups: row.groups ?? [] },
        },
      };
      return found;
    },

    find: one,

    async touch(id, at) {
      await db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id));
    },

    async revoke(id, at) {
      await db
        .update(sessions)
        .set({ revokedAt: at })
        .where(and(eq(sessions.id, id), eq(sessions.revokedAt, 0)));
      return one(id);
    },

    async revokeAllOf(userId, at) {
      const revoked = await db
        .update(sessions)
        .set({ revokedAt: at })
        .where(and(eq(sessions.userId, userId), eq(sessions.revokedAt, 0), gt(sessions.expiresAt, at)))
        .returning({ id: sessions.id });
      return revoked.map((row) => row.id);
    },

    async anyInForce({ createdFrom, createdUpTo, now, idleSince }) {
      const [row] = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(
          and(
            gte(sessions.createdAt, createdFrom),
            lte(sessions.createdAt, createdUpTo),
            eq(sessions.revokedAt, 0),
            gt(sessions.expiresAt, now),
            gt(sessions.lastSeenAt, idleSince),
          ),
        )
        .limit(1);
      return row !== undefined;
    },
  };
}

export function createSessionKeyStore(db: Database): SessionKeyStore {
  return {
    async signing() {
      const [row] = await db
        .select()
        .from(sessionKeys)
        .where(eq(sessionKeys.retiredAt, 0))
        .orderBy(desc(sessionKeys.createdAt), desc(sessionKeys.id))
        .limit(1);
      return row ?? null;
    },

    async find(id) {
      return (await db.select().from(sessionKeys).where(eq(sessionKeys.id, id)).limit(1))[0] ?? null;
    },

    list: () => db.select().from(sessionKeys).orderBy(asc(sessionKeys.createdAt), asc(sessionKeys.id)),

    async addFirst(key) {
      // One statement, so two processes making the first key at once cannot both find none and both add.
      const result = await db.run(
        sql`insert into ${sessionKeys} ("id", "secret", "created_at", "retired_at") select ${key.id}, ${key.secret}, ${key.createdAt}, 0 where not exists (select 1 from ${sessionKeys} where ${sessionKeys.retiredAt} = 0)`,
      );
      return result.rowsAffected > 0;
    },

    async rotate(key) {
      await db.batch([
        db
          .update(sessionKeys)
          .set({ retiredAt: key.createdAt })
          .where(and(eq(sessionKeys.retiredAt, 0), ne(sessionKeys.id, key.id))),
        db.insert(sessionKeys).values({ ...key, retiredAt: 0 }),
      ]);
    },

    async removeRetired(ids) {
      if (ids.length === 0) return [];
      const removed = await db
        .delete(sessionKeys)
        .where(and(inArray(sessionKeys.id, [...ids]), gt(sessionKeys.retiredAt, 0)))
        .returning({ id: sessionKeys.id });
      return removed.map((row) => row.id);
    },
  };
}
