import { and, asc, eq } from 'drizzle-orm';
import type { GogsLinkStore, IdentityStore, StoredIdentity } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { gogsLinks, identities } from './schema.ts';

/** Each person's one Gogs token, as a ciphertext (secrets/ encrypts it). */
export function createGogsLinkStore(db: Database): GogsLinkStore {
  return {
    async find(userId) {
      const [row] = await db.select().from(gogsLinks).where(eq(gogsLinks.userId, userId)).limit(1);
      return row ?? null;
    },

    async put(link) {
      await db
        .insert(gogsLinks)
        .values(link)
        .onConflictDoUpdate({
          target: gogsLinks.userId,
          set: {
            token: link.token,
            source: link.source,
            createdAt: link.createdAt,
            checkedAt: link.checkedAt,
          },
        });
    },

    async checked(userId, at) {
      await db.update(gogsLinks).set({ checkedAt: at }).where(eq(gogsLinks.userId, userId));
    },
  };
}

/** OpenID identities, unique by provider and subject. */
export function createIdentityStore(db: Database): IdentityStore {
  const find = async (provider: string, subject: string): Promise<StoredIdentity | null> => {
    const [row] = await db
      .select()
      .from(identities)
      .where(and(eq(identities.provider, provider), eq(identities.subject, subject)))
      .limit(1);
    return row ?? null;
  };
  return {
    find,
    listByUser: (userId) =>
      db.select().from(identities).where(eq(identities.userId, userId)).orderBy(asc(identities.id)),
    async findById(id) {
      const [row] = await db.select().from(identities).where(eq(identities.id, id)).limit(1);
      return row ?? null;
    },
    async record(identity) {
      const [row] = await db
        .insert(identities)
        .values({ ...identity, createdAt: identity.lastLoginAt })
        .onConflictDoUpdate({
          target: [identities.provider, identities.subject],
          set: {
            userId: identity.userId,
            username: identity.username,
            email: identity.email,
            groups: identity.groups,
            lastLoginAt: identity.lastLoginAt,
          },
        })
        .returning();
      if (row === undefined)
        throw new Error(`the identity ${identity.provider}:${identity.subject} was not stored`);
      return row;
    },
  };
}
