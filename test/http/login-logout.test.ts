/**
 * Signing out over HTTP (OpenID Connect RP-Initiated Logout 1.0) against a real oidc-provider on loopback and
 * the Gogs TEST DOUBLE: the session row ends, the cookie is cleared, and a session from an OIDC login is sent
 * to the provider's end_session_endpoint with its ID token as the hint, the client id, the public URL's
 * /login?logged_out=1 and a state; the provider then ends its own session. Without the endpoint, /login says
 * the provider's session is still open. Every logout is audited.
 */
import { createClient } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { cookiesOf, startSidecarWithProvider } from '../support/login-browser.ts';
import type { TestOidcProvider } from '../support/oidc-provider.ts';
import type { SidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const CLIENT_SECRET = 'client-secret-of-drone-gogs-logout';

describe('signing out', () => {
  let t: SidecarBesideGogs;
  let op: TestOidcProvider | undefined;
  let publicUrl: string;
  afterEach(async () => {
    await op?.stop();
    op = undefined;
    await t.dispose();
  });

  async function start(options: { logout?: boolean } = {}) {
    const started = await startSidecarWithProvider({
      clientSecret: CLIENT_SECRET,
      accounts: [
        { sub: 'u-alice', preferred_username: 'alice', email: 'alice@example.com', email_verified: true },
      ],
      postLogout: true,
      ...options,
    });
    ({ t, op, publicUrl } = started);
    return { browser: started.browser, op: started.op };
  }
  const sql = async (query: string, args: (string | number)[] = []) => {
    const client = createClient({ url: t.sidecar.services.config.database.url });
    try {
      return (await client.execute({ sql: query, args })).rows;
    } finally {
      client.close();
    }
  };
  const logouts = async () =>
    (await t.sidecar.services.stores.audit.read())
      .filter((row) => row.action === 'logout')
      .map((row) => ({ actor: row.actor, target: row.target, detail: JSON.parse(row.detail) }));

  it('ends the session, then the provider’s own through its end_session_endpoint, and comes back to /login', async () => {
    const { browser, op } = await start();
    const atProvider = op.browser();
    const { answer, cookie } = await browser.signInWith(op, 'corp', 'u-alice', { browser: atProvider });
    expect(answer.status).toBe(303);
    expect(await browser.whoAmI(cookie)).toBe('alice');
    const [row] = await sql('select id, id_token from sessions where revoked_at = 0');
    expect(String(row?.id_token)).toMatch(/^v2:/);

    // While the provider's session lasts, a new sign-in comes straight back without asking anything.
    const again = await browser.get('/login/oidc/corp');
    expect(await atProvider.open(new URL(again.headers.get('location') ?? ''))).toMatchObject({
      left: expect.any(URL),
    });

    const csrf = await browser.csrfOf(cookie);
    const out = await browser.post('/logout', { _csrf: csrf }, cookie);
    expect(out.status).toBe(303);
    expect(cookiesOf(out).get('drone_gogs_session')).toBe('');
    const endSession = new URL(out.headers.get('location') ?? '');
    expect(endSession.origin).toBe(op.issuer);
    expect(endSession.pathname).toBe('/session/end');
    const idTokenHint = endSession.searchParams.get('id_token_hint') ?? '';
    expect(idTokenHint.split('.')).toHaveLength(3);
    expect(endSession.searchParams.get('client_id')).toBe('drone-gogs');
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${publicUrl}/login?logged_out=1`);
    const state = endSession.searchParams.get('state') ?? '';
    expect(state.length).toBeGreaterThanOrEqual(16);

    // The session row ended at once; the ID token was only ever stored encrypted.
    expect(await browser.whoAmI(cookie)).toBe(401);
    const [ended] = await sql('select revoked_at, id_token from sessions where id = ?', [Number(row?.id)]);
    expect(Number(ended?.revoked_at)).toBeGreaterThan(0);
    expect(String(ended?.id_token)).not.toContain(idTokenHint.split('.')[1]);
    expect(t.logLines.join('\n')).not.toContain(idTokenHint.split('.')[1]);

    // The provider signs the person out and sends the browser back with the state.
    const back = await atProvider.signOut(endSession);
    expect(back.origin).toBe(publicUrl);
    expect(`${back.pathname}?${back.searchParams.toString()}`).toBe(
      `/login?logged_out=1&state=${encodeURIComponent(state)}`,
    );
    const logoutCookie = `drone_gogs_logout=${cookiesOf(out).get('drone_gogs_logout')}`;
    const page = await browser.get(`${back.pathname}${back.search}`, logoutCookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You are signed out of drone-gogs and of corp.');
    // Anyone can link to the page; without this browser's state it claims nothing about the provider.
    const forged = await (await browser.get(`${back.pathname}${back.search}`)).text();
    expect(forged).toContain('You are signed out of drone-gogs.');
    expect(forged).not.toContain('of corp');

    // The provider's session is gone: a new sign-in asks for credentials again.
    const fresh = await browser.get('/login/oidc/corp');
    expect(await atProvider.open(new URL(fresh.headers.get('location') ?? ''))).toEqual({ asks: 'login' });

    expect(await logouts()).toEqual([
      {
        actor: 'gogs:alice oidc:corp:u-alice',
        target: `session ${row?.id}`,
        detail: { session: Number(row?.id), provider: 'corp', providerLogout: 'redirect', idTokenHint: true },
      },
    ]);
  });

  it('says the provider’s session is still open when the provider has no end_session_endpoint', async () => {
    const { browser, op } = await start({ logout: false });
    const { cookie } = await browser.signInWith(op, 'corp', 'u-alice');
    const out = await browser.post('/logout', { _csrf: await browser.csrfOf(cookie) }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login?logged_out=1&kept=corp');
    expect(cookiesOf(out).get('drone_gogs_session')).toBe('');
    expect(cookiesOf(out).has('drone_gogs_logout')).toBe(false);
    expect(await browser.whoAmI(cookie)).toBe(401);
    const page = await (await browser.get('/login?logged_out=1&kept=corp')).text();
    expect(page).toContain('You are signed out of drone-gogs, but not of corp');

    // A Gogs form session has no provider to leave.
    const gogs = await browser.post('/login/gogs', { username: 'bob', password: 'bob-password' });
    const bob = `drone_gogs_session=${cookiesOf(gogs).get('drone_gogs_session')}`;
    const bobOut = await browser.post('/logout', { _csrf: await browser.csrfOf(bob) }, bob);
    expect(bobOut.headers.get('location')).toBe('/login?logged_out=1');
    expect(await browser.whoAmI(bob)).toBe(401);

    expect(
      (await logouts()).map((row) => [row.actor, row.detail.provider, row.detail.providerLogout]),
    ).toEqual([
      ['gogs:alice oidc:corp:u-alice', 'corp', 'not-offered'],
      ['gogs:bob', null, 'none'],
    ]);
  });
});
