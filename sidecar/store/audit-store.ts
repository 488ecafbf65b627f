import { and, asc, desc, gt, gte } from 'drizzle-orm';
import { type AuditRecord, type AuditStore, GENESIS_AUDIT_HASH } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { auditEvents } from './schema.ts';

/** Appends that lost the race for a seq to another process are tried again this many times in all. */
const APPEND_ATTEMPTS = 50;

/**
 * The audit chain as stored. An append reads the last row and inserts the next seq only if nobody took it (the
 * seq is the primary key): no interactive transaction holds the process's one connection, and of two processes
 * appending at once one wins the seq and the other seals again after the winner's row.
 */
export function createAuditStore(db: Database): AuditStore {
  return {
    async append(row, seal) {
      for (let attempt = 1; ; attempt++) {
        const [last] = await db
          .select({ seq: auditEvents.seq, hash: auditEvents.hash })
          .from(auditEvents)
          .orderBy(desc(auditEvents.seq))
          .limit(1);
        const unsealed = { ...row, seq: (last?.seq ?? 0) + 1, prevHash: last?.hash ?? GENESIS_AUDIT_HASH };
        const sealed: AuditRecord = { ...unsealed, ...seal(unsealed) };
        const inserted = await db.insert(auditEvents).values(sealed).onConflictDoNothing().returning();
        if (inserted.length > 0) return sealed;
        if (attempt >= APPEND_ATTEMPTS)
          throw new Error(
            `cannot append to the audit log: ${APPEND_ATTEMPTS} appends in a row lost their place`,
          );
      }
    },

    async read(options = {}) {
      const { afterSeq = 0, sinceAt, limit = 1000 } = options;
      const after = gt(auditEvents.seq, afterSeq);
      return db
        .select()
        .from(auditEvents)
        .where(sinceAt === undefined ? after : and(after, gte(auditEvents.at, sinceAt)))
        .orderBy(asc(auditEvents.seq))
        .limit(limit);
    },
  };
}
