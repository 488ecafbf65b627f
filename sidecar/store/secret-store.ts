import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { SecretStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { secrets } from './schema.ts';

/** Secrets as stored: ciphertexts only (secrets/ encrypts), names unique per scope without regard to case. */
export function createSecretStore(db: Database): SecretStore {
  return {
    async list(scopes) {
      if (scopes.length === 0) return [];
      return db
        .select()
        .from(secrets)
        .where(inArray(secrets.scope, [...scopes]))
        .orderBy(asc(secrets.scope), sql`lower(${secrets.name})`);
    },

    async find(scope, name) {
      const [row] = await db
        .select()
        .from(secrets)
        .where(and(eq(secrets.scope, scope), sql`lower(${secrets.name}) = lower(${name})`))
        .limit(1);
      return row ?? null;
    },

    async add(secret) {
      const now = Date.now();
      // The unique index on (scope, lower(name)) decides between concurrent adders, in any process.
      const [row] = await db
        .insert(secrets)
        .values({ ...secret, createdAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning();
      return row ?? null;
    },

    async update(id, change, expectedVersion) {
      const versionMatches = expectedVersion === undefined ? undefined : eq(secrets.version, expectedVersion);
      const [row] = await db
        .update(secrets)
        .set({ ...change, updatedAt: Date.now(), version: sql`${secrets.version} + 1` })
        .where(and(eq(secrets.id, id), versionMatches))
        .returning();
      return row ?? null;
    },

    async remove(id) {
      const removed = await db.delete(secrets).where(eq(secrets.id, id)).returning({ id: secrets.id });
      return removed.length > 0;
    },
  };
}
