import { and, eq } from 'drizzle-orm';
import type { BranchHeadStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { branchHeads } from './schema.ts';

export function createBranchHeadStore(db: Database): BranchHeadStore {
  return {
    list: (repoId) => db.select().from(branchHeads).where(eq(branchHeads.repoId, repoId)),
    async put(head) {
      const { sha, previousSha, status, observedAt } = head;
      await db
        .insert(branchHeads)
        .values(head)
        .onConflictDoUpdate({
          target: [branchHeads.repoId, branchHeads.branch],
          set: { sha, previousSha, status, observedAt },
        });
    },
    async remove(repoId, branch) {
      await db.delete(branchHeads).where(and(eq(branchHeads.repoId, repoId), eq(branchHeads.branch, branch)));
    },
  };
}
