/**
 * /login, /login/gogs, /login/gogs/token, /login/oidc/{name}[/callback] and /logout: the pages and redirects of
 * signing in and out, over the login service (identity/). The redirect URIs a provider is given are built from
 * the public URL, never from the request; where to go afterwards (`rd`) is reduced to a path on this site.
 */
import { timingSafeEqual } from 'node:crypto';
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
/** `<provider>.<state>` of a logout sent on to the provider, until the browser is back on /login. */
const LOGOUT_COOKIE = 'drone_gogs_logout';
/** How long a provider that did not answer keeps a sign-in from starting, as said to the browser. */
const RETRY_AFTER_SECONDS = 60;
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

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * What the login page says after a sign-out: of the provider too only when the browser came back with the
 * state this browser's logout sent (another site can link to `/login?logged_out=1`, not set our cookie).
 */
function signedOutNotice(query: { state?: string; kept?: string }, cookie: string | undefined): string {
  const [provider = '', state = ''] = (cookie ?? '').split('.', 2);
  if (provider !== '' && state !== '' && query.state !== undefined && sameText(query.state, state))
    return `You are signed out of drone-gogs and of ${provider}.`;
  if (query.kept !== undefined && /^[a-z0-9-]{1,32}$/.test(query.kept))
    return `You are signed out of drone-gogs, but not of ${query.kept}: it offers no sign-out to other sites, or could not be reached. On a shared computer, sign out at ${query.kept} too, or close the browser.`;
  return 'You are signed out of drone-gogs.';
}

export function loginRoutes(deps: LoginRoutesDeps) {
  const publicOrigin = new URL(deps.publicUrl).origin;
  const secure = publicOrigin.startsWith('https:');
  const html = (c: Context, page: Parameters<Context['html']>[0], status: 200 | 400 | 401 | 503 = 200) => {
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
  /** The login page as the request's session sees it: waiting to connect, signed in, or neither. */
  const page = async (
    c: Context<PrincipalEnv>,
    returnTo: string,
    said: { problem?: string; notice?: string } = {},
    status: 200 | 401 | 503 = 200,
  ) => {
    const session = c.get('session');
    const principal = c.get('principal');
    const user = session !== null && principal.kind === 'user' ? principal.login : undefined;
    const tokenMissing = session !== null && user !== undefined && (await deps.login.needsGogsToken(session));
    const providers = await deps.login.providerNames();
    return html(
      c,
      loginPage({
        providers,
        returnTo,
        waiting: session !== null && session.userId === null,
        signedIn: user,
        tokenMissing,
        csrf: session?.csrf,
        ...said,
      }),
      status,
    );
  };
  const refusedStatus = (done: { unavailable?: boolean }) => (done.unavailable ? 503 : 401);

  return (
    new Hono<PrincipalEnv>()
      .get('/login', async (c) => {
        const returnTo = c.req.query('rd') ?? '/';
        if (c.req.query('logged_out') === undefined) return page(c, returnTo);
        const notice = signedOutNotice(
          { state: c.req.query('state'), kept: c.req.query('kept') },
          getCookie(c, LOGOUT_COOKIE),
        );
        deleteCookie(c, LOGOUT_COOKIE, { path: '/login', secure, httpOnly: true, sameSite: 'Lax' });
        return page(c, returnTo, { notice });
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
        if ('refused' in done) return page(c, returnTo, { problem: done.refused }, refusedStatus(done));
        return signedIn(c, done);
      })
      // A session is needed, so the CSRF middleware has checked the form's token before this runs.
      .post('/login/gogs/token', async (c) => {
        const form = await c.req.parseBody();
        const returnTo = field(form, 'rd') || '/';
        const done = await deps.login.connectWithToken(
          { token: field(form, 'token'), returnTo },
          c.get('session'),
        );
        if ('refused' in done) return page(c, returnTo, { problem: done.refused }, refusedStatus(done));
        return signedIn(c, done);
      })
      .get('/login/oidc/:name', async (c) => {
        const name = c.req.param('name');
        const returnTo = c.req.query('rd') ?? '/';
        const started = await deps.login.startOidc(name, returnTo);
        if ('refused' in started) {
          if (!started.unavailable) return html(c, refusedPage(started.refused, returnTo), 400);
          c.header('retry-after', String(RETRY_AFTER_SECONDS));
          const retry = `/login/oidc/${encodeURIComponent(name)}?rd=${encodeURIComponent(returnTo)}`;
          return html(
            c,
            refusedPage(started.refused, returnTo, { title: 'Sign-in provider unavailable', retry }),
            503,
          );
        }
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
        if ('refused' in done) return html(c, refusedPage(done.refused, '/'), refusedStatus(done));
        return signedIn(c, done);
      })
      .post('/logout', async (c) => {
        const out = await deps.login.signOut(c.get('session'), c.get('principal'));
        clearSessionCookie(c, { publicUrl: deps.publicUrl });
        if (out.providerLogout !== null)
          // Lax: the provider's redirect back to /login is a top-level navigation, which carries it.
          setCookie(c, LOGOUT_COOKIE, `${out.providerLogout.provider}.${out.providerLogout.state}`, {
            httpOnly: true,
            secure,
            sameSite: 'Lax',
            path: '/login',
            maxAge: PENDING_SECONDS,
          });
        return c.redirect(out.redirect, 303);
      })
  );
}
