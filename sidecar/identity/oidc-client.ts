/**
 * Signing in with the configured OpenID Connect providers: the authorization code flow with PKCE (S256), a fresh
 * state and nonce per redirect, the code redeemed once, the ID token verified by openid-client, userinfo asked
 * only for claims the ID token lacks, and RP-initiated logout. Every way a login can fail is an
 * OidcLoginFailure; only misconfiguration and the caller's bugs throw.
 */
import {
  authorizationCodeGrant,
  buildAuthorizationUrl,
  buildEndSessionUrl,
  calculatePKCECodeChallenge,
  fetchUserInfo,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
} from 'openid-client';
import {
  AppError,
  type Clock,
  type Logger,
  type OidcClient,
  type OidcIdentity,
  type OidcLoginFailure,
  type OidcProviderConfig,
  oidcProviderProblems,
  type PendingLogin,
} from '../core/index.ts';
import { callbackFailure, responseUrl } from './oidc-callback.ts';
import { type Claims, identityFromClaims, mergeClaims, needsUserinfo } from './oidc-claims.ts';
import { createOidcDiscovery, type Fetch } from './oidc-discovery.ts';
import { failureFromError, type OidcStep, oidcFailure } from './oidc-failures.ts';
import { localReturnTo } from './return-to.ts';

const DEFAULT_TIMEOUT_MS = 10_000;
/** Failures an operator has to act on (the provider's availability, this server's client settings). */
const OPERATOR_REASONS = new Set<OidcLoginFailure['reason']>([
  'provider-unreachable',
  'client-rejected',
  'username-missing',
]);

export interface OidcClientDeps {
  providers: readonly OidcProviderConfig[];
  clock: Clock;
  logger: Logger;
  /** Every request to a provider goes through it; global fetch unless given. */
  fetch?: Fetch;
  /** Bound on each request to a provider; 10 s unless given. */
  timeoutMs?: number;
}

