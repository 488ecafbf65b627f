/**
 * From verified claims to an identity: the username, email and groups read from the claims the provider is
 * configured with, then the provider's rules (a username, a verified email, a required group) as small named
 * checks run in order. Pure.
 */
import type { OidcIdentity, OidcLoginFailure, OidcProviderConfig } from '../core/index.ts';

export type Claims = Readonly<Record<string, unknown>>;

/** The ID token lacks a claim the identity is read from, so userinfo may have it. */
export function needsUserinfo(config: OidcProviderConfig, claims: Claims): boolean {
  return !(config.usernameClaim in claims) || !(config.groupsClaim in claims) || !('email' in claims);
}

/**
 * The ID token's claims, completed by userinfo's where the ID token has none. The email and whether it is
 * verified come together from one source, so one source's flag never vouches for the other's address.
 */
export function mergeClaims(idToken: Claims, userinfo: Claims): Claims {
  const emailSource = 'email' in idToken ? idToken : userinfo;
  return { ...userinfo, ...idToken, email: emailSource.email, email_verified: emailSource.email_verified };
}

/** An array of strings or a single string; anything else is no groups. */
export function groupsFrom(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return [];
}

function emailVerified(value: unknown): boolean {
  // Some providers (AWS Cognito among them) send the flag as a string.
  return value === true || value === 'true';
}

export type ClaimsProblem = Pick<OidcLoginFailure, 'reason' | 'detail'>;
type Rule = (config: OidcProviderConfig, identity: Omit<OidcIdentity, 'idToken'>) => ClaimsProblem | null;

const rules: [name: string, rule: Rule][] = [
  [
    'username',
    (config, { username }) =>
      username !== ''
        ? null
        : { reason: 'username-missing', detail: `no string claim ${config.usernameClaim}` },
  ],
  [
    'verified email',
    (config, { email, emailVerified }) =>
      !config.requireVerifiedEmail || (email !== null && emailVerified)
        ? null
        : {
            reason: 'email-not-verified',
            detail: email === null ? 'no email claim' : 'email_verified is not true',
          },
  ],
  [
    'required group',
    (config, { groups }) =>
      config.requiredGroups.length === 0 || config.requiredGroups.some((group) => groups.includes(group))
        ? null
        : {
            reason: 'group-missing',
            detail: `in none of ${config.requiredGroups.join(', ')} (claim ${config.groupsClaim})`,
          },
  ],
];

export interface VerifiedToken {
  issuer: string;
  /** The raw ID token. */
  idToken: string;
  /** The ID token's `exp`, in milliseconds since the epoch. */
  expiresAt: number;
}

/** The identity, or the first rule it breaks (named in the detail). `claims.sub` is the verified subject. */
export function identityFromClaims(
  config: OidcProviderConfig,
  claims: Claims,
  token: VerifiedToken,
): OidcIdentity | ClaimsProblem {
  const username = claims[config.usernameClaim];
  const email = claims.email;
  const groups = groupsFrom(claims[config.groupsClaim]);
  const identity = {
    provider: config.name,
    subject: String(claims.sub),
    issuer: token.issuer,
    username: typeof username === 'string' ? username.trim() : '',
    email: typeof email === 'string' && email !== '' ? email : null,
    emailVerified: emailVerified(claims.email_verified),
    groups,
    admin: config.adminGroups.some((group) => groups.includes(group)),
    idTokenExpiresAt: token.expiresAt,
  };
  for (const [name, rule] of rules) {
    const problem = rule(config, identity);
    if (problem !== null) return { reason: problem.reason, detail: `${name}: ${problem.detail}` };
  }
  return { ...identity, idToken: token.idToken };
}
