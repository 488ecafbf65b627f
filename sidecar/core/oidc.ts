/**
 * Signing in with an OpenID Connect provider: what a provider is configured with, what a finished login yields,
 * what must be kept between the redirect to the provider and the callback from it, and how a login fails.
 */

/** One configured provider. Built with `withOidcDefaults`, checked with `oidcProviderProblems`. */
export interface OidcProviderConfig {
  /** Lower case letters, digits and dashes, at most 32: it names the provider in URLs (`/login/oidc/{name}`). */
  name: string;
  /** The Issuer Identifier; https, or http on a loopback host (for tests and local development). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Requested scopes; `openid` among them. */
  scopes: readonly string[];
  /** The claim that holds the person's username. */
  usernameClaim: string;
  /** The claim that holds the person's groups (an array of strings, or one string). */
  groupsClaim: string;
  /** When not empty, a person must be in at least one of these groups to sign in. */
  requiredGroups: readonly string[];
  /** Members of any of these groups are CI admins. Being one does not waive `requiredGroups`. */
  adminGroups: readonly string[];
  /** Refuse a person whose `email_verified` claim is not true. */
  requireVerifiedEmail: boolean;
}

export const OIDC_PROVIDER_NAME = /^[a-z0-9-]{1,32}$/;

export const OIDC_PROVIDER_DEFAULTS = {
  scopes: ['openid', 'email', 'profile'],
  usernameClaim: 'preferred_username',
  groupsClaim: 'groups',
  requiredGroups: [],
  adminGroups: [],
  requireVerifiedEmail: false,
} as const satisfies Partial<OidcProviderConfig>;

type OidcProviderSettings = Pick<OidcProviderConfig, 'name' | 'issuer' | 'clientId' | 'clientSecret'> &
  Partial<OidcProviderConfig>;

export function withOidcDefaults(settings: OidcProviderSettings): OidcProviderConfig {
  return { ...OIDC_PROVIDER_DEFAULTS, ...settings };
}

/** Hosts an issuer may be reached on over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** Everything wrong with a provider's configuration, each as a sentence naming the field; empty when fine. */
export function oidcProviderProblems(config: OidcProviderConfig): string[] {
  const problems: string[] = [];
  const where = `OIDC provider ${JSON.stringify(config.name)}`;
  if (!OIDC_PROVIDER_NAME.test(config.name))
    problems.push(`${where}: name must be 1 to 32 lower case letters, digits or dashes`);
  let issuer: URL | null = null;
  try {
    issuer = new URL(config.issuer);
  } catch {
    problems.push(`${where}: issuer is not a URL`);
  }
  if (issuer !== null) {
    const secure =
      issuer.protocol === 'https:' || (issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname));
    if (!secure) problems.push(`${where}: issuer must use https (http is allowed on a loopback host only)`);
    if (issuer.search !== '' || issuer.hash !== '')
      problems.push(`${where}: issuer must have no query or fragment`);
  }
  if (config.clientId.trim() === '') problems.push(`${where}: clientId is empty`);
  if (config.clientSecret === '') problems.push(`${where}: clientSecret is empty`);
  if (!config.scopes.includes('openid')) problems.push(`${where}: scopes must include openid`);
  if (config.usernameClaim.trim() === '') problems.push(`${where}: usernameClaim is empty`);
  if (config.groupsClaim.trim() === '') problems.push(`${where}: groupsClaim is empty`);
  return problems;
}

/** A person the provider vouched for, after every check of the login passed. */
export interface OidcIdentity {
  /** The provider's configured name. */
  provider: string;
  /** The `sub` claim: stable for the person at this issuer. */
  subject: string;
  issuer: string;
  /** From the configured username claim. */
  username: string;
  email: string | null;
  emailVerified: boolean;
  /** From the configured groups claim; empty when the provider sends none. */
  groups: string[];
  /** In one of the provider's admin groups. */
  admin: boolean;
  /** Milliseconds since the epoch. */
  idTokenExpiresAt: number;
  /**
   * The ID token itself, only to be passed back as logout's `idTokenHint`. It carries personal data: keep it
   * with the session, never in logs, messages or URLs other than the provider's logout.
   */
  idToken: string;
}