/** Throws CONFIG_INVALID naming every problem of every provider at once. */
export function createOidcClient(deps: OidcClientDeps): OidcClient {
  const problems = deps.providers.flatMap(oidcProviderProblems);
  const names = deps.providers.map((provider) => provider.name);
  for (const name of new Set(names.filter((name, i) => names.indexOf(name) !== i)))
    problems.push(`OIDC provider ${JSON.stringify(name)} is configured twice`);
  if (problems.length > 0)
    throw new AppError('CONFIG_INVALID', problems.join('; '), { details: { problems } });

  const { logger, clock } = deps;
  const byName = new Map(deps.providers.map((provider) => [provider.name, provider]));
  const discovery = createOidcDiscovery({
    fetch: deps.fetch ?? ((url, init) => fetch(url, init)),
    timeoutMs: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });

  const failed = (failure: OidcLoginFailure): OidcLoginFailure => {
    // A provider that did not answer may have moved its endpoints: the next login discovers it again.
    if (failure.reason === 'provider-unreachable') discovery.forget(failure.provider);
    logger[OPERATOR_REASONS.has(failure.reason) ? 'warn' : 'info']('identity: OIDC login failed', {
      provider: failure.provider,
      reason: failure.reason,
      detail: failure.detail,
    });
    return failure;
  };

  /** Runs one step against the provider; what it throws becomes a failure. */
  const attempt = async <T>(
    step: OidcStep,
    provider: OidcProviderConfig,
    secrets: readonly string[],
    run: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; failure: OidcLoginFailure }> => {
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      const failure = failureFromError(error, step, provider.name, [provider.clientSecret, ...secrets]);
      return { ok: false, failure: failed(failure) };
    }
  };
  const metadata = (provider: OidcProviderConfig, secrets: readonly string[] = []) =>
    attempt('discovery', provider, secrets, () => discovery.metadata(provider));

  const unknown = (name: string) =>
    failed(oidcFailure('provider-unknown', name.slice(0, 32).replace(/[^a-z0-9-]/g, '?'), 'not configured'));

  const finish = async (
    provider: OidcProviderConfig,
    callbackUrl: URL,
    pending: PendingLogin,
    now: number,
  ): Promise<OidcIdentity | OidcLoginFailure> => {
    const secrets = [
      provider.clientSecret,
      pending.codeVerifier,
      pending.nonce,
      pending.state,
      ...callbackUrl.searchParams.getAll('code'),
    ];
    const discovered = await metadata(provider, secrets);
    if (!discovered.ok) return discovered.failure;
    const server = discovered.value;
    const early = callbackFailure({
      provider: provider.name,
      issuer: server.issuer,
      issRequired: server.authorization_response_iss_parameter_supported === true,
      callbackUrl,
      pending,
      now,
      secrets,
    });
    if (early !== null) return failed(early);

    const config = discovery.configuration(provider, server, Math.round((now - Date.now()) / 1000));
    const granted = await attempt('token', provider, secrets, () =>
      authorizationCodeGrant(config, responseUrl(pending, callbackUrl), {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      }),
    );
    if (!granted.ok) return granted.failure;
    const tokens = granted.value;
    const idTokenClaims = tokens.claims();
    if (idTokenClaims === undefined || tokens.id_token === undefined)
      return failed(oidcFailure('id-token-invalid', provider.name, 'token: no ID token in the response'));

    let claims: Claims = idTokenClaims;
    if (needsUserinfo(provider, claims) && server.userinfo_endpoint !== undefined) {
      const userinfo = await attempt('userinfo', provider, secrets, () =>
        fetchUserInfo(config, tokens.access_token, idTokenClaims.sub),
      );
      if (!userinfo.ok) return userinfo.failure;
      claims = mergeClaims(idTokenClaims, userinfo.value);
    }

    const identity = identityFromClaims(provider, claims, {
      issuer: idTokenClaims.iss,
      idToken: tokens.id_token,
      expiresAt: idTokenClaims.exp * 1000,
    });
    if ('reason' in identity)
      return failed(oidcFailure(identity.reason, provider.name, identity.detail, secrets));
    logger.info('identity: OIDC login', {
      provider: provider.name,
      subject: identity.subject,
      username: identity.username,
      admin: identity.admin,
    });
    return identity;
  };

  return {
    providers: () => names,

    async startLogin(name, options) {
      const provider = byName.get(name);
      if (provider === undefined) return unknown(name);
      const redirectUri = new URL(options.redirectUri);
      if (redirectUri.search !== '' || redirectUri.hash !== '')
        throw new AppError('CONFIG_INVALID', 'identity: an OIDC redirect URI must have no query or fragment');
      const discovered = await metadata(provider);
      if (!discovered.ok) return discovered.failure;

      const pending: PendingLogin = {
        provider: provider.name,
        state: randomState(),
        nonce: randomNonce(),
        codeVerifier: randomPKCECodeVerifier(),
        redirectUri: redirectUri.href,
        returnTo: localReturnTo(options.returnTo),
        createdAt: clock.now(),
      };
      const url = buildAuthorizationUrl(discovery.configuration(provider, discovered.value), {
        redirect_uri: pending.redirectUri,
        scope: provider.scopes.join(' '),
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url, pending };
    },

    async finishLogin(name, callbackUrl, pending, now) {
      const provider = byName.get(name);
      if (provider === undefined) return unknown(name);
      return finish(provider, callbackUrl, pending, now);
    },

    async logoutUrl(name, options) {
      const provider = byName.get(name);
      if (provider === undefined) return null;
      const discovered = await metadata(provider);
      if (!discovered.ok || discovered.value.end_session_endpoint === undefined) return null;
      return buildEndSessionUrl(discovery.configuration(provider, discovered.value), {
        post_logout_redirect_uri: options.postLogoutRedirectUri,
        ...(options.idTokenHint === undefined ? {} : { id_token_hint: options.idTokenHint }),
        ...(options.state === undefined ? {} : { state: options.state }),
      });
    },

    async refresh(name) {
      const provider = byName.get(name);
      if (provider === undefined) return unknown(name);
      discovery.forget(name);
      const discovered = await metadata(provider);
      return discovered.ok ? null : discovered.failure;
    },
  };
}
