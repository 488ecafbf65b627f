/**
 * A browser's side of signing in to a sidecar served on `publicUrl`, by hand: requests that do not follow
 * redirects, cookies carried explicitly, forms posted from the sidecar's own origin.
 */
import { LOCAL_ADMIN } from '../../sidecar/core/index.ts';
import { freePort } from './free-port.ts';
import { startOidcProvider, type TestAccount, type TestOidcProvider } from './oidc-provider.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from './sidecar-beside-gogs.ts';

/** `name=value` of each Set-Cookie of a response (an emptied cookie maps to ''). */
export function cookiesOf(response: Response): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return jar;
}

export function loginBrowser(publicUrl: string) {
  const get = (path: string, cookie = '') =>
    fetch(new URL(path, publicUrl), { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const post = (path: string, form: Record<string, string>, cookie = '') =>
    fetch(new URL(path, publicUrl), {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams(form),
      headers: { ...(cookie ? { cookie } : {}), origin: publicUrl },
    });
  return {
    get,
    post,
    /** The login of the session, or the status GET /api/user answered. */
    async whoAmI(cookie: string): Promise<string | number> {
      const response = await get('/api/user', cookie);
      return response.status === 200 ? ((await response.json()) as { login: string }).login : response.status;
    },
    /** The CSRF token the login page's forms carry for this session. */
    async csrfOf(cookie: string): Promise<string> {
      return /name="_csrf" value="([^"]+)"/.exec(await (await get('/login', cookie)).text())?.[1] ?? '';
    },
    /**
     * A whole OIDC sign-in with `provider` as `account`, in `browser` when given (its session at the provider
     * then lasts). Returns the sidecar's answer to the callback and its session cookie as a Cookie header.
     */
    async signInWith(
      op: TestOidcProvider,
      provider: string,
      account: string,
      options: { rd?: string; browser?: ReturnType<TestOidcProvider['browser']> } = {},
    ) {
      const started = await get(`/login/oidc/${provider}?rd=${encodeURIComponent(options.rd ?? '/')}`);
      if (started.status !== 302) throw new Error(`/login/oidc/${provider} answered ${started.status}`);
      const pending = cookiesOf(started).get('drone_gogs_login') ?? '';
      const callback = await (options.browser ?? op).signIn(new URL(started.headers.get('location') ?? ''), {
        account,
      });
      const answer = await get(`${callback.pathname}${callback.search}`, `drone_gogs_login=${pending}`);
      return { answer, cookie: `drone_gogs_session=${cookiesOf(answer).get('drone_gogs_session') ?? ''}` };
    },
  };
}

/** Adds an OIDC provider to the running sidecar by its own service, as `identity provider add` does. */
export function addProvider(
  t: SidecarBesideGogs,
  op: TestOidcProvider,
  input: { name: string; clientId: string; clientSecret: string; matchBy?: 'email' | 'username' },
) {
  return t.sidecar.services.oidcProviders.add(LOCAL_ADMIN, {
    issuer: op.issuer,
    matchBy: 'username',
    ...input,
  });
}

/**
 * The sidecar beside the Gogs test double, served on a public URL of its own port, with a real oidc-provider
 * holding `accounts` added as the provider `corp` (client `drone-gogs`), and a browser for it.
 */
export async function startSidecarWithProvider(options: {
  clientSecret: string;
  accounts: TestAccount[];
  /** Register /login?logged_out=1 as the client's post-logout redirect. */
  postLogout?: boolean;
  logout?: boolean;
}) {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const t = await startSidecarBesideGogs({
    env: { DRONE_GOGS_LISTEN: `127.0.0.1:${port}`, DRONE_GOGS_PUBLIC_URL: publicUrl },
  });
  const op = await startOidcProvider({
    clients: [
      {
        clientId: 'drone-gogs',
        clientSecret: options.clientSecret,
        redirectUris: [`${publicUrl}/login/oidc/corp/callback`],
        ...(options.postLogout ? { postLogoutRedirectUris: [`${publicUrl}/login?logged_out=1`] } : {}),
      },
    ],
    accounts: options.accounts,
    ...(options.logout === undefined ? {} : { logout: options.logout }),
  });
  await addProvider(t, op, { name: 'corp', clientId: 'drone-gogs', clientSecret: options.clientSecret });
  return { t, op, publicUrl, browser: loginBrowser(publicUrl) };
}
