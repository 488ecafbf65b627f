import { and, eq, type SQL, sql } from 'drizzle-orm';
import { AppError, type Repo, type RepoStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { repos } from './schema.ts';

export function createRepoStore(db: Database): RepoStore {
  const findOne = async (where: SQL | undefined): Promise<Repo | null> =>
    (await db.select().from(repos).where(where).limit(1))[0] ?? null;

  return {
    findById: (id) => findOne(eq(repos.id, id)),
    findByGogsId: (gogsId) => findOne(eq(repos.gogsId, gogsId)),
    findByFullName: (fullName) => findOne(sql`lower(${repos.fullName}) = lower(${fullName})`),
    async list(filter = {}) {
      const where = filter.active === undefined ? undefined : eq(repos.active, filter.active);
      return db.select().from(repos).where(where).orderBy(sql`lower(${repos.fullName})`);
    },
    async upsertFacts(facts) {
      const [row] = await db
        .insert(repos)
        .values(facts)
        .onConflictDoUpdate({
          target: repos.gogsId,
          set: { ...facts, updatedAt: sql`${Date.now()}`, version: sql`${repos.version} + 1` },
        })
        .returning();
      if (!row) throw new AppError('STORE_FAILED', `cannot store repository ${facts.fullName}`);
      return row;
    },
    async update(id, change, expectedVersion) {
      const versionMatches = expectedVersion === undefined ? undefined : eq(repos.version, expectedVersion);
      const [row] = await db
        .update(repos)
        .set({ ...change, updatedAt: Date.now(), version: sql`${repos.version} + 1` })
        .where(and(eq(repos.id, id), versionMatches))
        .returning();
      if (row) return row;
      const exists = await findOne(eq(repos.id, id));
      if (!exists) throw new AppError('NOT_FOUND', `repository #${id} does not exist`);
      throw new AppError('CONFLICT', `repository ${exists.fullName} was changed by someone else; try again`);
    },
  };
}
