import { asc, eq } from 'drizzle-orm';
import type { OidcProviderStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { oidcProviders } from './schema.ts';

/** OpenID providers as stored: the client secret is a ciphertext (secrets/ encrypts it). */
export function createOidcProviderStore(db: Database): OidcProviderStore {
  return {
    list: () => db.select().from(oidcProviders).orderBy(asc(oidcProviders.name)),

    async add(provider) {
      // The primary key decides between concurrent adders, in any process.
      const rows = await db
        .insert(oidcProviders)
        .values({
          ...provider,
          scopes: [...provider.scopes],
          requiredGroups: [...provider.requiredGroups],
          adminGroups: [...provider.adminGroups],
          roleGroups: Object.fromEntries(
            Object.entries(provider.roleGroups).map(([role, groups]) => [role, [...groups]]),
          ),
        })
        .onConflictDoNothing()
        .returning();
      return rows.length === 1;
    },

    async remove(name) {
      const [row] = await db.delete(oidcProviders).where(eq(oidcProviders.name, name)).returning();
      return row ?? null;
    },

    async version() {
      // Names with their update times: any add, remove or change shows, whatever happened in between.
      const rows = await db
        .select({ name: oidcProviders.name, updatedAt: oidcProviders.updatedAt })
        .from(oidcProviders)
        .orderBy(asc(oidcProviders.name));
      return rows.map((row) => `${row.name}@${row.updatedAt}`).join(',');
    },
  };
}
