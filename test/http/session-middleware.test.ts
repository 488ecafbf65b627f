/**
 * Who a request is (bearer token, else session cookie, else nobody) and the CSRF gate in front of
 * cookie-authenticated state-changing requests: the session's token in a header or form field, from the public
 * URL's origin; bearer requests exempt. Also the attributes of the session cookie.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearSessionCookie, setSessionCookie } from '../../sidecar/http/session-cookie.ts';
import { cookieHeader, PUBLIC_URL, startAuthApp } from '../support/auth-app.ts';
import type { ErrorAnswer } from '../support/hook-app.ts';

describe('principal and CSRF middleware', () => {
  let s: Awaited<ReturnType<typeof startAuthApp>>;
  beforeAll(async () => {
    s = await startAuthApp();
  });
  afterAll(() => s?.dispose());

  const whoami = async (headers: Record<string, string>) => {
    const response = await s.app.request('/whoami', { headers });
    return { status: response.status, body: (await response.json()) as ErrorAnswer };
  };
  const post = (headers: Record<string, string>, body?: string) =>
    s.app.request('/things', { method: 'POST', headers, ...(body === undefined ? {} : { body }) });

  it('takes the person from a bearer token, else the session cookie, else nobody', async () => {
    expect((await whoami({ authorization: `Bearer ${s.bob.token}` })).body).toMatchObject({ login: 'bob' });
    expect((await whoami(cookieHeader(s.alice.cookie))).body).toMatchObject({ kind: 'user', login: 'alice' });
    // Both: the token decides.
    expect(
      (await whoami({ ...cookieHeader(s.alice.cookie), authorization: `Bearer ${s.bob.token}` })).body,
    ).toMatchObject({ login: 'bob' });
    expect((await whoami({})).body).toEqual({ kind: 'anonymous' });
    expect((await whoami(cookieHeader(`${s.alice.cookie}x`))).body).toEqual({ kind: 'anonymous' });
  });

  it('refuses a bearer token not in force in the one error shape, rather than taking it for nobody', async () => {
    for (const authorization of [`Bearer dgt_${'A'.repeat(43)}`, 'Bearer', `Basic ${btoa('alice:pw')}`]) {
      const { status, body } = await whoami({ authorization, ...cookieHeader(s.alice.cookie) });
      expect(status, authorization).toBe(401);
      expect(body.error.code).toBe('UNAUTHORIZED');
    }
  });

  it('refuses a cookie-authenticated post without the CSRF token or with a wrong one', async () => {
    const noToken = await post(cookieHeader(s.alice.cookie));
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as ErrorAnswer).error.code).toBe('FORBIDDEN');
    expect((await post({ ...cookieHeader(s.alice.cookie), 'x-csrf-token': s.bob.csrf })).status).toBe(403);
    expect((await post({ ...cookieHeader(s.alice.cookie), 'x-csrf-token': '' })).status).toBe(403);
    for (const method of ['PUT', 'PATCH', 'DELETE'])
      expect(
        (await s.app.request('/things', { method, headers: cookieHeader(s.alice.cookie) })).status,
      ).not.toBe(200);
  });

  it('accepts the right token in the header or the form field', async () => {
    const byHeader = await post({ ...cookieHeader(s.alice.cookie), 'x-csrf-token': s.alice.csrf });
    expect(byHeader.status).toBe(200);
    expect(await byHeader.json()).toMatchObject({ done: true, by: { login: 'alice' } });
    const byForm = await post(
      { ...cookieHeader(s.alice.cookie), 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ _csrf: s.alice.csrf, name: 'x' }).toString(),
    );
    expect(byForm.status).toBe(200);
  });

  it('refuses the right token from another origin, and accepts it from the public one', async () => {
    const withToken = { ...cookieHeader(s.alice.cookie), 'x-csrf-token': s.alice.csrf };
    expect((await post({ ...withToken, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ ...withToken, origin: 'null' })).status).toBe(403);
    expect((await post({ ...withToken, origin: 'http://ci.example.com' })).status).toBe(403);
    expect((await post({ ...withToken, referer: 'https://evil.example/page' })).status).toBe(403);
    expect((await post({ ...withToken, origin: PUBLIC_URL })).status).toBe(200);
    expect((await post({ ...withToken, referer: `${PUBLIC_URL}/builds/1` })).status).toBe(200);
  });

  it('lets bearer-token posts through without a CSRF token', async () => {
    const response = await post({ authorization: `Bearer ${s.alice.token}`, origin: 'https://evil.example' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ by: { login: 'alice' } });
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/, and Secure on an https public URL', async () => {
    const app = new Hono()
      .get('/https', (c) => {
        setSessionCookie(c, 'v', { publicUrl: 'https://ci.example.com', expiresAt: 3_600_000, now: 0 });
        return c.body(null, 204);
      })
      .get('/http', (c) => {
        setSessionCookie(c, 'v', { publicUrl: 'http://localhost:8080', expiresAt: 3_600_000, now: 0 });
        return c.body(null, 204);
      })
      .get('/out', (c) => {
        clearSessionCookie(c, { publicUrl: 'https://ci.example.com' });
        return c.body(null, 204);
      });
    const secure = (await app.request('/https')).headers.get('set-cookie') ?? '';
    expect(secure).toMatch(/^drone_gogs_session=v;/);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/', 'Max-Age=3600'])
      expect(secure.split('; ')).toContain(attribute);
    const plain = (await app.request('/http')).headers.get('set-cookie') ?? '';
    expect(plain.split('; ')).not.toContain('Secure');
    expect(plain.split('; ')).toContain('HttpOnly');
    expect((await app.request('/out')).headers.get('set-cookie')).toMatch(/^drone_gogs_session=;.*Max-Age=0/);
  });
});
