/**
 * GET /auth/check as Caddy's forward_auth asks it: 204 for the public site and for private pages of a
 * repository the person may view (by session cookie or bearer token), 401 otherwise, unknown repositories
 * included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN } from '../../sidecar/core/index.ts';
import { cookieHeader, startAuthApp } from '../support/auth-app.ts';
import type { ErrorAnswer } from '../support/hook-app.ts';
import { repoFacts } from '../support/stores.ts';

describe('/auth/check', () => {
  let s: Awaited<ReturnType<typeof startAuthApp>>;
  beforeAll(async () => {
    s = await startAuthApp();
  });
  afterAll(() => s?.dispose());

  const check = (uri: string, headers: Record<string, string> = {}) =>
    s.app.request('/auth/check', { headers: { 'x-forwarded-uri': uri, ...headers } });
  const status = async (uri: string, headers: Record<string, string> = {}) =>
    (await check(uri, headers)).status;

  it('lets the person who may read a private repository see its pages, by session or token', async () => {
    const ok = await check('/private/acme/secret/builds/1/', cookieHeader(s.alice.cookie));
    expect(ok.status).toBe(204);
    expect(ok.headers.get('location')).toBeNull();
    expect(await status('/private/acme/secret/', { authorization: `Bearer ${s.alice.token}` })).toBe(204);
    expect(await status('/private/ACME/Secret/index.html?x=1', cookieHeader(s.alice.cookie))).toBe(204);
  });

  it('turns back anonymous visitors and people without rights with a 401 and no Location', async () => {
    const anonymous = await check('/private/acme/secret/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('location')).toBeNull();
    expect(((await anonymous.json()) as ErrorAnswer).error.code).toBe('UNAUTHORIZED');
    expect(await status('/private/acme/secret/', cookieHeader(s.bob.cookie))).toBe(401);
    expect(await status('/private/acme/secret/', { authorization: `Bearer ${s.bob.token}` })).toBe(401);
    expect(await status('/private/acme/other/', cookieHeader(s.alice.cookie))).toBe(401);
    expect(await status('/private/acme/secret/', { authorization: 'Bearer dgt_nope' })).toBe(401);
  });

  it('records a denial once a minute however often it is asked, not once per request', async () => {
    const denials = async () =>
      (await s.stores.audit.read()).filter(
        (row) => row.action === 'policy.deny' && row.target === 'acme/open2',
      );
    await s.stores.repos.upsertFacts({ ...repoFacts('acme/open2', 13), private: true });
    for (let i = 0; i < 25; i++) expect(await status('/private/acme/open2/builds/1/')).toBe(401);
    expect(await denials()).toHaveLength(1);
    // Someone else refused the same way is a denial of their own.
    expect(await status('/private/acme/open2/', cookieHeader(s.bob.cookie))).toBe(401);
    expect(await status('/private/acme/open2/', cookieHeader(s.bob.cookie))).toBe(401);
    expect(await denials()).toHaveLength(2);
  });

  it('answers an unknown repository as one the visitor may not see', async () => {
    const unknown = await check('/private/acme/nope/', cookieHeader(s.alice.cookie));
    const denied = await check('/private/acme/other/', cookieHeader(s.alice.cookie));
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as ErrorAnswer).error.message).toBe(
      ((await denied.json()) as ErrorAnswer).error.message,
    );
  });

  it('lets anyone see public pages, and a public repository under /private/ by the policy', async () => {
    for (const uri of ['/', '/acme/secret/', '/builds/index.html', '/privately/x', '/acme/private/x'])
      expect(await status(uri), uri).toBe(204);
    expect(await status('/private/acme/open/')).toBe(204);
  });

  it('stops at once when the session is revoked', async () => {
    const again = await s.sessions.start(
      { userId: s.alice.id, identityId: null, login: 'alice', admin: false, roles: [], subject: null },
      Date.now(),
    );
    expect(await status('/private/acme/secret/', cookieHeader(again.cookie))).toBe(204);
    await s.sessions.revoke(again.session.id, LOCAL_ADMIN);
    expect(await status('/private/acme/secret/', cookieHeader(again.cookie))).toBe(401);
  });
});
