/**
 * Turns a failed Gogs API call into one AppError whose message says what was asked (method and path, never
 * the query or a credential), what Gogs answered, and what to do next.
 */
import { STATUS_CODES } from 'node:http';
import { AppError, type ErrorCode } from '../core/index.ts';
import { errorBodySchema } from './wire-schemas.ts';

/** What a call is about, so 403/404 hints can name the right cause. */
export type GogsTopic =
  | 'user'
  | 'account'
  | 'repo'
  | 'hooks'
  | 'hook'
  | 'file'
  | 'commit'
  | 'branch'
  | 'orgs'
  | 'teams'
  | 'team-members'
  | 'collaborators'
  | 'comment'
  | 'token';

export interface CallDescription {
  method: string;
  /** Path below /api/v1, as sent (segments encoded). */
  path: string;
  topic: GogsTopic;
  /** `owner/name`, `org` or `username` the call is about; '' when none. */
  subject: string;
  /** Root URL host, for messages about reaching Gogs. */
  host: string;
  /** What to check when Gogs refuses the credentials (401). */
  credentialHint: string;
  /** Values that must never appear in a message (the token, a password). */
  secrets: readonly string[];
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // A very short secret would blank out ordinary words; we never put secrets in messages ourselves.
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'GOGS_UNAUTHORIZED';
  if (status === 403) return 'GOGS_FORBIDDEN';
  if (status === 404) return 'GOGS_NOT_FOUND';
  if (status === 429 || status >= 500 || status < 400) return 'GOGS_UNAVAILABLE';
  return 'GOGS_INVALID_REQUEST';
}

/** The text of a Gogs error body, or '' when the body is empty or not one of Gogs' shapes. */
export function gogsMessageOf(body: Uint8Array): string {
  if (body.byteLength === 0) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return '';
  }
  const result = errorBodySchema.safeParse(parsed);
  if (!result.success) return '';
  if (!Array.isArray(result.data)) return result.data.message;
  return result.data
    .map((item) => {
      const fields = item.fieldNames?.length ? `${item.fieldNames.join(', ')}: ` : '';
      const kind = item.classification ? ` (${item.classification})` : '';
      return `${fields}${item.message}${kind}`;
    })
    .join('; ');
}

function forbiddenHint(call: CallDescription): string {
  switch (call.topic) {
    case 'hooks':
    case 'hook':
      return `The token's user must be an admin of ${call.subject} to manage its webhooks.`;
    case 'collaborators':
      return `The token's user must be an admin of ${call.subject} to list its collaborators.`;
    case 'team-members':
      return "Only a Gogs site admin's token may list a team's members.";
    default:
      return `The token's user lacks the rights for this on ${call.subject || 'Gogs'}.`;
  }
}

function notFoundHint(call: CallDescription): string {
  const hidden = `${call.subject} does not exist or the token's user cannot see it (Gogs answers 404 for private repositories it hides)`;
  switch (call.topic) {
    case 'hooks':
      return `Either ${hidden}, or the token's user is not an admin of it; managing webhooks needs admin rights on the repository.`;
    case 'hook':
      return `The webhook is gone, or ${hidden}; managing webhooks needs admin rights on the repository.`;
    case 'collaborators':
      return `${hidden}; listing collaborators needs admin rights on the repository.`;
    case 'branch':
      return `The branch does not exist, or ${hidden}.`;
    case 'commit':
      return `No commit matches that ref, or ${hidden}.`;
    case 'file':
      return `The file, the ref or the repository does not exist, or ${hidden}.`;
    case 'comment':
      return `The issue does not exist, issues are disabled on ${call.subject}, or ${hidden}.`;
    case 'teams':
      return `There is no organisation named ${call.subject}.`;
    case 'team-members':
      return `There is no ${call.subject}, or this Gogs is older than 0.12.0, which added the API for team members.`;
    case 'repo':
      return `${hidden}.`;
    case 'account':
      return `Gogs has no user named ${call.subject}; check the spelling (Gogs logins are case-insensitive).`;
    default:
      return `Gogs has no API at this path; check that the Gogs URL is the Gogs root (e.g. https://git.example.com/) on ${call.host}.`;
  }
}

function hintFor(call: CallDescription, status: number): string {
  if (status === 401) return call.credentialHint;
  if (status === 403) return forbiddenHint(call);
  if (status === 404) return notFoundHint(call);
  if (status >= 300 && status < 400) {
    return 'Gogs answered with a redirect; set the Gogs URL to the address Gogs is really served at.';
  }
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    return 'Gogs or the proxy in front of it is overloaded or down; retry later.';
  }
  if (status >= 500) return 'Gogs failed internally; check the Gogs server log, then retry.';
  return 'Gogs rejected the request; this is a bug in drone-gogs or an incompatible Gogs version.';
}

export function errorForStatus(call: CallDescription, status: number, body: Uint8Array): AppError {
  const gogsMessage = redact(gogsMessageOf(body), call.secrets);
  const statusText = STATUS_CODES[status] ?? 'Unknown';
  const said = gogsMessage ? `: ${gogsMessage}` : '';
  const message = `Gogs answered ${status} ${statusText} to ${call.method} ${call.path}${said}. ${hintFor(call, status)}`;
  return new AppError(codeForStatus(status), redact(message, call.secrets), {
    details: { method: call.method, path: call.path, status, gogsMessage },
  });
}

export function errorForBadReply(call: CallDescription, status: number, problem: string): AppError {
  const message =
    `Gogs answered ${status} to ${call.method} ${call.path}, but not in the documented shape (${problem}). ` +
    'Check that the Gogs URL points at Gogs (not a proxy page) and that Gogs is 0.11 or newer.';
  return new AppError('GOGS_UNAVAILABLE', redact(message, call.secrets), {
    details: { method: call.method, path: call.path, status, problem: redact(problem, call.secrets) },
  });
}

export function errorForTimeout(call: CallDescription, timeoutMs: number, cause: unknown): AppError {
  return new AppError(
    'GOGS_TIMEOUT',
    `Gogs did not answer ${call.method} ${call.path} within ${timeoutMs} ms. Check that Gogs at ${call.host} is up and not overloaded, then retry.`,
    { cause, details: { method: call.method, path: call.path, timeoutMs } },
  );
}

function networkCodeOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string')
    return cause.code;
  return '';
}

export function errorForNetwork(call: CallDescription, error: unknown): AppError {
  const code = networkCodeOf(error);
  const what =
    code === 'ECONNREFUSED'
      ? 'the connection was refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code
          ? `the connection failed (${code})`
          : 'the connection failed';
  const message = `Cannot reach Gogs at ${call.host} for ${call.method} ${call.path}: ${what}. Check that Gogs is running and that the Gogs URL is right.`;
  return new AppError('GOGS_UNAVAILABLE', message, {
    cause: error,
    details: { method: call.method, path: call.path, host: call.host, networkCode: code },
  });
}
