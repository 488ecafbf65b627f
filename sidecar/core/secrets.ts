/**
 * Repository and organisation secrets: what builds reference with `from_secret` (and `image_pull_secrets`).
 * Values are stored encrypted and reach nothing but the steps of builds the exposure rules allow; every answer
 * about a secret is a {@link SecretView}, which has no place for the value.
 */
import type { BuildOrigin } from './builds.ts';
import type { Principal } from './principal.ts';

/** Whose secret: a repository (OWNER/NAME, matched without regard to case) or an organisation (a Gogs owner). */
export type SecretOwner = { repo: string } | { org: string };

/**
 * A secret as commands and the API show it, copied field by field from the stored row: never its value.
 * Names follow Drone's secret JSON where Drone has the field (`name`, `namespace`, `pull_request`).
 */
export interface SecretView {
  name: string;
  scope: 'repo' | 'org';
  /** The repository (OWNER/NAME) of a repository secret; '' for an organisation's. */
  repo: string;
  /** The organisation of an organisation secret (Drone's `namespace`); '' for a repository's. */
  namespace: string;
  /** Exposed to pull requests from the repository itself; never to pull requests from forks. */
  pull_request: boolean;
  /** Who added it. */
  created_by: string;
  /** Unix seconds, as Drone's API times are. */
  created: number;
  updated: number;
}

export interface NewSecretInput {
  name: string;
  value: string;
  pullRequest: boolean;
}

/** What `secret update` changes; at least one field. */
export interface SecretChange {
  value?: string;
  pullRequest?: boolean;
}

export interface SecretAdded {
  secret: SecretView;
  /** What deserves a second look (an organisation no repository drone-gogs knows belongs to). */
  warnings: string[];
}

/**
 * Adding, changing, listing and removing secrets: one service for the CLI and the API. Each method takes the
 * acting principal, names it in the log of every change, and never logs, returns or puts a value in an error.
 * Throws BAD_REQUEST for a bad name or value (what is wrong and the limits), NOT_FOUND for an unknown
 * repository or secret, CONFLICT when adding a name the owner has (names are case-insensitive). Safe to call
 * concurrently and from several processes: the database decides conflicts.
 */
export interface SecretService {
  /** Names and rules, sorted by name. */
  list(actor: Principal, owner: SecretOwner): Promise<SecretView[]>;
  add(actor: Principal, owner: SecretOwner, input: NewSecretInput): Promise<SecretAdded>;
  update(actor: Principal, owner: SecretOwner, name: string, change: SecretChange): Promise<SecretView>;
  /** Returns what was removed. */
  remove(actor: Principal, owner: SecretOwner, name: string): Promise<SecretView>;
}

/** The repository facts resolving needs (a stored `Repo` has them). */
export interface SecretRepo {
  gogsId: number;
  owner: string;
  fullName: string;
}

/**
 * The secrets of a build, decrypted, for the runner: called by the stage worker when it starts a stage, for
 * every stage. Applies the exposure rules (secrets/exposure.ts); the result maps each name to its value, one
 * entry per case-insensitive name. Throws DECRYPT_FAILED, naming the secret and how to set it again, when a
 * stored value cannot be read: a build is not run with a secret silently missing. Reads only.
 */
export interface BuildSecrets {
  forBuild(repo: SecretRepo, origin: Pick<BuildOrigin, 'event' | 'fork'>): Promise<Record<string, string>>;
}

/** A secret as stored: `data` is the ciphertext, bound to {@link secretPlace} of its scope and name. */
export interface StoredSecret {
  id: number;
  /** `repo:<gogs id>` or `org:<name in lower case>`. */
  scope: string;
  /** As it was added; unique per scope without regard to case. */
  name: string;
  data: string;
  pullRequest: boolean;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export type NewStoredSecret = Pick<StoredSecret, 'scope' | 'name' | 'data' | 'pullRequest' | 'createdBy'>;

/**
 * Secrets as stored (table `secrets`), ciphertexts only: encryption is the caller's (secrets/), as for the hook
 * secrets. Names are matched without regard to case. Every method may be called concurrently and by several
 * processes.
 */
export interface SecretStore {
  /** The secrets of every given scope, sorted by scope then lower-cased name. */
  list(scopes: readonly string[]): Promise<StoredSecret[]>;
  find(scope: string, name: string): Promise<StoredSecret | null>;
  /** Null, and nothing stored, when the scope has a secret of that name (in any case). */
  add(secret: NewStoredSecret): Promise<StoredSecret | null>;
  /**
   * Applies the change and bumps the version; with `expectedVersion`, only to that version. Null when the secret
   * is gone or another writer changed it first.
   */
  update(
    id: number,
    change: Partial<Pick<StoredSecret, 'data' | 'pullRequest'>>,
    expectedVersion?: number,
  ): Promise<StoredSecret | null>;
  /** False when it was already gone. */
  remove(id: number): Promise<boolean>;
}

export const repoSecretScope = (gogsId: number): string => `repo:${gogsId}`;
export const orgSecretScope = (org: string): string => `org:${org.toLowerCase()}`;
