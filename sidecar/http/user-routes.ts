/** `GET /api/user`: who the caller is (Drone's route), from the bearer token or the session. */
import { Hono } from 'hono';
import { errorResponse } from './error-responses.ts';
import type { PrincipalEnv } from './principal-middleware.ts';

export function userRoutes() {
  return new Hono<PrincipalEnv>().get('/user', (c) => {
    const principal = c.get('principal');
    if (principal.kind === 'anonymous')
      return errorResponse(c, 'UNAUTHORIZED', 'nobody is signed in: sign in at /login or send an API token');
    if (principal.kind === 'local-admin') return c.json({ login: 'local-admin', admin: true, machine: true });
    return c.json({
      login: principal.login,
      admin: principal.admin,
      machine: false,
      active: true,
      roles: [...principal.roles],
      subject: principal.subject ?? '',
    });
  });
}
