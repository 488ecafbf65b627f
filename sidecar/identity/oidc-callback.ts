/**
 * The callback checked against the login it claims to finish, before anything goes to the provider: the same
 * provider, in time, from the expected issuer (RFC 9207 `iss`), with this login's state, and not an error
 * redirect. openid-client checks state and issuer again; checking here first is what lets a wrong state be told
 * apart from a bad ID token (openid-client gives both the same error code).
 */
import { timingSafeEqual } from 'node:crypto';
import { OIDC_LOGIN_TTL_MS, type OidcLoginFailure, type PendingLogin } from '../core/index.ts';
import { oidcFailure } from './oidc-failures.ts';

export interface CallbackFacts {
  provider: string;
  /** The issuer from the provider's discovered metadata. */
  issuer: string;
  /** The provider's metadata says it always sends `iss` with the authorization response. */
  issRequired: boolean;
  callbackUrl: URL;
  pending: PendingLogin;
  now: number;
  /** Values to keep out of the failure's detail. */
  secrets: readonly string[];
}

type Problem = { reason: OidcLoginFailure['reason']; detail: string } | null;
type Check = (facts: CallbackFacts) => Problem;

/** Authorization response parameters that must each appear at most once. */
const SINGLE = ['state', 'code', 'iss', 'error'];

const checks: [name: string, check: Check][] = [
  [
    'same provider',
    ({ provider, pending }) =>
      pending.provider === provider
        ? null
        : { reason: 'state-mismatch', detail: `the pending login is for provider ${pending.provider}` },
  ],
  [
    'in time',
    ({ pending, now }) =>
      now - pending.createdAt <= OIDC_LOGIN_TTL_MS && pending.createdAt <= now + 60_000
        ? null
        : {
            reason: 'login-expired',
            detail: `the login started ${Math.round((now - pending.createdAt) / 1000)} s ago`,
          },
  ],
  [
    'parameters once',
    ({ callbackUrl }) => {
      const repeated = SINGLE.filter((name) => callbackUrl.searchParams.getAll(name).length > 1);
      return repeated.length === 0
        ? null
        : { reason: 'state-mismatch', detail: `the callback repeats ${repeated.join(', ')}` };
    },
  ],
  [
    'expected issuer',
    ({ callbackUrl, issuer, issRequired }) => {
      const iss = callbackUrl.searchParams.get('iss');
      if (iss === null)
        return issRequired ? { reason: 'state-mismatch', detail: 'the callback has no iss parameter' } : null;
      return iss === issuer
        ? null
        : { reason: 'state-mismatch', detail: 'the callback names another issuer' };
    },
  ],
  [
    'this login',
    ({ callbackUrl, pending }) =>
      pending.state !== '' && sameText(callbackUrl.searchParams.get('state') ?? '', pending.state)
        ? null
        : { reason: 'state-mismatch', detail: 'the callback state is not the pending login state' },
  ],
  [
    'no error redirect',
    ({ callbackUrl }) => {
      const error = callbackUrl.searchParams.get('error');
      if (error === null) return null;
      const code = /^[\w.-]{1,64}$/.test(error) ? error : '(unrecognised)';
      return { reason: 'provider-error', detail: `the provider redirected with error ${code}` };
    },
  ],
  [
    'a code',
    ({ callbackUrl }) =>
      callbackUrl.searchParams.get('code')
        ? null
        : { reason: 'provider-error', detail: 'the callback has neither a code nor an error' },
  ],
];

/** The first check the callback fails, as a failure naming the check in its detail; null when all pass. */
export function callbackFailure(facts: CallbackFacts): OidcLoginFailure | null {
  for (const [name, check] of checks) {
    const problem = check(facts);
    if (problem !== null)
      return oidcFailure(problem.reason, facts.provider, `${name}: ${problem.detail}`, facts.secrets);
  }
  return null;
}

/**
 * The URL openid-client reads the response from and derives the token request's `redirect_uri` from: the
 * redirect URI that went out with the login, with the callback's parameters. Taking the origin from the pending
 * login rather than the request means a proxy's Host header cannot change what is sent to the provider.
 */
export function responseUrl(pending: PendingLogin, callbackUrl: URL): URL {
  const url = new URL(pending.redirectUri);
  url.search = callbackUrl.search;
  return url;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
