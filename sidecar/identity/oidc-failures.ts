/**
 * Failed OIDC logins as values: the sentence a person reads (fixed per reason, naming only the provider), the
 * detail an operator logs, and openid-client's errors sorted into reasons. Nothing the provider or the callback
 * URL says reaches the person's message, and the detail is scrubbed of every secret the login holds.
 */
import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client';
import type { OidcLoginFailure, OidcLoginFailureReason } from '../core/index.ts';

const MAX_DETAIL_CHARS = 300;
/** Three base64url segments: a JWT (an ID or access token) quoted by some error text. */
const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;

const NEXT_STEP: Record<OidcLoginFailureReason, (provider: string) => string> = {
  'provider-unknown': (p) => `There is no sign-in provider named ${p} here. Pick one from the login page.`,
  'state-mismatch': () =>
    'This sign-in response does not belong to the sign-in started in this browser. Start again from the login page.',
  'login-expired': () =>
    'The sign-in took longer than 10 minutes and has expired. Start again from the login page.',
  'provider-error': (p) =>
    `${p} did not sign you in. Start again from the login page; if ${p} keeps refusing, ask your administrator for access.`,
  'code-rejected': (p) =>
    `${p} did not accept this sign-in (it was already used or has expired). Start again from the login page.`,
  'client-rejected': (p) =>
    `${p} did not accept this CI server's client credentials. An administrator has to check the client id and secret configured for ${p}.`,
  'id-token-invalid': (p) =>
    `The identity token from ${p} did not pass verification. Start again from the login page; if it keeps failing, an administrator has to check the client configured for ${p} and the clocks of both servers.`,
  'username-missing': (p) =>
    `${p} did not say what your username is. An administrator has to map the username claim for this CI server at ${p}.`,
  'email-not-verified': (p) =>
    `${p} has not verified your email address. Verify it at ${p}, then sign in again.`,
  'group-missing': () =>
    'Your account is not in a group that may sign in to this CI server. Ask your administrator for access.',
  'provider-unreachable': (p) =>
    `The sign-in provider ${p} cannot be reached right now. Try again in a minute; if it persists, an administrator has to check that ${p} is up and reachable from the CI server.`,
};

/** `secrets`: every value of the login that must not be logged (client secret, code, state, nonce, verifier). */
export function oidcFailure(
  reason: OidcLoginFailureReason,
  provider: string,
  detail: string,
  secrets: readonly string[] = [],
): OidcLoginFailure {
  return { reason, provider, message: NEXT_STEP[reason](provider), detail: scrub(detail, secrets) };
}

function scrub(text: string, secrets: readonly string[]): string {
  let clean = text.replace(JWT_LIKE, '[token]');
  for (const secret of secrets) if (secret.length >= 4) clean = clean.replaceAll(secret, '[redacted]');
  return clean.length > MAX_DETAIL_CHARS ? `${clean.slice(0, MAX_DETAIL_CHARS)}…` : clean;
}

/** Where in a login an error came from: the same error code means different things at each step. */
export type OidcStep = 'discovery' | 'token' | 'userinfo';

/**
 * The reason for an error openid-client (or fetch under it) threw at `step`, and a detail for the log. Errors
 * that are the caller's bug (openid-client's ERR_INVALID_ARG_* type errors) are rethrown.
 */
export function failureFromError(
  error: unknown,
  step: OidcStep,
  provider: string,
  secrets: readonly string[],
): OidcLoginFailure {
  const detail = `${step}: ${describe(error)}`;
  return oidcFailure(reasonFor(error, step), provider, detail, secrets);
}

function reasonFor(error: unknown, step: OidcStep): OidcLoginFailureReason {
  if (isProgrammingError(error)) throw error;
  if (step === 'discovery' || notAnswering(error)) return 'provider-unreachable';
  if (error instanceof AuthorizationResponseError) return 'provider-error';
  if (step === 'userinfo') return 'provider-error';
  // A challenge from the token endpoint answers the client's authentication (oidc-provider: 401 invalid_client).
  if (error instanceof WWWAuthenticateChallengeError) return 'client-rejected';
  if (error instanceof ResponseBodyError) {
    if (error.error === 'invalid_grant') return 'code-rejected';
    if (error.error === 'invalid_client' || error.error === 'unauthorized_client') return 'client-rejected';
    return 'provider-error';
  }
  // Whatever else openid-client raises after the token response is about what that response (its ID token) says.
  return 'id-token-invalid';
}

function isProgrammingError(error: unknown): boolean {
  return (
    error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_INVALID_ARG')
  );
}

const NOT_ANSWERING = new Set([
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
]);

function notAnswering(error: unknown): boolean {
  // fetch() rejects with a plain TypeError ("fetch failed") when it cannot connect; openid-client passes it on.
  if (error instanceof TypeError) return true;
  return error instanceof ClientError && NOT_ANSWERING.has(error.code ?? '');
}

/** An OAuth error code as sent, or a placeholder: a callback URL's text is anyone's to write. */
function word(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : '(unrecognised)';
}

/** Names and codes only; the one free text kept is the provider's error_description, scrubbed by the caller. */
function describe(error: unknown): string {
  if (error instanceof ResponseBodyError) {
    const description = typeof error.error_description === 'string' ? ` (${error.error_description})` : '';
    return `the provider answered HTTP ${error.status} ${word(error.error)}${description}`;
  }
  if (error instanceof AuthorizationResponseError)
    return `the provider redirected with error ${word(error.error)}`;
  if (error instanceof ClientError) {
    const cause =
      error.cause instanceof Error && error.cause.message !== error.message ? error.cause.message : '';
    return `openid-client ${error.code ?? 'ClientError'}: ${error.message}${cause === '' ? '' : ` (${cause})`}`;
  }
  if (error instanceof Error) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return `${error.name}: ${error.message}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  return 'an unknown error';
}
