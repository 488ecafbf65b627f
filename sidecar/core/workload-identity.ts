/**
 * Workload identity: short-lived JWTs the sidecar signs for a build step that asks for one, which the step
 * exchanges elsewhere (AWS STS, Vault, a cloud's federation) like GitHub Actions' OIDC tokens or GitLab's
 * id_tokens. The sidecar is the issuer: its public URL, its discovery document and keys under /.well-known/.
 */
import type { BuildEvent } from './plan.ts';

export type WorkloadRefType = 'branch' | 'tag' | 'pull_request';

/** What a token says about the step it was issued to; the strings are pusher-controlled (branch names). */
export interface WorkloadClaims {
  /** OWNER/NAME. */
  repository: string;
  /** The full ref: `refs/heads/main`, `refs/tags/v1`, `refs/pull/7/head`. */
  ref: string;
  refType: WorkloadRefType;
  event: BuildEvent;
  /** The commit built. */
  sha: string;
  buildNumber: number;
  /** The stage's name. */
  pipeline: string;
  step: string;
  /** Drone's trigger: `@hook`, `@cron` or the login of who asked for the build. */
  triggerUser: string;
  /** The repository's trusted flag. */
  trusted: boolean;
  /** The pull request's number; 0 when the build is not one's. */
  pullRequest: number;
}

/** The payload of a workload token; claim names follow GitHub's (snake_case). Times in seconds. */
export interface WorkloadTokenPayload {
  iss: string;
  /** `repo:OWNER/NAME:ref:<full ref>`, or `repo:OWNER/NAME:pull_request` for pull requests (GitHub's form). */
  sub: string;
  aud: string;
  iat: number;
  nbf: number;
  exp: number;
  /** Random, unique per token. */
  jti: string;
  repository: string;
  repository_owner: string;
  ref: string;
  ref_type: WorkloadRefType;
  event: BuildEvent;
  sha: string;
  build_number: number;
  pipeline: string;
  step: string;
  trigger_user: string;
  trusted: boolean;
  /** Only in tokens of pull request builds. */
  pull_request?: number;
}

/** Every claim a workload token may carry, as the discovery document lists them. */
export const WORKLOAD_TOKEN_CLAIMS = [
  'iss',
  'sub',
  'aud',
  'iat',
  'nbf',
  'exp',
  'jti',
  'repository',
  'repository_owner',
  'ref',
  'ref_type',
  'event',
  'sha',
  'build_number',
  'pipeline',
  'step',
  'trigger_user',
  'trusted',
  'pull_request',
] as const satisfies readonly (keyof WorkloadTokenPayload)[];

export type WorkloadSigningAlg = 'ES256';

/** The public half of a P-256 key as published (RFC 7517); it has no place for a private member. */
export interface PublicSigningJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  /** The RFC 7638 thumbprint of the key. */
  kid: string;
  alg: WorkloadSigningAlg;
  use: 'sig';
}

export interface WorkloadToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface KeyRotation {
  /** The key that signs now. */
  signingKid: string;
  /** The key this rotation created (by this process), or null. */
  created: string | null;
  /** The keys this rotation deleted: no token they signed can still be valid. */
  deleted: string[];
}

/**
 * Signs workload tokens and publishes the keys that verify them. Keys rotate with overlap: the newest key
 * whose `notBefore` has come signs; a key older than the rotation period gets a successor, published before it
 * signs; a key that no longer signs stays published until every token it signed has expired (plus a margin),
 * then is deleted. Every method may be called concurrently, and by several processes sharing one database.
 */
export interface WorkloadTokenIssuer {
  /** The issuer URL (`iss`): the sidecar's public URL. */
  readonly issuer: string;
  /**
   * A token for a step; rotates first when a rotation is due (so the first call creates the first key).
   * `ttlSeconds` defaults to 600 and may be at most 3600. Throws AppError BAD_REQUEST, naming the field, for a
   * claim or audience that is empty, too long or malformed, or a lifetime out of range.
   */
  issue(claims: WorkloadClaims, options: { audience: string; ttlSeconds?: number }): Promise<WorkloadToken>;
  /** The public keys that verify tokens still valid (and the successor about to sign). Reads only. */
  jwks(): Promise<{ keys: PublicSigningJwk[] }>;
  /**
   * Creates a successor when the newest key is older than the rotation period (or there is no key) and
   * deletes keys whose tokens have all expired. Idempotent: processes rotating at once create one key.
   * `now` defaults to the issuer's clock.
   */
  rotate(now?: number): Promise<KeyRotation>;
}

/**
 * A signing key as stored (table `workload_signing_keys`). `privateKey` is the private JWK encrypted
 * (secrets/) and bound to {@link workloadSigningKeyPlace} of its kid. `generation` counts keys up from 1: a
 * successor takes the next one, and the unique generation decides between processes rotating at once.
 */
export interface StoredSigningKey {
  kid: string;
  generation: number;
  alg: WorkloadSigningAlg;
  publicJwk: Pick<PublicSigningJwk, 'kty' | 'crv' | 'x' | 'y'>;
  privateKey: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** From when it signs (ms); it stops signing when its successor's `notBefore` comes. */
  notBefore: number;
}

/**
 * Workload signing keys in the database: ciphertexts only (identity/ encrypts). May be called concurrently and
 * by several processes.
 */
export interface SigningKeyStore {
  /** Every key, newest (highest generation) first. */
  list(): Promise<StoredSigningKey[]>;
  /** Stores the key; false, and nothing stored, when its generation (or kid) is taken: another rotation won. */
  add(key: StoredSigningKey): Promise<boolean>;
  /** Deletes the keys of a generation below `generation`; returns their kids. Idempotent. */
  removeBelow(generation: number): Promise<string[]>;
}

/** The place a signing key's private half is bound to (see `hookSecretPlace`). */
export const workloadSigningKeyPlace = (kid: string): string => `workload_signing_keys.private_key:${kid}`;
