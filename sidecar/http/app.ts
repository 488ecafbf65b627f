import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Counters, Logger, WorkloadTokenIssuer } from '../core/index.ts';
import { renderPrometheus } from '../telemetry/index.ts';
import type { Inbox } from '../webhooks/index.ts';
import { errorResponse, handleError } from './error-responses.ts';
import { hookRoutes } from './hook-routes.ts';
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
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));
  app.onError(handleError(deps.logger));
  return app;
}
