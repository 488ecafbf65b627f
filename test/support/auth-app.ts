import { Hono } from 'hono';
import {
  LOCAL_ADMIN,
  type RepoAccess,
  type RepoAccessSource,
  type SessionService,
  systemClock,
  type TokenService,
} from '../../sidecar/core/index.ts';
import { authRoutes } from '../../sidecar/http/auth-routes.ts';
import { csrfMiddleware } from '../../sidecar/http/csrf-middleware.ts';
import { handleError } from '../../sidecar/http/error-responses.ts';
import { type PrincipalEnv, principalMiddleware } from '../../sidecar/http/principal-middleware.ts';
import { createTokenService } from '../../sidecar/identity/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { gogsSignIn, testSessionService } from './sessions.ts';
import { openTestStores, repoFacts, testAuditLog, testAuthorizer } from './stores.ts';

export const PUBLIC_URL = 'https://ci.example.com';

/** Rights by `login fullName`, as the permission sync would have them. */
export function fixedAccess(rights: Record<string, Partial<RepoAccess>>): RepoAccessSource {
  return {
    accessOf: async (actor, repo) => {
      if (actor.kind !== 'user') return null;
      const found = rights[`${actor.login} ${repo.fullName}`];
      return found === undefined
        ? null
        : { admin: false, push: false, pull: false, syncedAt: Date.now(), ...found };
    },
  };
}

/**
 * The sidecar's auth surface as the integrator mounts it: principal then CSRF middleware on every route,
 * /auth/check, and a state-changing route that echoes the principal. Alice may read acme/secret (private);
 * Bob has no rights; acme/other is private too and acme/open public. Each has a session cookie and a token.
 */
export async function startAuthApp(rights = fixedAccess({ 'alice acme/secret': { pull: true } })) {
  const t = await openTestStores();
  const audit = testAuditLog(t);
  const sessions: SessionService = testSessionService(t, audit);
  const aliceId = (await t.users.upsert({ gogsId: 1, login: 'alice', email: '', fullName: '' })).id;
  const bobId = (await t.users.upsert({ gogsId: 2, login: 'bob', email: '', fullName: '' })).id;
  for (const [name, gogsId, isPrivate] of [
    ['acme/secret', 10, true],
    ['acme/other', 11, true],
    ['acme/open', 12, false],
  ] as const)
    await t.repos.upsertFacts({ ...repoFacts(name, gogsId), private: isPrivate });
  const authorizer = testAuthorizer(audit, rights);
  const tokens: TokenService = createTokenService({
    users: t.users,
    tokens: t.apiTokens,
    gogs: () => {
      throw new Error('no Gogs in this test');
    },
    admins: new Set(),
    authorizer,
    audit,
    clock: systemClock,
    logger: silentLogger,
  });
  const app = new Hono<PrincipalEnv>();
  app.use(principalMiddleware({ tokens, sessions, clock: systemClock }));
  app.use(csrfMiddleware({ publicUrl: PUBLIC_URL }));
  app.route('/auth', authRoutes({ repos: t.repos, authorizer, clock: systemClock }));
  app.get('/whoami', (c) => c.json(c.get('principal')));
  app.post('/things', async (c) => c.json({ done: true, by: c.get('principal') }));
  app.onError(handleError(silentLogger));
  const now = Date.now();
  const alice = await sessions.start(gogsSignIn(aliceId, 'alice'), now);
  const bob = await sessions.start(gogsSignIn(bobId, 'bob'), now);
  return {
    app,
    stores: t,
    sessions,
    alice: { ...alice, id: aliceId, token: (await tokens.create(LOCAL_ADMIN, 'alice', {})).token },
    bob: { ...bob, id: bobId, token: (await tokens.create(LOCAL_ADMIN, 'bob', {})).token },
    dispose: () => t.dispose(),
  };
}

export const cookieHeader = (cookie: string) => ({ cookie: `drone_gogs_session=${cookie}` });
