import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { auditKeyOf, createAuditLog } from '../../sidecar/audit/index.ts';
import {
  type AuditLog,
  type Authorizer,
  type NewDelivery,
  type RepoAccessSource,
  type RepoFacts,
  type Stores,
  systemClock,
} from '../../sidecar/core/index.ts';
import { createAuthorizer, NO_ACCESS } from '../../sidecar/identity/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { makeTempDir } from './temp-dir.ts';

/**
 * A fresh libSQL file with the real migrations from drizzle/ applied; `fromFile` reads rows straight from the
 * file through a connection of its own (evidence not filtered by the stores); `dispose` closes and deletes it.
 */
export async function openTestStores(): Promise<
  Stores & {
    url: string;
    fromFile: (sql: string) => Promise<Record<string, unknown>[]>;
    dispose: () => Promise<void>;
  }
> {
  const dir = await makeTempDir('drone-gogs-db-');
  const url = pathToFileURL(join(dir.path, 'test.db')).href;
  const stores = await openStores({ url, sync: 'normal' });
  return {
    ...stores,
    url,
    async fromFile(sql) {
      const file = createClient({ url });
      try {
        return (await file.execute(sql)).rows.map((row) => ({ ...row }));
      } finally {
        file.close();
      }
    },
    async dispose() {
      await stores.close();
      await dir.remove();
    },
  };
}

/** What Gogs would report of a public repository named OWNER/NAME, for seeding a store. */
export function repoFacts(fullName: string, gogsId: number): RepoFacts {
  const [owner = '', name = ''] = fullName.split('/');
  return {
    gogsId,
    owner,
    name,
    fullName,
    private: false,
    defaultBranch: 'master',
    cloneUrl: '',
    htmlUrl: '',
  };
}

/** A stored push delivery as the intake makes it, for seeding a store. */
export function testDelivery(deliveryId: string, repoId: number, after = ''): NewDelivery {
  return {
    deliveryId,
    repoId,
    event: 'push',
    kind: 'push',
    action: 'pushed',
    ref: 'refs/heads/main',
    after,
    headers: '{}',
    body: '{}',
    synthetic: false,
    status: 'pending',
    statusReason: null,
    receivedAt: 1,
  };
}

/** The audit log on the test stores, sealed with `key` (default a new one); `keys` verifies what it wrote. */
export function testAuditLog(
  stores: Pick<Stores, 'audit'>,
  key: Buffer = auditKeyOf(randomBytes(32)),
): AuditLog & { key: Buffer; keys: ReadonlyMap<string, Buffer> } {
  const log = createAuditLog({
    store: stores.audit,
    key,
    keyId: 'test',
    clock: systemClock,
    logger: silentLogger,
  });
  return { ...log, key, keys: new Map([['test', key]]) };
}

/** The policy in front of services under test, with the rights `access` gives (default none: the box's admin only). */
export function testAuthorizer(audit: AuditLog, access: RepoAccessSource = NO_ACCESS): Authorizer {
  return createAuthorizer({ access, audit, clock: systemClock });
}
