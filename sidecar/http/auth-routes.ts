import { Hono } from 'hono';
import {
  ANONYMOUS,
  type Authorizer,
  type Clock,
  isAppError,
  type PolicyRepo,
  type RepoStore,
} from '../core/index.ts';
import { errorResponse } from './error-responses.ts';
import { forwardedTarget } from './forwarded-uri.ts';
import type { PrincipalEnv } from './principal-middleware.ts';

const DENIED = 'sign in with an account that may read this repository';
/** Repositories held in the cache at most; past it, the cache starts over. */
const MAX_CACHED = 10_000;

/**
 * /auth/check: Caddy's forward_auth in front of the published site's private pages. 204 lets the request on
 * to the file server; 401 (without a Location, in the one error shape) turns it back. An unknown repository is
 * answered as one the visitor may not see, so the check does not tell which repositories exist. Needs the
 * principal middleware before it (without it everyone is anonymous). The Caddyfile, on PUBLIC_URL's host:
 *
 *   @private path /private/*
 *   handle @private {
 *     forward_auth 127.0.0.1:8080 {
 *       uri /auth/check
 *       @denied status 401
 *       handle_response @denied {
 *         redir * /login?rd={uri} 302
 *       }
 *     }
 *     file_server { root /srv/drone-gogs/site }
 *   }
 *
 * forward_auth sends the visitor's headers (Cookie, Authorization) with the original URI in X-Forwarded-Uri;
 * everything else is a public page and answered 204.
 */
export function authRoutes(deps: {
  repos: Pick<RepoStore, 'findByFullName'>;
  authorizer: Authorizer;
  clock: Clock;
  /** How long a repository's visibility is reused without reading it again (default 1 s). */
  repoCacheMs?: number;
}) {
  const cacheMs = deps.repoCacheMs ?? 1000;
  const seen = new Map<string, { repo: PolicyRepo | null; readAt: number }>();
  const repoNamed = async (fullName: string): Promise<PolicyRepo | null> => {
    const now = deps.clock.now();
    const key = fullName.toLowerCase();
    const known = seen.get(key);
    if (known !== undefined && now - known.readAt < cacheMs && now >= known.readAt) return known.repo;
    const found = await deps.repos.findByFullName(fullName);
    const repo = found === null ? null : { fullName: found.fullName, private: found.private };
    if (seen.size >= MAX_CACHED) seen.clear();
    seen.set(key, { repo, readAt: now });
    return repo;
  };

  return new Hono<PrincipalEnv>().get('/check', async (c) => {
    c.header('cache-control', 'no-store');
    const target = forwardedTarget(c.req.header('x-forwarded-uri'));
    if (target.kind === 'public') return c.body(null, 204);
    if (target.kind === 'refused') return errorResponse(c, 'UNAUTHORIZED', `refused: ${target.reason}`);
    const repo = await repoNamed(target.fullName);
    if (repo === null) return errorResponse(c, 'UNAUTHORIZED', DENIED);
    try {
      await deps.authorizer.authorize(c.get('principal') ?? ANONYMOUS, 'view', repo);
    } catch (error) {
      if (isAppError(error, 'UNAUTHORIZED') || isAppError(error, 'FORBIDDEN'))
        return errorResponse(c, 'UNAUTHORIZED', DENIED);
      throw error;
    }
    return c.body(null, 204);
  });
}
