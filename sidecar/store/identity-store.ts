import { desc, eq, sql } from 'drizzle-orm';
import type { ApiTokenStore, ApiTokenWithLogin, UserStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { apiTokens, users } from './schema.ts';

export function createUserStore(db: Database): UserStore {
  return {
    async findByLogin(login) {
      const [row] = await db
        .select()
        .from(users)
        .where(sql`lower(${users.login}) = lower(${login})`)
        .limit(1);
      return row ?? null;
    },
    async findById(id) {
      const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return row ?? null;
    },

    async upsert(facts) {
      const now = Date.now();
      const [row] = await db
        .insert(users)
        .values({ ...facts, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: users.gogsId,
          set: { login: facts.login, email: facts.email, fullName: facts.fullName, updatedAt: now },
        })
        .returning();
      if (row === undefined) throw new Error(`the user ${facts.login} was not stored`);
      return row;
    },
  };
}

export function createApiTokenStore(db: Database): ApiTokenStore {
  const withLogin = () =>
    db
      .select({
        id: apiTokens.id,
        userId: apiTokens.userId,
        name: apiTokens.name,
        hash: apiTokens.hash,
        createdBy: apiTokens.createdBy,
        createdAt: apiTokens.createdAt,
        expiresAt: apiTokens.expiresAt,
        lastUsedAt: apiTokens.lastUsedAt,
        revokedAt: apiTokens.revokedAt,
        login: users.login,
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId));
  const one = async (where: ReturnType<typeof eq>): Promise<ApiTokenWithLogin | null> =>
    (await withLogin().where(where).limit(1))[0] ?? null;

  return {
    async add(token) {
      const [row] = await db.insert(apiTokens).values(token).returning();
      if (row === undefined) throw new Error('the token was not stored');
      return row;
    },
    findByHash: (hash) => one(eq(apiTokens.hash, hash)),
    find: (id) => one(eq(apiTokens.id, id)),
    list: (userId) =>
      (userId === undefined ? withLogin() : withLogin().where(eq(apiTokens.userId, userId))).orderBy(
        desc(apiTokens.id),
      ),
    async revoke(id, at) {
      await db
        .update(apiTokens)
        .set({ revokedAt: at })
        .where(sql`${apiTokens.id} = ${id} and ${apiTokens.revokedAt} = 0`);
      return one(eq(apiTokens.id, id));
    },
    async touch(id, at) {
      await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
    },
  };
}
