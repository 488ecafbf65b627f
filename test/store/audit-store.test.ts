/** The audit chain in the store: appends from two connections to one file at once make one unbroken chain. */
import { describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../sidecar/audit/index.ts';
import { LOCAL_ADMIN } from '../../sidecar/core/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { openTestStores, testAuditLog } from '../support/stores.ts';

describe('the audit store', () => {
  it('chains appends racing from two connections, each row once, in one order', async () => {
    const first = await openTestStores();
    const second = await openStores({ url: first.url, sync: 'normal' });
    try {
      const log = testAuditLog(first);
      // The other connection seals with the same key, as a second process of the same box does.
      const twin = testAuditLog(second, log.key);
      const record = (via: typeof log, n: number) =>
        via.record({
          actor: LOCAL_ADMIN,
          action: 'repo.settings',
          target: 'alice/app',
          decision: 'allow',
          detail: { n },
        });
      await Promise.all(Array.from({ length: 40 }, (_, n) => record(n % 2 === 0 ? log : twin, n)));
      const rows = await first.audit.read({ limit: 100 });
      expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 40 }, (_, n) => n + 1));
      expect(new Set(rows.map((row) => JSON.parse(row.detail).n)).size).toBe(40);
      expect(await verifyStoredChain(first.audit, log.keys)).toMatchObject({ ok: true, rows: 40 });
    } finally {
      await second.close();
      await first.dispose();
    }
  });
});
