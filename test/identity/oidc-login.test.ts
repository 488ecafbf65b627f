/**
 * OIDC logins against a real oidc-provider on loopback, driven in code: the redirect (PKCE S256, fresh state and
 * nonce), the callback, the code redeemed once, the ID token verified (by openid-client: signature, issuer,
 * audience, nonce, expiry), userinfo only when the ID token lacks claims, the provider's email and group rules,
 * discovery cached and re-done, RP-initiated logout, and every failure as a reason with a message that leaks
 * neither the client secret, the code nor a token.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  isAppError,
  isOidcLoginFailure,
  OIDC_LOGIN_TTL_MS,
  type OidcClient,
  type OidcIdentity,
  type OidcLoginFailure,
  type OidcProviderConfig,
  type StartedLogin,
  withOidcDefaults,
} from '../../sidecar/core/index.ts';
import { createOidcClient } from '../../sidecar/identity/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { freePort } from '../support/free-port.ts';
import { type SignInChoice, startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.ts';

const CALLBACK = 'https://ci.example.test/login/oidc/test/callback';
const AFTER_LOGOUT = 'https://ci.example.test/';
const CI_SECRET = 'ci-client-secret-9f3a7c1e';
const OTHER_SECRET = 'other-client-secret-4b8d2e';

const ACCOUNTS = [
  {
    sub: 'sub-alice',
    preferred_username: 'alice',
    email: 'alice@example.test',
    email_verified: true,
    groups: ['developers', 'ci-admins'],
  },
  // Groups as a single string, and an address the provider has not verified.
  {
    sub: 'sub-bob',
    preferred_username: 'bob',
    email: 'bob@example.test',
    email_verified: false,
    groups: 'developers',
  },
  {
    sub: 'sub-carol',
    preferred_username: 'carol',
    email: 'carol@example.test',
    email_verified: true,
    groups: ['sales'],
  },
  { sub: 'sub-nameless', email: 'nameless@example.test', email_verified: true, groups: [] },
];

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** Log lines as written, to show what the client logs. */
function capturingLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(line) }),
  };
}

