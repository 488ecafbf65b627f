/**
 * Connecting a Gogs account by pasting an access token, over HTTP against the Gogs TEST DOUBLE and a real
 * oidc-provider: the connect page's form (POST, the session's CSRF token, the form size limit), the token
 * checked with Gogs' GET /user and stored encrypted as the person's, and a clear page when Gogs refuses it,
 * when it is another Gogs user's than the one the identity was matched to, or when Gogs is down. The token is
 * never shown back.
 */
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cookiesOf, type loginBrowser, startSidecarWithProvider } from '../support/login-browser.ts';
import type { TestOidcProvider } from '../support/oidc-provider.ts';
import type { SidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const CLIENT_SECRET = 'client-secret-of-drone-gogs-token';

describe('connecting a Gogs account with a pasted token', () => {
  let t: SidecarBesideGogs;
  let op: TestOidcProvider;
  let browser: ReturnType<typeof loginBrowser>;
  beforeEach(async () => {
    ({ t, op, browser } = await startSidecarWithProvider({
      clientSecret: CLIENT_SECRET,
      accounts: [
        { sub: 'u-zed', preferred_username: 'zed', email: 'zed@example.com', email_verified: true },
        { sub: 'u-alice', preferred_username: 'alice', email: 'alice@example.com', email_verified: true },
      ],
    }));
  });
  afterEach(async () => {
    await op.stop();
    await t.dispose();
  });

  const sql = async (query: string, args: (string | number)[] = []) => {
    const client = createClient({ url: t.sidecar.services.config.database.url });
    try {
      return (await client.execute({ sql: query, args })).rows;
    } finally {
      client.close();
    }
  };
  const linkOf = async (login: string) =>
    (
      await sql(
        'select l.source, l.token from gogs_links l join users u on u.id = l.user_id where u.login = ?',
        [login],
      )
    )[0] ?? null;
  const paste = (token: string, cookie: string, csrf: string) =>
    browser.post('/login/gogs/token', { token, rd: '/alice/app/', _csrf: csrf }, cookie);

  it('links a waiting OIDC identity to the Gogs user whose token is pasted, after refusing bad tokens and while Gogs is down', async () => {
    const zed = await browser.signInWith(op, 'corp', 'u-zed', { rd: '/alice/app/' });
    expect(zed.answer.headers.get('location')).toBe('/login?rd=%2Falice%2Fapp%2F&connect=1');
    const connect = await (await browser.get('/login?rd=%2Falice%2Fapp%2F&connect=1', zed.cookie)).text();
    expect(connect).toContain('Connect your Gogs account');
    expect(connect).toContain('action="/login/gogs/token"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(connect)?.[1] ?? '';
    const bobToken = t.gogs.addToken('bob', 'pasted-into-drone-gogs');

    // Without the session's CSRF token, and bigger than a form may be: refused before Gogs is asked.
    expect((await paste(bobToken, zed.cookie, 'not-the-token')).status).toBe(403);
    const big = await paste(`${bobToken}${'x'.repeat(20_000)}`, zed.cookie, csrf);
    expect(big.status).toBe(413);

    const refused = await paste('f'.repeat(40), zed.cookie, csrf);
    expect(refused.status).toBe(401);
    const refusedPage = await refused.text();
    expect(refusedPage).toContain('Gogs did not accept this token');
    expect(refusedPage).not.toContain('f'.repeat(40));
    // The page still offers the form with this session's CSRF token: the person can paste another.
    expect(refusedPage).toContain(`name="_csrf" value="${csrf}"`);

    t.gogs.injectFault({ times: 20, match: ({ path }) => path === '/api/v1/user', drop: true });
    const down = await paste(bobToken, zed.cookie, csrf);
    expect(down.status).toBe(503);
    const downPage = await down.text();
    expect(downPage).toContain('Gogs cannot be reached right now');
    expect(downPage).not.toContain(bobToken);
    expect(cookiesOf(down).has('drone_gogs_session')).toBe(false);
    expect(await linkOf('bob')).toBeNull();
    t.gogs.clearFaults();

    const done = await paste(bobToken, zed.cookie, csrf);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/alice/app/');
    const bob = `drone_gogs_session=${cookiesOf(done).get('drone_gogs_session')}`;
    expect(await browser.whoAmI(bob)).toBe('bob');
    expect(await browser.whoAmI(zed.cookie)).toBe(401);
    const link = await linkOf('bob');
    expect(link?.source).toBe('pasted');
    expect(String(link?.token)).toMatch(/^v2:/);
    expect(String(link?.token)).not.toContain(bobToken);
    expect(t.logLines.join('\n')).not.toContain(bobToken);
    const [identity] = await sql(
      "select u.login from identities i join users u on u.id = i.user_id where i.subject = 'u-zed'",
    );
    expect(identity?.login).toBe('bob');
    // The next sign-in of the identity is bob's at once.
    const again = await browser.signInWith(op, 'corp', 'u-zed');
    expect(again.answer.headers.get('location')).toBe('/');
    expect(await browser.whoAmI(again.cookie)).toBe('bob');
  });

  it('refuses the token of another Gogs user than the one the identity was matched to', async () => {
    // Matched to alice by username, but drone-gogs holds no token of hers.
    const alice = await browser.signInWith(op, 'corp', 'u-alice', { rd: '/alice/app/' });
    expect(alice.answer.headers.get('location')).toBe('/alice/app/');
    const page = await (await browser.get('/login', alice.cookie)).text();
    expect(page).toContain('Connect your Gogs account');
    expect(page).toContain('action="/login/gogs/token"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

    const bobToken = t.gogs.addToken('bob', 'not-alices');
    const wrong = await paste(bobToken, alice.cookie, csrf);
    expect(wrong.status).toBe(401);
    const wrongPage = await wrong.text();
    expect(wrongPage).toContain('This token belongs to the Gogs user bob, but you are signed in as alice.');
    expect(wrongPage).not.toContain(bobToken);
    expect(await linkOf('bob')).toBeNull();
    expect(await linkOf('alice')).toBeNull();
    expect(await browser.whoAmI(alice.cookie)).toBe('alice');
    const refusals = (await t.sidecar.services.stores.audit.read()).filter(
      (row) => row.action === 'login.failure',
    );
    expect(refusals.map((row) => [row.target, JSON.parse(row.detail).reason])).toEqual([
      ['alice', 'token-other-user'],
    ]);

    const aliceToken = t.gogs.addToken('alice', 'hers');
    const done = await paste(aliceToken, alice.cookie, csrf);
    expect(done.status).toBe(303);
    const cookie = `drone_gogs_session=${cookiesOf(done).get('drone_gogs_session')}`;
    expect(await browser.whoAmI(cookie)).toBe('alice');
    expect((await linkOf('alice'))?.source).toBe('pasted');
    // Connected: the page no longer asks for a token, and the session is still the provider's (its subject).
    const after = await (await browser.get('/login', cookie)).text();
    expect(after).not.toContain('action="/login/gogs/token"');
    expect(await (await browser.get('/api/user', cookie)).json()).toMatchObject({ subject: 'corp:u-alice' });
  });

  it('asks for a session first', async () => {
    const response = await browser.post('/login/gogs/token', { token: t.gogs.addToken('bob', 'alone') });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('Sign in first');
    expect(await linkOf('bob')).toBeNull();
  });
});
