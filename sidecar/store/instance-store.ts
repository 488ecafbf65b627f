import { eq, lt } from 'drizzle-orm';
import type { InstanceStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { instances } from './schema.ts';

const FORGET_AFTER_MS = 7 * 24 * 3600_000;

export function createInstanceStore(db: Database): InstanceStore {
  return {
    async register({ id, hostname, pid }, now) {
      await db.delete(instances).where(lt(instances.heartbeatAt, now - FORGET_AFTER_MS));
      await db
        .insert(instances)
        .values({ id, hostname, pid, startedAt: now, heartbeatAt: now })
        .onConflictDoUpdate({ target: instances.id, set: { heartbeatAt: now, stoppedAt: null } });
    },
    async heartbeat(id, now) {
      await db.update(instances).set({ heartbeatAt: now }).where(eq(instances.id, id));
    },
    async stop(id, now) {
      await db.update(instances).set({ stoppedAt: now }).where(eq(instances.id, id));
    },
    list: () => db.select().from(instances),
  };
}
