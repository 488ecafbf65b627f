/**
 * A real OpenID provider (panva's oidc-provider) on 127.0.0.1, for driving logins in code without a browser.
 * Its interaction step is ours: `signIn()` follows the provider's redirects with a cookie jar and, at the
 * interaction page, tells it who signs in (or that the person declines) through a test-only request header;
 * the page finishes the interaction with a login and a grant of the requested scope, as a real login and
 * consent page would.
 *
 *   const op = await startOidcProvider({ clients: [{ clientId: 'ci', clientSecret: 's', redirectUris: [cb] }],
 *     accounts: [{ sub: 'u1', preferred_username: 'alice', email: 'a@x', email_verified: true, groups: [] }] });
 *   const callbackUrl = await op.signIn(authorizationUrl, { account: 'u1' });
 *   await op.stop();
 *
 * `browser()` keeps the provider's cookies from call to call, as one browser would: after `signIn` the
 * provider's own session lets `open` come straight back, and `signOut` (an RP-initiated logout, confirmed on
 * the provider's page) ends it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

export interface TestOidcClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** How long this client's ID tokens live; 10 minutes unless given. */
  idTokenTtlSeconds?: number;
  /** client_secret_basic unless given. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export interface TestAccount {
  sub: string;
  preferred_username?: string;
  email?: string;
  email_verified?: boolean;
  groups?: string[] | string;
}

export interface OidcProviderOptions {
  clients: TestOidcClient[];
  accounts: TestAccount[];
  /** A fixed port (to start a provider again where one was); an ephemeral one unless given. */
  port?: number;
  /**
   * Put the scopes' claims into the ID token (true unless given). false is oidc-provider's default: with the
   * code flow the ID token then holds `sub` alone and the other claims come from userinfo only.
   */
  claimsInIdToken?: boolean;
  /** RP-initiated logout (an end_session_endpoint in the metadata); true unless given. */
  logout?: boolean;
  /** Advertised token endpoint auth methods; oidc-provider's defaults unless given. */
  tokenEndpointAuthMethods?: string[];
}

export type SignInChoice = { account: string } | { deny: string };

/** One browser at the provider: its cookies there are kept between calls. */
export interface OidcBrowser {
  /** As TestOidcProvider.signIn, in this browser. */
  signIn(authorizationUrl: URL, choice: SignInChoice): Promise<URL>;
  /**
   * Opens an authorization URL without saying who signs in: `left` is where the provider sent the browser back
   * to (its own session vouched for the person), `asks` the prompt of the interaction page it showed instead
   * (`login` when it wants credentials).
   */
  open(authorizationUrl: URL): Promise<{ left: URL } | { asks: string }>;
  /**
   * Follows an end-session URL, confirms the provider's sign-out page as a person would ("yes, sign me out"),
   * and returns where the provider sends the browser afterwards.
   */
  signOut(endSessionUrl: URL): Promise<URL>;
}

export interface TestOidcProvider {
  issuer: string;
  port: number;
  /** Every request the provider received, as `METHOD /path`. */
  requests: string[];
  /**
   * Follows the authorization URL through the provider's redirects and its interaction page until the provider
   * redirects to the client's redirect URI, and returns that URL (with code or error, state and iss).
   */
  signIn(authorizationUrl: URL, choice: SignInChoice): Promise<URL>;
  /** A browser of its own, whose session at the provider lasts from call to call. */
  browser(): OidcBrowser;
  /** Closes the server and every open connection; idempotent. */
  stop(): Promise<void>;
}

const CHOICE_HEADER = 'x-test-sign-in';
const TEN_MINUTES = 600;

function signingKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const requests: string[] = [];
  const accounts = new Map(options.accounts.map((account) => [account.sub, account]));
  const ttlByClient = new Map(options.clients.map((c) => [c.clientId, c.idTokenTtlSeconds ?? TEN_MINUTES]));
  // The provider needs its issuer before it can be built, and the issuer needs the port: listen first.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(),
    jwks: { keys: [signingKey()] },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
      token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_basic',
    })),
    ...(options.tokenEndpointAuthMethods === undefined
      ? {}
      : { clientAuthMethods: options.tokenEndpointAuthMethods }),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'groups'],
    },
    conformIdTokenClaims: options.claimsInIdToken === false,
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub);
      return account === undefined ? undefined : { accountId: sub, claims: async () => ({ ...account }) };
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: options.logout !== false,
        logoutSource: async (ctx: { body: string }, form: string) => {
          ctx.body = `<!DOCTYPE html><title>Sign out</title>${form}`;
        },
        postLogoutSuccessSource: async (ctx: { body: string }) => {
          ctx.body = '<!DOCTYPE html><title>Signed out</title>';
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
    renderError: async (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
      ctx.type = 'json';
      ctx.body = out;
    },
    ttl: {
      AccessToken: TEN_MINUTES,
      AuthorizationCode: 60,
      IdToken: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        ttlByClient.get(client.clientId) ?? TEN_MINUTES,
      Interaction: TEN_MINUTES,
      Session: TEN_MINUTES,
      Grant: TEN_MINUTES,
    },
  });
  provider.silent = true;
  const providerCallback = provider.callback();

  const interaction = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const choice = String(req.headers[CHOICE_HEADER] ?? '');
    if (choice === '') {
      // Nobody said who signs in: the page a person would see, reduced to what it asks for.
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ prompt: details.prompt.name }));
      return;
    }
    if (choice.startsWith('deny:')) {
      await provider.interactionFinished(
        req,
        res,
        { error: choice.slice('deny:'.length), error_description: 'the person declined' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new provider.Grant({ accountId: choice, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: choice }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };

  handle = (req, res) => {
    requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    // No kept-alive sockets: a client must not reuse one into a provider that stopped or was started again.
    res.setHeader('connection', 'close');
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    providerCallback(req, res);
  };

  const newBrowser = (): OidcBrowser => {
    const jar = new Map<string, string>();
    const send = async (url: URL, init: { choice?: string; form?: Record<string, string> } = {}) => {
      const response = await fetch(url, {
        redirect: 'manual',
        method: init.form === undefined ? 'GET' : 'POST',
        ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form) }),
        headers: {
          cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(init.choice === undefined ? {} : { [CHOICE_HEADER]: init.choice }),
        },
      });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair = ''] = cookie.split(';');
        const at = pair.indexOf('=');
        const name = pair.slice(0, at);
        const value = pair.slice(at + 1);
        if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
        else jar.set(name, value);
      }
      const location = response.headers.get('location');
      return { response, next: location === null ? null : new URL(location, url) };
    };
    /** Follows redirects from `url` until one leaves the provider; `stop` may end the walk at a page. */
    const follow = async <T>(
      first: { response: Response; next: URL | null },
      from: URL,
      stop: (response: Response, url: URL) => Promise<T | null>,
      choice?: string,
    ): Promise<URL | T> => {
      let hop = first;
      let url = from;
      for (let count = 0; count < 10; count++) {
        const { response, next } = hop;
        const stopped = await stop(response, url);
        if (stopped !== null) return stopped;
        await response.body?.cancel();
        if (response.status < 300 || response.status >= 400 || next === null)
          throw new Error(
            `oidc-provider: ${url.pathname} answered ${response.status} instead of redirecting`,
          );
        if (next.origin !== issuer) return next;
        url = next;
        hop = await send(url, choice === undefined ? {} : { choice });
      }
      throw new Error('oidc-provider: too many redirects');
    };
    const noStop = async (): Promise<null> => null;

    return {
      async signIn(authorizationUrl, choice) {
        const header = 'account' in choice ? choice.account : `deny:${choice.deny}`;
        return follow<never>(
          await send(authorizationUrl, { choice: header }),
          authorizationUrl,
          noStop,
          header,
        );
      },
      async open(authorizationUrl) {
        const asked = async (response: Response, url: URL) =>
          url.pathname.startsWith('/interaction/') && response.status === 200
            ? { asks: String(((await response.json()) as { prompt: unknown }).prompt) }
            : null;
        const left = await follow(await send(authorizationUrl), authorizationUrl, asked);
        return left instanceof URL ? { left } : left;
      },
      async signOut(endSessionUrl) {
        const first = await send(endSessionUrl);
        if (first.response.status !== 200)
          throw new Error(`oidc-provider: the end-session URL answered ${first.response.status}`);
        const page = await first.response.text();
        const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
        if (action === undefined || xsrf === undefined)
          throw new Error('oidc-provider: no sign-out form on the end-session page');
        const confirm = new URL(action, endSessionUrl);
        return follow<never>(await send(confirm, { form: { xsrf, logout: 'yes' } }), confirm, noStop);
      },
    };
  };

  /** Each call in a browser of its own: no provider session carries over. */
  const signIn = (authorizationUrl: URL, choice: SignInChoice): Promise<URL> =>
    newBrowser().signIn(authorizationUrl, choice);

  let stopped: Promise<void> | null = null;
  return {
    issuer,
    port,
    requests,
    signIn,
    browser: newBrowser,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
