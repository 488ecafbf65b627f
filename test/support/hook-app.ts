import { randomBytes } from 'node:crypto';
import type { Clock, Repo } from '../../sidecar/core/index.ts';
import { createHttpApp } from '../../sidecar/http/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { createCounters, createLogger } from '../../sidecar/telemetry/index.ts';
import { createDeliveryIntake, createHookSecretResolver, createInbox } from '../../sidecar/webhooks/index.ts';
import { openTestStores, repoFacts } from './stores.ts';

/**
 * The sidecar's HTTP app over a fresh migrated database, wired as main.ts wires it, with a controllable
 * clock and captured log lines. `enableRepo` stores a repository with a hook secret as `repo enable` would.
 */
export async function createHookTestApp(options: { maxHookBodyBytes?: number } = {}) {
  const stores = await openTestStores();
  const cipher = createSecretCipher(randomBytes(32));
  let now = Date.parse('2026-11-25T12:00:00Z');
  const clock: Clock = { now: () => now };
  const logLines: string[] = [];
  const logger = createLogger({ format: 'text', level: 'debug', write: (line) => logLines.push(line) });
  const counters = createCounters();
  const secrets = createHookSecretResolver({ repos: stores.repos, cipher, clock });
  const intake = createDeliveryIntake({ deliveries: stores.deliveries, clock });
  const inbox = createInbox({ secrets, intake, logger, counters });
  const app = createHttpApp({
    inbox,
    logger,
    counters,
    maxHookBodyBytes: options.maxHookBodyBytes ?? 1024 * 1024,
    checkDatabase: async () => {
      await stores.repos.list();
    },
    version: 'test',
  });

  return {
    app,
    stores,
    cipher,
    counters,
    logLines,
    advance(ms: number) {
      now += ms;
    },
    async enableRepo(fields: {
      gogsId: number;
      fullName: string;
      secret: string;
      active?: boolean;
    }): Promise<Repo> {
      const repo = await stores.repos.upsertFacts(repoFacts(fields.fullName, fields.gogsId));
      return stores.repos.update(repo.id, {
        active: fields.active ?? true,
        hookSecret: cipher.encrypt(fields.secret),
      });
    },
    dispose: () => stores.dispose(),
  };
}

export type HookTestApp = Awaited<ReturnType<typeof createHookTestApp>>;

/** The error shape of every route: `{ error: { code, message, requestId, problems? } }`. */
export interface ErrorAnswer {
  error: { code: string; message: string; requestId: string; problems?: string[] };
}
