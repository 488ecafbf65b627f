/**
 * One server of the /auth/check benchmark, in its own process so the load generator does not share its event
 * loop: `bare` (Hono answering 204) or `sidecar` (the principal and CSRF middleware and /auth/check over a real
 * libSQL file, with one warm session of a person who may read the private repository acme/app; their rights
 * come from a fixed RepoAccessSource, not from a permission sync). Prints `listening <url> <cookie>`; runs until
 * killed.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { auditKeyOf, createAuditLog } from '../../sidecar/audit/index.ts';
import { type RepoAccessSource, systemClock } from '../../sidecar/core/index.ts';
import { authRoutes, csrfMiddleware, principalMiddleware } from '../../sidecar/http/index.ts';
import {
  createAuthorizer,
  createSessionPrincipals,
  createSessionService,
  createTokenService,
} from '../../sidecar/identity/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { repoFacts } from '../support/stores.ts';

const [kind, dataDir] = process.argv.slice(2);
if (!kind || !dataDir) throw new Error('usage: auth-check-server.ts bare|sidecar DATA_DIR');

function listenWith(app: Hono, cookie: string) {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
    console.log(`listening http://127.0.0.1:${info.port} ${cookie}`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (kind === 'bare') {
  listenWith(
    new Hono().get('/auth/check', (c) => c.body(null, 204)),
    '-',
  );
} else {
  const stores = await openStores({ url: pathToFileURL(join(dataDir, 'drone-gogs.db')).href });
  const audit = createAuditLog({
    store: stores.audit,
    key: auditKeyOf(randomBytes(32)),
    keyId: 'bench',
    clock: systemClock,
    logger: silentLogger,
  });
  const user = await stores.users.upsert({ gogsId: 1, login: 'alice', email: '', fullName: '' });
  await stores.repos.upsertFacts({ ...repoFacts('acme/app', 1), private: true });
  const readAccess: RepoAccessSource = {
    accessOf: async () => ({ admin: false, push: false, pull: true, syncedAt: Date.now() }),
  };
  const authorizer = createAuthorizer({ access: readAccess, audit, clock: systemClock });
  const sessions = createSessionService({
    sessions: stores.sessions,
    keys: stores.sessionKeys,
    cipher: createSecretCipher(randomBytes(32)),
    principals: createSessionPrincipals({ admins: new Set() }),
    audit,
    clock: systemClock,
    logger: silentLogger,
  });
  const tokens = createTokenService({
    users: stores.users,
    tokens: stores.apiTokens,
    gogs: () => {
      throw new Error('no Gogs in this benchmark');
    },
    admins: new Set(),
    authorizer,
    audit,
    clock: systemClock,
    logger: silentLogger,
  });
  const { cookie } = await sessions.start(
    { userId: user.id, identityId: null, login: 'alice', admin: false, roles: [], subject: null },
    Date.now(),
  );
  const app = new Hono();
  app.use(principalMiddleware({ tokens, sessions, clock: systemClock }));
  app.use(csrfMiddleware({ publicUrl: 'https://ci.example.com' }));
  app.route('/auth', authRoutes({ repos: stores.repos, authorizer, clock: systemClock }));
  listenWith(app, cookie);
}