function failure(result: OidcIdentity | OidcLoginFailure | StartedLogin): OidcLoginFailure {
  if (!isOidcLoginFailure(result)) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

function identity(result: OidcIdentity | OidcLoginFailure): OidcIdentity {
  if (isOidcLoginFailure(result))
    throw new Error(`expected an identity, got ${result.reason}: ${result.detail}`);
  return result;
}

function started(result: StartedLogin | OidcLoginFailure): StartedLogin {
  if (isOidcLoginFailure(result))
    throw new Error(`expected a redirect, got ${result.reason}: ${result.detail}`);
  return result;
}

describe('OIDC login', () => {
  let op: TestOidcProvider;
  const logs = capturingLogger();

  const providerConfig = (overrides: Partial<OidcProviderConfig> = {}): OidcProviderConfig =>
    withOidcDefaults({
      name: 'test',
      issuer: op.issuer,
      clientId: 'ci',
      clientSecret: CI_SECRET,
      adminGroups: ['ci-admins'],
      ...overrides,
    });

  const clientFor = (overrides: Partial<OidcProviderConfig> = {}, fetch?: Fetch): OidcClient =>
    createOidcClient({
      providers: [providerConfig(overrides)],
      clock: { now: () => Date.now() },
      logger: logs.logger,
      ...(fetch === undefined ? {} : { fetch }),
    });

  /** Starts a login with `client` and signs in at the provider; returns the redirect and the callback URL. */
  const signIn = async (client: OidcClient, choice: SignInChoice, provider: TestOidcProvider = op) => {
    const login = started(await client.startLogin('test', { redirectUri: CALLBACK, returnTo: '/acme/app' }));
    return { ...login, callback: await provider.signIn(login.url, choice) };
  };

  beforeAll(async () => {
    op = await startOidcProvider({
      clients: [
        {
          clientId: 'ci',
          clientSecret: CI_SECRET,
          redirectUris: [CALLBACK],
          postLogoutRedirectUris: [AFTER_LOGOUT],
        },
        { clientId: 'other', clientSecret: OTHER_SECRET, redirectUris: [CALLBACK] },
        { clientId: 'brief', clientSecret: CI_SECRET, redirectUris: [CALLBACK], idTokenTtlSeconds: 60 },
      ],
      accounts: ACCOUNTS,
    });
  });
  afterAll(() => op?.stop());

  it('signs a person in with PKCE, a fresh state and nonce, and reads username, email and groups', async () => {
    const client = clientFor();
    const first = started(
      await client.startLogin('test', { redirectUri: CALLBACK, returnTo: '/acme/app?tab=1' }),
    );
    const second = started(await client.startLogin('test', { redirectUri: CALLBACK }));

    const params = first.url.searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toBe(
      createHash('sha256').update(first.pending.codeVerifier).digest('base64url'),
    );
    expect(params.get('state')).toBe(first.pending.state);
    expect(params.get('nonce')).toBe(first.pending.nonce);
    expect(params.get('redirect_uri')).toBe(CALLBACK);
    expect(params.get('scope')).toBe('openid email profile');
    for (const key of ['state', 'nonce', 'codeVerifier'] as const)
      expect(second.pending[key]).not.toBe(first.pending[key]);
    expect(first.pending).toMatchObject({
      provider: 'test',
      redirectUri: CALLBACK,
      returnTo: '/acme/app?tab=1',
    });
    expect(second.pending.returnTo).toBe('/');

    const callback = await op.signIn(first.url, { account: 'sub-alice' });
    const now = Date.now();
    const alice = identity(await client.finishLogin('test', callback, first.pending, now));
    expect(alice).toMatchObject({
      provider: 'test',
      subject: 'sub-alice',
      issuer: op.issuer,
      username: 'alice',
      email: 'alice@example.test',
      emailVerified: true,
      groups: ['developers', 'ci-admins'],
      admin: true,
    });
    // The provider issues ID tokens for ten minutes.
    expect(Math.abs(alice.idTokenExpiresAt - (now + 600_000))).toBeLessThan(5_000);
    expect(decodeJwt(alice.idToken)).toMatchObject({ sub: 'sub-alice', aud: 'ci' });

    // A single string is one group; not in an admin group, not an admin.
    const bob = await signIn(client, { account: 'sub-bob' });
    expect(identity(await client.finishLogin('test', bob.callback, bob.pending, Date.now()))).toMatchObject({
      username: 'bob',
      groups: ['developers'],
      admin: false,
      emailVerified: false,
    });
  });

  it('sends the PKCE verifier: a login finished with another verifier is refused by the provider', async () => {
    const client = clientFor();
    const login = await signIn(client, { account: 'sub-alice' });
    const otherVerifier = { ...login.pending, codeVerifier: 'x'.repeat(43) };
    expect(failure(await client.finishLogin('test', login.callback, otherVerifier, Date.now())).reason).toBe(
      'code-rejected',
    );
  });

  it('refuses a callback with another state or issuer before redeeming its code', async () => {
    const client = clientFor();
    const login = await signIn(client, { account: 'sub-alice' });
    const tokenRequests = () => op.requests.filter((request) => request === 'POST /token').length;
    const before = tokenRequests();

    const wrongState = { ...login.pending, state: 'another-login-state' };
    const result = failure(await client.finishLogin('test', login.callback, wrongState, Date.now()));
    expect(result.reason).toBe('state-mismatch');
    expect(result.message).toMatch(/start again/i);

    const otherIssuer = new URL(login.callback);
    otherIssuer.searchParams.set('iss', 'https://attacker.example.test');
    expect(failure(await client.finishLogin('test', otherIssuer, login.pending, Date.now())).reason).toBe(
      'state-mismatch',
    );

    const otherProvider = { ...login.pending, provider: 'elsewhere' };
    expect(failure(await client.finishLogin('test', login.callback, otherProvider, Date.now())).reason).toBe(
      'state-mismatch',
    );

    expect(tokenRequests()).toBe(before);
    // The code was never sent, so the login it belongs to still finishes.
    expect(
      identity(await client.finishLogin('test', login.callback, login.pending, Date.now())).username,
    ).toBe('alice');
  });

  it('refuses a code used twice', async () => {
    const client = clientFor();
    const login = await signIn(client, { account: 'sub-alice' });
    identity(await client.finishLogin('test', login.callback, login.pending, Date.now()));
    const replay = failure(await client.finishLogin('test', login.callback, login.pending, Date.now()));
    expect(replay.reason).toBe('code-rejected');
    expect(replay.detail).toContain('invalid_grant');
  });

  it('refuses an ID token with another nonce (openid-client checks it)', async () => {
    const client = clientFor();
    const login = await signIn(client, { account: 'sub-alice' });
    const otherNonce = { ...login.pending, nonce: 'a-nonce-of-another-login' };
    const result = failure(await client.finishLogin('test', login.callback, otherNonce, Date.now()));
    expect(result.reason).toBe('id-token-invalid');
    expect(result.detail).toContain('nonce');
  });

  it('refuses an expired ID token, judged at the given time', async () => {
    const client = clientFor({ clientId: 'brief' });
    // In time, the same short-lived token is fine.
    const fresh = await signIn(client, { account: 'sub-alice' });
    identity(await client.finishLogin('test', fresh.callback, fresh.pending, Date.now()));

    // Two minutes on, the 60-second ID token (plus openid-client's 30 s tolerance) is past; the login is not.
    const late = await signIn(client, { account: 'sub-alice' });
    const result = failure(
      await client.finishLogin('test', late.callback, late.pending, Date.now() + 120_000),
    );
    expect(result.reason).toBe('id-token-invalid');
    expect(result.detail).toContain('"exp"');
  });

  it("refuses a code completed with another client's configuration", async () => {
    const login = await signIn(clientFor(), { account: 'sub-alice' });
    const asOther = clientFor({ clientId: 'other', clientSecret: OTHER_SECRET });
    const result = failure(await asOther.finishLogin('test', login.callback, login.pending, Date.now()));
    expect(result.reason).toBe('code-rejected');
  });

  describe('with the token response tampered with', () => {
    let replacement: string | null = null;
    afterEach(() => {
      replacement = null;
    });
    const tampering: Fetch = async (url, init) => {
      const response = await fetch(url, init);
      if (replacement === null || !url.endsWith('/token')) return response;
      const body = (await response.json()) as Record<string, unknown>;
      return Response.json({ ...body, id_token: replacement }, { status: response.status });
    };

    it('refuses an ID token issued to another client (audience), valid in every other way', async () => {
      const client = clientFor({}, tampering);
      const login = await signIn(client, { account: 'sub-alice' });
      // A genuine ID token for client `other`, carrying this login's nonce.
      const other = clientFor({ clientId: 'other', clientSecret: OTHER_SECRET });
      const otherLogin = started(await other.startLogin('test', { redirectUri: CALLBACK }));
      otherLogin.url.searchParams.set('nonce', login.pending.nonce);
      const otherCallback = await op.signIn(otherLogin.url, { account: 'sub-alice' });
      const otherPending = { ...otherLogin.pending, nonce: login.pending.nonce };
      const forOther = identity(await other.finishLogin('test', otherCallback, otherPending, Date.now()));
      expect(decodeJwt(forOther.idToken).aud).toBe('other');

      replacement = forOther.idToken;
      const result = failure(await client.finishLogin('test', login.callback, login.pending, Date.now()));
      expect(result.reason).toBe('id-token-invalid');
      expect(result.detail).toContain('"aud"');
    });

    it('refuses an ID token with the right claims not signed by the issuer', async () => {
      const client = clientFor({}, tampering);
      const login = await signIn(client, { account: 'sub-alice' });
      const { privateKey } = await generateKeyPair('RS256');
      const now = Math.floor(Date.now() / 1000);
      replacement = await new SignJWT({ ...ACCOUNTS[0], nonce: login.pending.nonce })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(op.issuer)
        .setAudience('ci')
        .setSubject('sub-alice')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
      const result = failure(await client.finishLogin('test', login.callback, login.pending, Date.now()));
      expect(result.reason).toBe('id-token-invalid');
      expect(result.detail).toContain('signature');
    });
  });

  it('refuses a login finished more than ten minutes after it started, without asking the provider', async () => {
    const client = clientFor();
    const login = await signIn(client, { account: 'sub-alice' });
    const late = login.pending.createdAt + OIDC_LOGIN_TTL_MS + 1;
    const result = failure(await client.finishLogin('test', login.callback, login.pending, late));
    expect(result.reason).toBe('login-expired');
    // Still redeemable in time: nothing was sent.
    identity(await client.finishLogin('test', login.callback, login.pending, Date.now()));
  });

  it('refuses an unverified email when the provider requires verified ones', async () => {
    const strict = clientFor({ requireVerifiedEmail: true });
    const bob = await signIn(strict, { account: 'sub-bob' });
    const result = failure(await strict.finishLogin('test', bob.callback, bob.pending, Date.now()));
    expect(result.reason).toBe('email-not-verified');
    expect(result.message).toContain('Verify it at test');

    const alice = await signIn(strict, { account: 'sub-alice' });
    identity(await strict.finishLogin('test', alice.callback, alice.pending, Date.now()));
  });

  it('refuses a person in none of the required groups', async () => {
    const gated = clientFor({ requiredGroups: ['developers', 'ops'] });
    const carol = await signIn(gated, { account: 'sub-carol' });
    const result = failure(await gated.finishLogin('test', carol.callback, carol.pending, Date.now()));
    expect(result.reason).toBe('group-missing');
    expect(result.detail).toContain('developers, ops');

    const bob = await signIn(gated, { account: 'sub-bob' });
    expect(identity(await gated.finishLogin('test', bob.callback, bob.pending, Date.now())).groups).toEqual([
      'developers',
    ]);
  });

  it('refuses a person without the configured username claim, and reads another claim when told to', async () => {
    const client = clientFor();
    const nameless = await signIn(client, { account: 'sub-nameless' });
    const result = failure(await client.finishLogin('test', nameless.callback, nameless.pending, Date.now()));
    expect(result.reason).toBe('username-missing');

    const byEmail = clientFor({ usernameClaim: 'email' });
    const again = await signIn(byEmail, { account: 'sub-nameless' });
    expect(
      identity(await byEmail.finishLogin('test', again.callback, again.pending, Date.now())).username,
    ).toBe('nameless@example.test');
  });

  it('reports an error redirect from the provider without repeating what the redirect says', async () => {
    const client = clientFor();
    const declined = await signIn(client, { deny: 'access_denied' });
    expect(declined.callback.searchParams.get('error')).toBe('access_denied');
    const result = failure(await client.finishLogin('test', declined.callback, declined.pending, Date.now()));
    expect(result.reason).toBe('provider-error');
    expect(result.detail).toContain('access_denied');

    const forged = new URL(declined.callback);
    forged.searchParams.set('error_description', 'Call +1 555 0100 to restore your account');
    const shown = failure(await client.finishLogin('test', forged, declined.pending, Date.now()));
    expect(shown.reason).toBe('provider-error');
    expect(`${shown.message} ${shown.detail}`).not.toContain('555');
    // An error redirect that does not carry this login's state is not this login's.
    forged.searchParams.set('state', 'forged');
    expect(failure(await client.finishLogin('test', forged, declined.pending, Date.now())).reason).toBe(
      'state-mismatch',
    );
  });

  it('keeps the client secret, the code and the tokens out of messages, details and logs', async () => {
    logs.lines.length = 0;
    const client = clientFor();
    const first = await signIn(client, { account: 'sub-alice' });
    const signedIn = identity(await client.finishLogin('test', first.callback, first.pending, Date.now()));
    const replayed = failure(await client.finishLogin('test', first.callback, first.pending, Date.now()));
    const second = await signIn(client, { account: 'sub-alice' });
    const wrongNonce = { ...second.pending, nonce: 'another-nonce' };
    const badToken = failure(await client.finishLogin('test', second.callback, wrongNonce, Date.now()));
    const wrongSecret = clientFor({ clientSecret: 'wrong-secret-value' });
    const third = await signIn(wrongSecret, { account: 'sub-alice' });
    const rejected = failure(
      await wrongSecret.finishLogin('test', third.callback, third.pending, Date.now()),
    );
    const failures = [replayed, badToken, rejected];
    expect(failures.map((f) => f.reason)).toEqual(['code-rejected', 'id-token-invalid', 'client-rejected']);
    expect(rejected.message).toContain('client id and secret');

    expect(logs.lines.filter((line) => line.includes('OIDC login failed'))).toHaveLength(3);
    const written = [...failures.flatMap((f) => [f.message, f.detail]), ...logs.lines].join('\n');
    const secrets = [CI_SECRET, 'wrong-secret-value', signedIn.idToken];
    for (const login of [first, second, third])
      secrets.push(login.callback.searchParams.get('code') ?? 'no code', login.pending.codeVerifier);
    for (const secret of secrets) expect(written).not.toContain(secret);
  });

  it('names no provider it does not know', async () => {
    const client = clientFor();
    expect(failure(await client.startLogin('nope', { redirectUri: CALLBACK })).reason).toBe(
      'provider-unknown',
    );
    expect(await client.logoutUrl('nope', { postLogoutRedirectUri: AFTER_LOGOUT })).toBeNull();
    expect(client.providers()).toEqual(['test']);
  });

  it('builds an RP-initiated logout URL the provider accepts', async () => {
    const client = clientFor();
    const login = await signIn(client, { account: 'sub-alice' });
    const alice = identity(await client.finishLogin('test', login.callback, login.pending, Date.now()));
    const url = await client.logoutUrl('test', {
      idTokenHint: alice.idToken,
      postLogoutRedirectUri: AFTER_LOGOUT,
    });
    expect(url).not.toBeNull();
    expect(url?.searchParams.get('id_token_hint')).toBe(alice.idToken);
    expect(url?.searchParams.get('post_logout_redirect_uri')).toBe(AFTER_LOGOUT);
    expect(url?.searchParams.get('client_id')).toBe('ci');
    // The provider answers with its sign-out confirmation, not an error about the hint or the redirect.
    const response = await fetch(url ?? '');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/session/end/confirm');

    const unregistered = await client.logoutUrl('test', {
      postLogoutRedirectUri: 'https://evil.example.test/',
    });
    expect((await fetch(unregistered ?? '')).status).toBe(400);
  });

  it('refuses http issuers off loopback, and reports every configuration problem at once', () => {
    let caught: unknown;
    try {
      createOidcClient({
        providers: [
          withOidcDefaults({
            name: 'corp',
            issuer: 'http://sso.example.com',
            clientId: 'ci',
            clientSecret: 's',
          }),
          withOidcDefaults({
            name: 'Bad Name',
            issuer: 'https://sso.example.com',
            clientId: '',
            clientSecret: 's',
          }),
          withOidcDefaults({
            name: 'corp',
            issuer: 'https://sso.example.com',
            clientId: 'c',
            clientSecret: 's',
          }),
        ],
        clock: { now: () => 0 },
        logger: logs.logger,
      });
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught, 'CONFIG_INVALID')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('"corp": issuer must use https');
    expect(message).toContain('"Bad Name": name must be');
    expect(message).toContain('"Bad Name": clientId is empty');
    expect(message).toContain('"corp" is configured twice');
  });
});

describe('OIDC login: the claims in userinfo', () => {
  let op: TestOidcProvider;
  beforeAll(async () => {
    // oidc-provider's default: with the code flow the ID token holds sub alone; the rest is in userinfo.
    op = await startOidcProvider({
      clients: [{ clientId: 'ci', clientSecret: CI_SECRET, redirectUris: [CALLBACK] }],
      accounts: ACCOUNTS,
      claimsInIdToken: false,
    });
  });
  afterAll(() => op?.stop());

  it('fetches userinfo when the ID token lacks the username, email and groups', async () => {
    const client = createOidcClient({
      providers: [
        withOidcDefaults({
          name: 'test',
          issuer: op.issuer,
          clientId: 'ci',
          clientSecret: CI_SECRET,
          requireVerifiedEmail: true,
          adminGroups: ['ci-admins'],
        }),
      ],
      clock: { now: () => Date.now() },
      logger: capturingLogger().logger,
    });
    const login = started(await client.startLogin('test', { redirectUri: CALLBACK }));
    const callback = await op.signIn(login.url, { account: 'sub-alice' });
    const alice = identity(await client.finishLogin('test', callback, login.pending, Date.now()));
    expect(decodeJwt(alice.idToken).preferred_username).toBeUndefined();
    expect(alice).toMatchObject({
      username: 'alice',
      email: 'alice@example.test',
      emailVerified: true,
      groups: ['developers', 'ci-admins'],
      admin: true,
    });
    expect(op.requests).toContain('GET /me');
  });
});

describe('OIDC login: reaching the provider', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });
  const start = async (options: Partial<Parameters<typeof startOidcProvider>[0]> = {}) => {
    const provider = await startOidcProvider({
      clients: [
        {
          clientId: 'ci',
          clientSecret: CI_SECRET,
          redirectUris: [CALLBACK],
          postLogoutRedirectUris: [AFTER_LOGOUT],
        },
      ],
      accounts: ACCOUNTS,
      ...options,
    });
    stops.push(() => provider.stop());
    return provider;
  };
  const clientAt = (issuer: string, timeoutMs?: number) =>
    createOidcClient({
      providers: [withOidcDefaults({ name: 'test', issuer, clientId: 'ci', clientSecret: CI_SECRET })],
      clock: { now: () => Date.now() },
      logger: capturingLogger().logger,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });

  it('reports a provider that went down during a login, and one down from the start', async () => {
    const op = await start();
    const client = clientAt(op.issuer);
    const login = started(await client.startLogin('test', { redirectUri: CALLBACK }));
    const callback = await op.signIn(login.url, { account: 'sub-alice' });
    await op.stop();

    const result = failure(await client.finishLogin('test', callback, login.pending, Date.now()));
    expect(result.reason).toBe('provider-unreachable');
    expect(result.message).toContain('The sign-in provider test cannot be reached');
    expect(result.detail).toContain('token: TypeError: fetch failed (ECONNREFUSED)');
    expect(failure(await clientAt(op.issuer).startLogin('test', { redirectUri: CALLBACK })).reason).toBe(
      'provider-unreachable',
    );
  });

  it('discovers again after a failed discovery, and on refresh', async () => {
    const port = await freePort();
    const client = clientAt(`http://127.0.0.1:${port}`);
    expect(failure(await client.startLogin('test', { redirectUri: CALLBACK })).reason).toBe(
      'provider-unreachable',
    );

    const op = await start({ port });
    started(await client.startLogin('test', { redirectUri: CALLBACK }));
    expect(await client.logoutUrl('test', { postLogoutRedirectUri: AFTER_LOGOUT })).not.toBeNull();

    // The same issuer comes back without RP-initiated logout: the cached metadata holds until a refresh.
    await op.stop();
    const discoveries = await start({ port, logout: false });
    expect(await client.logoutUrl('test', { postLogoutRedirectUri: AFTER_LOGOUT })).not.toBeNull();
    expect(discoveries.requests).toEqual([]);
    expect(await client.refresh('test')).toBeNull();
    expect(discoveries.requests).toEqual(['GET /.well-known/openid-configuration']);
    expect(await client.logoutUrl('test', { postLogoutRedirectUri: AFTER_LOGOUT })).toBeNull();
  });

  it('gives up on a provider that does not answer within the timeout', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as { port: number };
    const began = Date.now();
    const result = failure(
      await clientAt(`http://127.0.0.1:${port}`, 300).startLogin('test', { redirectUri: CALLBACK }),
    );
    expect(result.reason).toBe('provider-unreachable');
    expect(result.detail).toContain('OAUTH_TIMEOUT');
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  it('authenticates with client_secret_post when the provider advertises only that', async () => {
    const op = await startOidcProvider({
      clients: [
        {
          clientId: 'ci',
          clientSecret: CI_SECRET,
          redirectUris: [CALLBACK],
          tokenEndpointAuthMethod: 'client_secret_post',
        },
      ],
      accounts: ACCOUNTS,
      tokenEndpointAuthMethods: ['client_secret_post'],
    });
    stops.push(() => op.stop());
    const client = clientAt(op.issuer);
    const login = started(await client.startLogin('test', { redirectUri: CALLBACK }));
    const callback = await op.signIn(login.url, { account: 'sub-alice' });
    expect(identity(await client.finishLogin('test', callback, login.pending, Date.now())).username).toBe(
      'alice',
    );
  });
});
