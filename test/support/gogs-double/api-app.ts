/**
 * The API v1 of the Gogs TEST DOUBLE as a Hono app under /api/v1. Anything it does not know is a bare 404, and
 * an unexpected failure is Gogs' 500 message.
 */
import { Hono } from 'hono';
import { registerAdminRoutes } from './api-admin-routes.ts';
import { registerHookRoutes } from './api-hook-routes.ts';
import { registerRepoRoutes } from './api-repo-routes.ts';
import { type ApiEnv, callerOf, emptyReply, errorReply, INTERNAL_ERROR_MESSAGE } from './api-support.ts';
import { registerUserRoutes } from './api-user-routes.ts';
import type { DoubleContext } from './double-context.ts';

export function createApiApp(context: DoubleContext, onError: (error: unknown) => void): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>().basePath('/api/v1');
  app.use('*', async (c, next) => {
    c.set('caller', callerOf(context.state, c.req.header('authorization')));
    await next();
  });
  registerUserRoutes(app, context);
  registerHookRoutes(app, context);
  registerRepoRoutes(app, context);
  registerAdminRoutes(app, context);
  app.all('*', (c) => emptyReply(c, 404));
  app.onError((error, c) => {
    onError(error);
    return errorReply(c, 500, INTERNAL_ERROR_MESSAGE);
  });
  return app;
}
