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

  const signIn = async (authorizationUrl: URL, choice: SignInChoice): Promise<URL> => {
    const redirectUri = authorizationUrl.searchParams.get('redirect_uri') ?? '';
    const jar = new Map<string, string>();
    const header = 'account' in choice ? choice.account : `deny:${choice.deny}`;
    let url = authorizationUrl;
    for (let hop = 0; hop < 10; hop++) {
      const response = await fetch(url, {
        redirect: 'manual',
        headers: {
          cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
          [CHOICE_HEADER]: header,
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
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null)
        throw new Error(`oidc-provider: ${url.pathname} answered ${response.status} instead of redirecting`);
      const next = new URL(location, url);
      if (next.href.startsWith(redirectUri)) return next;
      url = next;
    }
    throw new Error('oidc-provider: too many redirects');
  };

  let stopped: Promise<void> | null = null;
  return {
    issuer,
    port,
    requests,
    signIn,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
