/** Records audit events: the actor named, the detail made canonical, each row sealed after the last. */
import {
  type AuditLog,
  type AuditRecord,
  type AuditService,
  type AuditStore,
  type ChainVerdict,
  type Clock,
  GENESIS_AUDIT_HASH,
  type Logger,
  principalName,
} from '../core/index.ts';
import { canonicalDetail, sealOf, verifyAuditChain } from './audit-chain.ts';

export interface AuditLogDeps {
  store: AuditStore;
  /** The audit key (`auditKeyOf` the secret key) and the id of the secret key it comes from. */
  key: Buffer;
  keyId: string;
  clock: Clock;
  logger: Logger;
}

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { store, key, keyId, clock, logger } = deps;
  return {
    async record(event) {
      const row = {
        at: clock.now(),
        actor: principalName(event.actor),
        action: event.action,
        target: event.target,
        decision: event.decision,
        detail: canonicalDetail(event.detail),
      };
      try {
        return await store.append(row, (unsealed) => ({
          keyId,
          hash: sealOf(key, { ...unsealed, keyId }),
        }));
      } catch (error) {
        logger.error('audit: cannot record an event', {
          action: row.action,
          target: row.target,
          error: String(error),
        });
        throw error;
      }
    },
  };
}

const PAGE_ROWS = 1000;

/** Checks the whole stored chain a page at a time (memory stays at two pages, whatever the chain's length). */
export async function verifyStoredChain(
  store: AuditStore,
  keys: ReadonlyMap<string, Buffer>,
): Promise<ChainVerdict> {
  let rows = 0;
  let start = { seq: 0, hash: GENESIS_AUDIT_HASH };
  let beforeStart: string | undefined;
  let page = await store.read({ afterSeq: 0, limit: PAGE_ROWS });
  while (page.length > 0) {
    const last = page.at(-1) as AuditRecord;
    const following = await store.read({ afterSeq: last.seq, limit: PAGE_ROWS });
    const verdict = verifyAuditChain(page, keys, {
      start,
      ...(beforeStart === undefined ? {} : { beforeStart }),
      ...(following[0] === undefined ? {} : { next: following[0] }),
    });
    if (!verdict.ok) return verdict;
    rows += verdict.rows;
    beforeStart = page.at(-2)?.hash ?? start.hash;
    start = { seq: last.seq, hash: last.hash };
    page = following;
  }
  return { ok: true, rows, head: start.seq === 0 ? null : start };
}

/** Every row of the chain, page by page. */
export async function* auditRows(
  store: AuditStore,
  options: { sinceAt?: number } = {},
): AsyncGenerator<AuditRecord> {
  let afterSeq = 0;
  for (;;) {
    const page = await store.read({ afterSeq, limit: PAGE_ROWS, ...options });
    if (page.length === 0) return;
    yield* page;
    afterSeq = page.at(-1)?.seq ?? afterSeq;
  }
}

export function createAuditService(deps: {
  store: AuditStore;
  keys: ReadonlyMap<string, Buffer>;
}): AuditService {
  return {
    rows: (_actor, options = {}) => auditRows(deps.store, options),
    verify: () => verifyStoredChain(deps.store, deps.keys),
  };
}
