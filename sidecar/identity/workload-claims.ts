/**
 * The payload of a workload token from what the build says about the step. Pure. Every string is checked
 * before it goes into a claim: most are pusher-controlled (branch and step names), and `sub` joins them with
 * `:`, so a value that could shift the parts of the subject or carry control characters is refused, not cleaned.
 */
import {
  AppError,
  BUILD_EVENTS,
  type BuildEvent,
  isCommitSha,
  refNameProblem,
  type WorkloadClaims,
  type WorkloadTokenPayload,
} from '../core/index.ts';

export const DEFAULT_TTL_SECONDS = 600;
export const MAX_TTL_SECONDS = 3600;
/** Bound on every string claim (and the audience), in UTF-16 code units. */
export const MAX_CLAIM_CHARS = 256;

const EVENTS: ReadonlySet<BuildEvent> = new Set(BUILD_EVENTS);
/** Gogs owner and repository names: letters, digits, `-`, `_` and `.`; never a `:` that would split `sub`. */
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export interface PayloadOptions {
  issuer: string;
  audience: string;
  /** Milliseconds since the epoch. */
  now: number;
  ttlSeconds: number;
  jti: string;
}

function refuse(field: string, problem: string): never {
  throw new AppError('BAD_REQUEST', `workload token: ${field} ${problem}`, { details: { field } });
}

function checkText(field: string, value: string): void {
  if (value === '') refuse(field, 'is empty');
  if (value.length > MAX_CLAIM_CHARS) refuse(field, `is longer than ${MAX_CLAIM_CHARS} characters`);
  if (CONTROL.test(value)) refuse(field, 'contains a control character');
}

function checkClaims(claims: WorkloadClaims): void {
  checkText('repository', claims.repository);
  if (!REPOSITORY.test(claims.repository)) refuse('repository', 'is not OWNER/NAME');
  checkText('ref', claims.ref);
  const refProblem = refNameProblem(claims.ref);
  if (refProblem !== null) refuse('ref', refProblem);
  if (!['branch', 'tag', 'pull_request'].includes(claims.refType)) refuse('refType', 'is unknown');
  if (claims.refType === 'branch' && !claims.ref.startsWith('refs/heads/')) {
    refuse('ref', 'of a branch is not under refs/heads/');
  }
  if (claims.refType === 'tag' && !claims.ref.startsWith('refs/tags/')) {
    refuse('ref', 'of a tag is not under refs/tags/');
  }
  if (!EVENTS.has(claims.event)) refuse('event', 'is unknown');
  if (!isCommitSha(claims.sha)) refuse('sha', 'is not a full commit SHA');
  if (!Number.isSafeInteger(claims.buildNumber) || claims.buildNumber < 1) {
    refuse('buildNumber', 'is not a positive integer');
  }
  checkText('pipeline', claims.pipeline);
  checkText('step', claims.step);
  checkText('triggerUser', claims.triggerUser);
  if (typeof claims.trusted !== 'boolean') refuse('trusted', 'is not a boolean');
  if (!Number.isSafeInteger(claims.pullRequest) || claims.pullRequest < 0) {
    refuse('pullRequest', 'is not a number of a pull request (or 0)');
  }
  if ((claims.refType === 'pull_request') !== claims.pullRequest > 0) {
    refuse('pullRequest', 'is set without the pull_request ref type, or missing with it');
  }
}

/** The subject, in GitHub's form: policies match it as `repo:OWNER/NAME:ref:refs/heads/main`. */
export function workloadSubject(claims: Pick<WorkloadClaims, 'repository' | 'ref' | 'refType'>): string {
  return claims.refType === 'pull_request'
    ? `repo:${claims.repository}:pull_request`
    : `repo:${claims.repository}:ref:${claims.ref}`;
}

/** Throws AppError BAD_REQUEST, naming the field, when a claim, the audience or the lifetime is refused. */
export function workloadPayload(claims: WorkloadClaims, options: PayloadOptions): WorkloadTokenPayload {
  checkClaims(claims);
  checkText('audience', options.audience);
  if (
    !Number.isSafeInteger(options.ttlSeconds) ||
    options.ttlSeconds < 1 ||
    options.ttlSeconds > MAX_TTL_SECONDS
  ) {
    refuse('ttlSeconds', `is not a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`);
  }
  const iat = Math.floor(options.now / 1000);
  return {
    iss: options.issuer,
    sub: workloadSubject(claims),
    aud: options.audience,
    iat,
    nbf: iat,
    exp: iat + options.ttlSeconds,
    jti: options.jti,
    repository: claims.repository,
    repository_owner: claims.repository.slice(0, claims.repository.indexOf('/')),
    ref: claims.ref,
    ref_type: claims.refType,
    event: claims.event,
    sha: claims.sha,
    build_number: claims.buildNumber,
    pipeline: claims.pipeline,
    step: claims.step,
    trigger_user: claims.triggerUser,
    trusted: claims.trusted,
    ...(claims.pullRequest > 0 ? { pull_request: claims.pullRequest } : {}),
  };
}
