import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type {
  Authorizer,
  Clock,
  Counters,
  Logger,
  LoginService,
  RepoStore,
  SessionService,
  TokenService,
  WorkloadTokenIssuer,
} from '../core/index.ts';
import { renderPrometheus } from '../telemetry/index.ts';
import type { Inbox } from '../webhooks/index.ts';
import { authRoutes } from './auth-routes.ts';
import { csrfMiddleware } from './csrf-middleware.ts';
import { errorResponse, handleError } from './error-responses.ts';
import { hookRoutes } from './hook-routes.ts';
import { formBodyLimit, loginRoutes } from './login-routes.ts';
import { type PrincipalEnv, principalMiddleware } from './principal-middleware.ts';
import { userRoutes } from './user-routes.ts';
import { wellKnownRoutes } from './well-known-routes.ts';

export interface HttpDeps {
  inbox: Inbox;
  logger: Logger;
  counters: Counters;
  maxHookBodyBytes: number;
  /** How long a /hook body may take to arrive (Gogs' own delivery timeout is 15 s). */
  hookBodyTimeoutMs: number;
  /** Resolves when the database answers; rejects otherwise. */
  checkDatabase: () => Promise<void>;
  version: string;
  /** Whose keys and discovery document /.well-known/ publishes. */
  workloadTokens: Pick<WorkloadTokenIssuer, 'issuer' | 'jwks'>;
  /** Who is asking, and signing in: absent for a sidecar that serves only /hook (tests of the inbox). */
  identity?: {
    publicUrl: string;
    tokens: Pick<TokenService, 'authenticate'>;
    sessions: Pick<SessionService, 'resolve'>;
    login: LoginService;
    repos: Pick<RepoStore, 'findByFullName'>;
    authorizer: Authorizer;
    clock: Clock;
  };
}

/** The whole HTTP surface of the sidecar, without a port: main.ts serves it, tests call app.request(). */
export function createHttpApp(deps: HttpDeps) {
  const app = new Hono();
  app.use(async (c, next) => {
    const given = c.req.header('x-request-id');
    c.set('requestId' as never, (given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID()) as never);
    await next();
  });
  app.get('/healthz', async (c) => {
    try {
      await deps.checkDatabase();
      return c.json({ status: 'ok', version: deps.version });
    } catch {
      return c.json({ status: 'unavailable', version: deps.version, database: 'unreachable' }, 503);
    }
  });
  app.get('/metrics', (c) =>
    c.text(renderPrometheus(deps.counters), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  );
  app.route(
    '/hook',
    hookRoutes({
      inbox: deps.inbox,
      body: { maxBytes: deps.maxHookBodyBytes, deadlineMs: deps.hookBodyTimeoutMs },
    }),
  );
  app.route('/.well-known', wellKnownRoutes({ workloadTokens: deps.workloadTokens }));
  const { identity } = deps;
  if (identity !== undefined) {
    // Webhooks carry no cookie and no bearer: /hook is mounted before these and never passes through them.
    const people = new Hono<PrincipalEnv>();
    people.use(principalMiddleware(identity));
    people.use(formBodyLimit);
    people.use(csrfMiddleware({ publicUrl: identity.publicUrl }));
    people.route('/auth', authRoutes(identity));
    people.route('/api', userRoutes());
    people.route('/', loginRoutes(identity));
    app.route('/', people);
  }
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));
  app.onError(handleError(deps.logger));
  return app;
}