/** How long a login may take from the redirect to the callback. */
export const OIDC_LOGIN_TTL_MS = 10 * 60_000;

/**
 * What must survive between the redirect to the provider and the callback, in a place only this browser's
 * callback can reach (an encrypted cookie or a server-side row keyed by one). `codeVerifier` is a secret.
 */
export interface PendingLogin {
  provider: string;
  state: string;
  nonce: string;
  /** The PKCE code verifier; its S256 challenge went out with the redirect. */
  codeVerifier: string;
  /** The redirect URI sent to the provider; the token request must repeat it exactly. */
  redirectUri: string;
  /** A local path (`/owner/repo/…`) to go to after signing in; never an absolute URL. */
  returnTo: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface StartedLogin {
  /** Where to send the browser. */
  url: URL;
  pending: PendingLogin;
}

export type OidcLoginFailureReason =
  /** No provider of that name is configured. */
  | 'provider-unknown'
  /** The callback does not belong to the login started in this browser (state, issuer or provider differ). */
  | 'state-mismatch'
  /** The pending login is older than OIDC_LOGIN_TTL_MS. */
  | 'login-expired'
  /** The provider redirected back with `error=…` (the person declined, or the provider refused). */
  | 'provider-error'
  /** The token endpoint refused the code: already used, expired, or issued to another client. */
  | 'code-rejected'
  /** The token endpoint refused the client's own credentials: a configuration problem. */
  | 'client-rejected'
  /** The ID token failed verification: signature, issuer, audience, nonce or expiry. */
  | 'id-token-invalid'
  /** Neither the ID token nor the userinfo response has the configured username claim. */
  | 'username-missing'
  | 'email-not-verified'
  | 'group-missing'
  /** Discovery, the token endpoint or userinfo did not answer (in time, or like an OpenID provider). */
  | 'provider-unreachable';

/** A login that did not succeed: an expected outcome, not a thrown error. */
export interface OidcLoginFailure {
  reason: OidcLoginFailureReason;
  provider: string;
  /** For the person: what happened and what to do next. Never holds a secret, a code or a token. */
  message: string;
  /** For the operator's log: the library's error name and code, a claim name; never a secret, code or token. */
  detail: string;
}

export function isOidcLoginFailure(value: object): value is OidcLoginFailure {
  return 'reason' in value;
}

/**
 * Logs people in with the configured OpenID Connect providers (authorization code flow with PKCE). Provider
 * metadata is discovered on first use and cached per provider; a failure to reach a provider forgets its
 * metadata, so the next call discovers again. Safe to call concurrently.
 */
export interface OidcClient {
  /** The configured providers' names, in configuration order. */
  providers(): readonly string[];
  /**
   * A redirect to the provider with a fresh state, nonce and PKCE verifier, and what to keep until the callback.
   * `redirectUri` is built by the caller from the configured public URL, never from the request; `returnTo` is
   * reduced to a local path ('/' when it is not one).
   */
  startLogin(
    provider: string,
    options: { redirectUri: string; returnTo?: string },
  ): Promise<StartedLogin | OidcLoginFailure>;
  /**
   * Checks the callback against `pending`, redeems the code once, verifies the ID token (openid-client: signature,
   * issuer, audience, nonce, expiry against `now`), fetches userinfo only when the ID token lacks the username,
   * groups or email claims, then applies the provider's email and group rules.
   */
  finishLogin(
    provider: string,
    callbackUrl: URL,
    pending: PendingLogin,
    now: number,
  ): Promise<OidcIdentity | OidcLoginFailure>;
  /**
   * The provider's RP-initiated logout URL, or null when its metadata has no `end_session_endpoint` or it cannot
   * be reached (the local session ends either way).
   */
  logoutUrl(
    provider: string,
    options: { idTokenHint?: string; postLogoutRedirectUri: string; state?: string },
  ): Promise<URL | null>;
  /** Forgets the provider's metadata and discovers it again. */
  refresh(provider: string): Promise<OidcLoginFailure | null>;
}
