import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { errorResponse } from './error-responses.ts';
import type { PrincipalEnv } from './principal-middleware.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The origin the request says it came from: Origin, else Referer's; undefined when it says nothing. */
function claimedOrigin(c: Context): string | undefined {
  const origin = c.req.header('origin');
  if (origin !== undefined) return origin;
  const referer = c.req.header('referer');
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'unparsable';
  }
}

async function tokenSent(c: Context): Promise<string | undefined> {
  const header = c.req.header('x-csrf-token');
  if (header !== undefined) return header;
  if (!FORM.test(c.req.header('content-type') ?? '')) return undefined;
  // Hono keeps the parsed body, so the route reads it again.
  const field = (await c.req.parseBody())._csrf;
  return typeof field === 'string' ? field : undefined;
}

/**
 * State-changing requests that rely on the session cookie must send the session's CSRF token (header
 * `X-CSRF-Token` or form field `_csrf`) and, when they name where they came from, come from the public URL's
 * origin. Bearer-token requests are exempt: another site cannot make a browser send an Authorization header.
 * Runs after the principal middleware.
 */
export function csrfMiddleware(deps: { publicUrl: string }) {
  const origin = new URL(deps.publicUrl).origin;
  return createMiddleware<PrincipalEnv>(async (c, next) => {
    const session = c.get('session');
    if (!STATE_CHANGING.has(c.req.method) || session === null || session === undefined) return next();
    const from = claimedOrigin(c);
    if (from !== undefined && from !== origin)
      return errorResponse(c, 'FORBIDDEN', `this request did not come from ${origin}`);
    const token = await tokenSent(c);
    if (token === undefined || !sameText(token, session.csrf))
      return errorResponse(
        c,
        'FORBIDDEN',
        'this request needs the CSRF token of your session (header X-CSRF-Token or form field _csrf); reload the page',
      );
    return next();
  });
}
