import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'drone_gogs_session';

/** Not readable by scripts, sent on top-level navigation from elsewhere but not on cross-site posts. */
function attributes(publicUrl: string) {
  return {
    httpOnly: true,
    secure: new URL(publicUrl).protocol === 'https:',
    sameSite: 'Lax',
    path: '/',
  } as const;
}

export function sessionCookieOf(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** Sets the cookie of a session just started; it lasts as long as the session can (`expiresAt`, ms). */
export function setSessionCookie(
  c: Context,
  value: string,
  options: { publicUrl: string; expiresAt: number; now: number },
): void {
  setCookie(c, SESSION_COOKIE, value, {
    ...attributes(options.publicUrl),
    maxAge: Math.max(0, Math.floor((options.expiresAt - options.now) / 1000)),
  });
}

export function clearSessionCookie(c: Context, options: { publicUrl: string }): void {
  setCookie(c, SESSION_COOKIE, '', { ...attributes(options.publicUrl), maxAge: 0 });
}
