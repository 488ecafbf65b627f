import { randomBytes } from 'node:crypto';
import { type Clock, hookSecretPlace, type Repo } from '../../sidecar/core/index.ts';
import { createHttpApp, type HttpServer, type ServerLimits, serveHttp } from '../../sidecar/http/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { createCounters, createLogger } from '../../sidecar/telemetry/index.ts';
import {
  createDeliveryIntake,
  createHookSecretResolver,
  createInbox,
  HOOK_SECRET_CACHE,
} from '../../sidecar/webhooks/index.ts';
import { openTestStores, repoFacts } from './stores.ts';

/**
 * The sidecar's HTTP app over a fresh migrated database, wired as main.ts wires it, with a controllable
 * clock and captured log lines. `enableRepo` stores a repository with a hook secret as `repo enable` would.
 * `reads` and `decryptions` count what the inbox asked of the repository store and the cipher; `listen`
 * serves the app on a loopback port, closed by `dispose`.
 */
export async function createHookTestApp(
  options: {
    maxHookBodyBytes?: number;
    hookBodyTimeoutMs?: number;
    /** Rechecks of a repository's secrets at most this often (10 ms, so that refusals stay quick). */
    secretRecheckMs?: number;
    /** Repositories the secret cache keeps (known and unknown ones apart). */
    secretCacheEntries?: number;
    /** How the secret cache waits for its next recheck (real timers by default). */
    secretRecheckWait?: (ms: number) => Promise<void>;
  } = {},
) {
  const stores = await openTestStores();
  const cipher = createSecretCipher(randomBytes(32));
  const counts = { reads: 0, decryptions: 0 };
  let now = Date.parse('2026-11-25T12:00:00Z');
  const clock: Clock = { now: () => now };
  const logLines: string[] = [];
  const logger = createLogger({ format: 'text', level: 'debug', write: (line) => logLines.push(line) });
  const counters = createCounters();
  const secrets = createHookSecretResolver({
    repos: {
      ...stores.repos,
      findByGogsId: (gogsId) => {
        counts.reads++;
        return stores.repos.findByGogsId(gogsId);
      },
    },
    cipher: {
      ...cipher,
      decrypt: (stored, place) => {
        counts.decryptions++;
        return cipher.decrypt(stored, place);
      },
    },
    clock,
    cache: {
      ...HOOK_SECRET_CACHE,
      recheckMs: options.secretRecheckMs ?? 10,
      maxEntries: options.secretCacheEntries ?? HOOK_SECRET_CACHE.maxEntries,
    },
    ...(options.secretRecheckWait ? { wait: options.secretRecheckWait } : {}),
  });
  const intake = createDeliveryIntake({ deliveries: stores.deliveries, clock });
  const inbox = createInbox({ secrets, intake, logger, counters });
  const app = createHttpApp({
    inbox,
    logger,
    counters,
    maxHookBodyBytes: options.maxHookBodyBytes ?? 1024 * 1024,
    hookBodyTimeoutMs: options.hookBodyTimeoutMs ?? 15_000,
    checkDatabase: async () => {
      await stores.repos.list();
    },
    version: 'test',
    // The hook tests publish no keys.
    workloadTokens: { issuer: 'http://127.0.0.1', jwks: async () => ({ keys: [] }) },
  });

  const servers: HttpServer[] = [];

  return {
    app,
    stores,
    cipher,
    counters,
    counts,
    logLines,
    async listen(limits: ServerLimits = { headersTimeoutMs: 15_000, keepAliveTimeoutMs: 5_000 }) {
      const server = await serveHttp(app, { host: '127.0.0.1', port: 0 }, limits);
      servers.push(server);
      return server;
    },
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
        hookSecret: cipher.encrypt(fields.secret, hookSecretPlace(fields.gogsId)),
      });
    },
    async dispose() {
      await Promise.all(servers.map((server) => server.stop()));
      await stores.dispose();
    },
  };
}

export type HookTestApp = Awaited<ReturnType<typeof createHookTestApp>>;

/** The error shape of every route: `{ error: { code, message, requestId, problems? } }`. */
export interface ErrorAnswer {
  error: { code: string; message: string; requestId: string; problems?: string[] };
}
