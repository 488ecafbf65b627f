/**
 * Signing in over HTTP, the way a browser does: the Gogs login form (against the Gogs TEST DOUBLE) and an OIDC
 * login through a real oidc-provider on loopback, each ending in a session cookie that GET /api/user answers
 * for; signing out with the session's CSRF token. Cookies are carried by hand, as a browser would.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.ts';
import { cookiesOf, loginBrowser } from '../support/login-browser.ts';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';
import { makeTempDir } from '../support/temp-dir.ts';

type Browser = ReturnType<typeof loginBrowser>;

describe('signing in', () => {
  let t: SidecarBesideGogs;
  let op: TestOidcProvider | undefined;
  let publicUrl: string;
  let get: Browser['get'];
  let post: Browser['post'];
  let whoAmI: Browser['whoAmI'];
  afterEach(async () => {
    await op?.stop();
    op = undefined;
    await t.dispose();
  });

  async function start() {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    t = await startSidecarBesideGogs({
      env: { DRONE_GOGS_LISTEN: `127.0.0.1:${port}`, DRONE_GOGS_PUBLIC_URL: publicUrl },
    });
    ({ get, post, whoAmI } = loginBrowser(publicUrl));
  }
  it('signs a Gogs user in with the form, one Gogs token across logins, and out with the CSRF token', async () => {
    await start();
    const sessions: string[] = [];
    for (let login = 0; login < 3; login++) {
      const signedIn = await post('/login/gogs', {
        username: 'alice',
        password: 'alice-password',
        rd: '/alice/app/',
      });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.get('location')).toBe('/alice/app/');
      const session = cookiesOf(signedIn).get('drone_gogs_session') ?? '';
      expect(signedIn.headers.getSetCookie()[0]).toMatch(/HttpOnly/i);
      expect(signedIn.headers.getSetCookie()[0]).toMatch(/SameSite=Lax/i);
      sessions.push(session);
      expect(await whoAmI(`drone_gogs_session=${session}`)).toBe('alice');
    }
    expect(new Set(sessions).size).toBe(3);
    expect(t.gogs.tokenNames('alice').filter((name) => name.startsWith('drone-gogs'))).toEqual([
      'drone-gogs',
    ]);

    const wrong = await post('/login/gogs', { username: 'alice', password: 'not-it' });
    expect(wrong.status).toBe(401);
    expect(cookiesOf(wrong).has('drone_gogs_session')).toBe(false);
    const page = await wrong.text();
    expect(page).not.toContain('not-it');

    // A return target off the site is not followed.
    const away = await post('/login/gogs', {
      username: 'bob',
      password: 'bob-password',
      rd: '//evil.example/',
    });
    expect(away.headers.get('location')).toBe('/');

    // A new signing key: sessions signed with the old one go on; new ones carry the new key's id.
    const rotated = await t.cli('rotate', 'session-keys');
    expect(rotated.code).toBe(0);
    const newKey = /signed with key (\S+);/.exec(rotated.stdout)?.[1] ?? '';
    expect(await whoAmI(`drone_gogs_session=${sessions[2]}`)).toBe('alice');
    const after = await post('/login/gogs', { username: 'alice', password: 'alice-password' });
    const [, keyBefore] = (sessions[2] ?? '').split('.');
    const [, keyAfter] = (cookiesOf(after).get('drone_gogs_session') ?? '').split('.');
    expect(keyAfter).toBe(newKey);
    expect(keyBefore).not.toBe(newKey);

    const cookie = `drone_gogs_session=${sessions[0]}`;
    expect((await post('/logout', {}, cookie)).status).toBe(403);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get('/login', cookie)).text())?.[1] ?? '';
    expect(csrf).not.toBe('');
    const out = await post('/logout', { _csrf: csrf }, cookie);
    expect(out.status).toBe(303);
    expect(await whoAmI(cookie)).toBe(401);
    expect(await whoAmI(`drone_gogs_session=${sessions[1]}`)).toBe('alice');
  });

  it('signs in with an OpenID provider, matched to the Gogs user, and asks one nobody matches to connect', async () => {
    await start();
    op = await startOidcProvider({
      clients: [
        {
          clientId: 'drone-gogs',
          clientSecret: 'client-secret-of-drone-gogs',
          redirectUris: [`${publicUrl}/login/oidc/corp/callback`],
        },
      ],
      accounts: [
        {
          sub: 'u-alice',
          preferred_username: 'alice',
          email: 'alice@example.com',
          email_verified: true,
          groups: ['ci-deployers'],
        },
        {
          sub: 'u-zed',
          preferred_username: 'zed',
          email: 'zed@example.com',
          email_verified: true,
          groups: ['ci-admins'],
        },
      ],
    });
    const dir = await makeTempDir('drone-gogs-login-');
    try {
      const secretFile = join(dir.path, 'secret');
      await writeFile(secretFile, 'client-secret-of-drone-gogs\n');
      const added = await t.cli(
        'identity',
        'provider',
        'add',
        'corp',
        '--issuer',
        op.issuer,
        '--client-id',
        'drone-gogs',
        '--client-secret-file',
        secretFile,
        '--match-by',
        'username',
        '--admin-group',
        'ci-admins',
        '--role-group',
        'deployer=ci-deployers',
      );
      expect(added.code).toBe(0);
      const unknownRole = await t.cli(
        'identity',
        'provider',
        'add',
        'other',
        '--issuer',
        op.issuer,
        '--client-id',
        'x',
        '--client-secret-file',
        secretFile,
        '--role-group',
        'boss=ci-bosses',
      );
      expect(unknownRole.code).not.toBe(0);
      expect(unknownRole.stderr).toContain('there is no role "boss"');
    } finally {
      await dir.remove();
    }
    expect(await (await get('/login')).text()).toContain('href="/login/oidc/corp?rd=%2F"');

    const signInAs = async (account: string, rd: string) => {
      const started = await get(`/login/oidc/corp?rd=${encodeURIComponent(rd)}`);
      expect(started.status).toBe(302);
      const pending = cookiesOf(started).get('drone_gogs_login') ?? '';
      const callback = await op!.signIn(new URL(started.headers.get('location') ?? ''), { account });
      expect(callback.origin).toBe(publicUrl);
      // Without the browser's pending login, the callback is refused.
      expect((await get(`${callback.pathname}${callback.search}`)).status).toBe(401);
      return get(`${callback.pathname}${callback.search}`, `drone_gogs_login=${pending}`);
    };

    const alice = await signInAs('u-alice', '/private/alice/app/');
    expect(alice.status).toBe(303);
    expect(alice.headers.get('location')).toBe('/private/alice/app/');
    const aliceCookie = `drone_gogs_session=${cookiesOf(alice).get('drone_gogs_session')}`;
    const me = await (await get('/api/user', aliceCookie)).json();
    // Her provider group maps to the deployer role; she is in no admin group.
    expect(me).toMatchObject({ login: 'alice', subject: 'corp:u-alice', admin: false, roles: ['deployer'] });

    const zed = await signInAs('u-zed', '/');
    expect(zed.headers.get('location')).toBe('/login?rd=%2F&connect=1');
    const zedCookie = `drone_gogs_session=${cookiesOf(zed).get('drone_gogs_session')}`;
    expect(await whoAmI(zedCookie)).toBe(401);
    const connect = await (await get('/login?rd=%2F&connect=1', zedCookie)).text();
    expect(connect).toContain('Connect your Gogs account');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(connect)?.[1] ?? '';
    // Connecting with the Gogs form links the identity: the next OIDC sign-in is bob at once.
    const connected = await post(
      '/login/gogs',
      { username: 'bob', password: 'bob-password', _csrf: csrf },
      zedCookie,
    );
    expect(connected.status).toBe(303);
    expect(await whoAmI(zedCookie)).toBe(401);
    const again = await signInAs('u-zed', '/');
    expect(again.headers.get('location')).toBe('/');
    const bob = await (
      await get('/api/user', `drone_gogs_session=${cookiesOf(again).get('drone_gogs_session')}`)
    ).json();
    // A member of the provider's admin group is a CI admin.
    expect(bob).toMatchObject({ login: 'bob', admin: true, roles: [] });
  });
});
