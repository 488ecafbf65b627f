/**
 * /login, /login/gogs, /login/oidc/{name}[/callback] and /logout: the pages and redirects of signing in and out,
 * over the login service (identity/). The redirect URI a provider is given is built from the public URL, never
 * from the request; where to go afterwards (`rd`) is reduced to a path on this site.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Clock, LoginService } from '../core/index.ts';
import { errorResponse } from './error-responses.ts';
import { loginPage, refusedPage } from './login-pages.ts';
import type { PrincipalEnv } from './principal-middleware.ts';
import { clearSessionCookie, setSessionCookie } from './session-cookie.ts';

/** The login under way in this browser, sealed; only its callback reads it. */
const PENDING_COOKIE = 'drone_gogs_login';
const PENDING_SECONDS = 10 * 60;
/** A sign-in form is a few hundred bytes. */
export const MAX_FORM_BYTES = 16 * 1024;

/** Form bodies are read whole (CSRF checks and routes parse them): refuse big or unannounced ones first. */
export const formBodyLimit = createMiddleware(async (c, next) => {
  if (
    !/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(c.req.header('content-type') ?? '')
  )
    return next();
  const length = Number(c.req.header('content-length') ?? Number.NaN);
  if (!Number.isInteger(length) || length > MAX_FORM_BYTES)
    return errorResponse(
      c,
      'PAYLOAD_TOO_LARGE',
      `a form must announce its length and be at most ${MAX_FORM_BYTES} bytes`,
    );
  return next();
});

export interface LoginRoutesDeps {
  login: LoginService;
  publicUrl: string;
  clock: Clock;
}

function field(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value : '';
}

export function loginRoutes(deps: LoginRoutesDeps) {
  const publicOrigin = new URL(deps.publicUrl).origin;
  const secure = publicOrigin.startsWith('https:');
  const html = (c: Context, page: Parameters<Context['html']>[0], status: 200 | 400 | 401 = 200) => {
    c.header('cache-control', 'no-store');
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    return c.html(page, status);
  };
  const signedIn = (
    c: Context,
    done: { session: { cookie: string }; expiresAt: number; returnTo: string; linked: boolean },
  ) => {
    setSessionCookie(c, done.session.cookie, {
      publicUrl: deps.publicUrl,
      expiresAt: done.expiresAt,
      now: deps.clock.now(),
    });
    const next = done.linked ? done.returnTo : `/login?rd=${encodeURIComponent(done.returnTo)}&connect=1`;
    return c.redirect(next, 303);
  };

  return new Hono<PrincipalEnv>()
    .get('/login', async (c) => {
      const returnTo = c.req.query('rd') ?? '/';
      const session = c.get('session');
      const principal = c.get('principal');
      const waiting = session !== null && session.userId === null;
      const signedIn = session !== null && principal.kind === 'user' ? principal.login : undefined;
      const providers = await deps.login.providerNames();
      return html(c, loginPage({ providers, returnTo, waiting, signedIn, csrf: session?.csrf }));
    })
    .post('/login/gogs', async (c) => {
      // Login CSRF: a form posted from another site says so in its Origin.
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== publicOrigin)
        return errorResponse(c, 'FORBIDDEN', `this sign-in did not come from ${publicOrigin}`);
      const form = await c.req.parseBody();
      const returnTo = field(form, 'rd') || '/';
      const done = await deps.login.signInWithPassword(
        { username: field(form, 'username'), password: field(form, 'password'), returnTo },
        c.get('session'),
      );
      if ('refused' in done) {
        const providers = await deps.login.providerNames();
        return html(c, loginPage({ providers, returnTo, problem: done.refused }), 401);
      }
      return signedIn(c, done);
    })
    .get('/login/oidc/:name', async (c) => {
      const name = c.req.param('name');
      const started = await deps.login.startOidc(name, c.req.query('rd'));
      if ('refused' in started) return html(c, refusedPage(started.refused, '/'), 400);
      setCookie(c, PENDING_COOKIE, started.pending, {
        httpOnly: true,
        secure,
        // Lax: the provider's redirect back is a top-level navigation, which carries it.
        sameSite: 'Lax',
        path: `/login/oidc/${encodeURIComponent(name)}`,
        maxAge: PENDING_SECONDS,
      });
      return c.redirect(started.redirect.href, 302);
    })
    .get('/login/oidc/:name/callback', async (c) => {
      const name = c.req.param('name');
      const path = `/login/oidc/${encodeURIComponent(name)}`;
      const pending = getCookie(c, PENDING_COOKIE);
      deleteCookie(c, PENDING_COOKIE, { path, secure, httpOnly: true, sameSite: 'Lax' });
      const callback = new URL(`${path}/callback${new URL(c.req.url).search}`, publicOrigin);
      const done = await deps.login.finishOidc(name, callback, pending);
      if ('refused' in done) return html(c, refusedPage(done.refused, '/'), 401);
      return signedIn(c, done);
    })
    .post('/logout', async (c) => {
      const next = await deps.login.signOut(c.get('session'), c.get('principal'));
      clearSessionCookie(c, { publicUrl: deps.publicUrl });
      return c.redirect(next, 303);
    });
}
