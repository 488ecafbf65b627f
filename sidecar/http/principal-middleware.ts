import { createMiddleware } from 'hono/factory';
import {
  ANONYMOUS,
  type Clock,
  type Principal,
  type SessionService,
  type StoredSession,
  type TokenService,
} from '../core/index.ts';
import { errorResponse } from './error-responses.ts';
import { sessionCookieOf } from './session-cookie.ts';

/** What the principal middleware leaves on the context for the routes after it. */
export interface PrincipalEnv {
  Variables: {
    principal: Principal;
    /** The session the request came with; null for a bearer token or nobody signed in. */
    session: StoredSession | null;
  };
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Who is asking: `Authorization: Bearer <token>` names an API token (one not in force is refused, not taken for
 * an anonymous visit, so that a client learns its token is bad); otherwise the session cookie; otherwise nobody.
 */
export function principalMiddleware(deps: {
  tokens: Pick<TokenService, 'authenticate'>;
  sessions: Pick<SessionService, 'resolve'>;
  clock: Clock;
}) {
  return createMiddleware<PrincipalEnv>(async (c, next) => {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const bearer = BEARER.exec(authorization)?.[1];
      const principal = bearer === undefined ? null : await deps.tokens.authenticate(bearer);
      if (principal === null) {
        c.header('www-authenticate', 'Bearer');
        return errorResponse(
          c,
          'UNAUTHORIZED',
          'the Authorization header holds no API token in force (`Bearer dgt_…`; `drone-gogs token create` makes one)',
        );
      }
      c.set('principal', principal);
      c.set('session', null);
      return next();
    }
    const cookie = sessionCookieOf(c);
    const resolved = cookie === undefined ? null : await deps.sessions.resolve(cookie, deps.clock.now());
    c.set('principal', resolved?.principal ?? ANONYMOUS);
    c.set('session', resolved?.session ?? null);
    return next();
  });
}
