/**
 * How people reach their Gogs rights: the OpenID providers an admin configures (kept in the database, changed
 * without a restart), the one Gogs access token of each person (made by the login form or pasted), the OIDC
 * identities matched to Gogs users, and the rights on repositories read from Gogs with each person's own token.
 */

import type { StoredUser } from './identity.ts';
import type { OidcClient, OidcIdentity, OidcProviderConfig } from './oidc.ts';
import type { OrgRole, RepoAccess } from './policy.ts';
import type { Principal } from './principal.ts';

/** How a person of a provider is matched to a Gogs user: by verified email, or by the username claim as login. */
export type OidcMatchRule = 'email' | 'username';
export const OIDC_MATCH_RULES: readonly OidcMatchRule[] = ['email', 'username'];

/** A provider's configuration with its match rule. */
export interface OidcProviderEntry extends OidcProviderConfig {
  matchBy: OidcMatchRule;
  /** Policy roles (`deployer`, see policy/'s ROLE_GRANTS) by the provider groups whose members have them. */
  roleGroups: Readonly<Record<string, readonly string[]>>;
}

/** A provider as stored: `clientSecret` is encrypted (secrets/) at {@link oidcClientSecretPlace}. */
export interface StoredOidcProvider extends OidcProviderEntry {
  createdAt: number;
  updatedAt: number;
}

export const oidcClientSecretPlace = (name: string): string => `oidc_providers.client_secret:${name}`;

export interface OidcProviderStore {
  /** Every provider, by name. */
  list(): Promise<StoredOidcProvider[]>;
  /** Inserts; false (and nothing changed) when a provider of that name exists. */
  add(provider: StoredOidcProvider): Promise<boolean>;
  /** The removed provider; null when there was none. */
  remove(name: string): Promise<StoredOidcProvider | null>;
  /** Changes whenever any process adds, removes or changes a provider; one small read. */
  version(): Promise<string>;
}

/** What commands and the API show of a provider: never its client secret. Times in seconds. */
export interface OidcProviderView {
  name: string;
  issuer: string;
  client_id: string;
  scopes: string[];
  username_claim: string;
  groups_claim: string;
  required_groups: string[];
  admin_groups: string[];
  require_verified_email: boolean;
  match_by: OidcMatchRule;
  role_groups: Record<string, string[]>;
  created: number;
  updated: number;
}

export type OidcProviderInput = Pick<OidcProviderConfig, 'name' | 'issuer' | 'clientId' | 'clientSecret'> &
  Partial<OidcProviderEntry>;

/** Provider administration: CI admins only, every change audited. */
export interface OidcProviderService {
  /** Throws BAD_REQUEST naming every problem of the configuration, CONFLICT when the name is taken. */
  add(actor: Principal, input: OidcProviderInput): Promise<OidcProviderView>;
  list(actor: Principal): Promise<OidcProviderView[]>;
  /** Throws NOT_FOUND when there is no such provider. */
  remove(actor: Principal, name: string): Promise<OidcProviderView>;
}

/**
 * The providers as configured now, for whoever logs people in. A change made by any process is seen within
 * the registry's check interval (a version read, no more, between changes). Safe to call concurrently.
 */
export interface OidcProviderRegistry {
  providers(): Promise<readonly OidcProviderEntry[]>;
  /** A client over the current providers; the same one until they change. */
  client(): Promise<OidcClient>;
  /** The providers changed in this process: the next call reads them again at once. */
  forget(): void;
}

/** A person's one Gogs access token. `token` is encrypted (secrets/) at {@link gogsLinkTokenPlace}. */
export interface GogsLink {
  userId: number;
  token: string;
  /** `form`: made by the login form; `pasted`: given by the person. */
  source: 'form' | 'pasted';
  createdAt: number;
  /** When Gogs last accepted it; 0 once Gogs refused it. */
  checkedAt: number;
}

export const gogsLinkTokenPlace = (userId: number): string => `gogs_links.token:${userId}`;

export interface GogsLinkStore {
  find(userId: number): Promise<GogsLink | null>;
  /** Inserts or replaces the user's link. */
  put(link: GogsLink): Promise<void>;
  /** Records that Gogs accepted (`at` > 0) or refused (0) the token. */
  checked(userId: number, at: number): Promise<void>;
}

/** A person as an OpenID provider knows them, linked to a Gogs user or not (`userId` null). */
export interface StoredIdentity {
  id: number;
  provider: string;
  subject: string;
  userId: number | null;
  username: string;
  email: string;
  groups: string[];
  createdAt: number;
  lastLoginAt: number;
}

export interface IdentityStore {
  /** Inserts or refreshes by (provider, subject); `userId` is replaced by the one given (null unlinks). */
  record(identity: Omit<StoredIdentity, 'id' | 'createdAt'>): Promise<StoredIdentity>;
  find(provider: string, subject: string): Promise<StoredIdentity | null>;
  findById(id: number): Promise<StoredIdentity | null>;
  /** The identities linked to a Gogs user, oldest first. */
  listByUser(userId: number): Promise<StoredIdentity[]>;
}

/** The rights Gogs gave a user on one repository the sidecar knows. */
export interface PermissionRow extends RepoAccess {
  userId: number;
  repoId: number;
}

export interface PermissionStore {
  find(userId: number, repoId: number): Promise<RepoAccess | null>;
  /** The user's rows become exactly `rows`, in one transaction: rows not given are deleted (revocation). */
  replaceForUser(userId: number, rows: readonly Omit<PermissionRow, 'userId'>[]): Promise<void>;
  list(userId: number): Promise<PermissionRow[]>;
}

/** A person's role in one organisation, keyed by the organisation's Gogs id (a rename keeps the row). */
export interface OrgRoleRow extends OrgRole {
  userId: number;
  orgId: number;
}

/** Table `org_roles`: what Gogs said each user is in each organisation they belong to. */
export interface OrgRoleStore {
  /** The row for the organisation of that name (without regard to case), if the user has one. */
  find(userId: number, org: string): Promise<OrgRoleRow | null>;
  /**
   * In one batch: deletes the user's rows of organisations not in `memberOf` (Gogs' ids: revocation), then
   * stores `row` (replacing the user's row for its organisation) when given. Rows of organisations still listed
   * are kept as they were.
   */
  keepOnly(userId: number, memberOf: readonly number[], row?: Omit<OrgRoleRow, 'userId'>): Promise<void>;
  list(userId: number): Promise<OrgRoleRow[]>;
}

/** require_verified_pusher's question about the sender of a push. */
export interface PusherCheck {
  /** Whether the Gogs user `login` signed in through an OpenID provider and meets its required groups. */
  verified(login: string): Promise<boolean>;
}

/** How signing in with Gogs credentials, a pasted token or an OIDC identity ends. */
export type GogsAccountOutcome =
  | { ok: true; user: StoredUser; tokenCreated: boolean }
  | {
      ok: false;
      /**
       * `bad-credentials`: wrong username or password; `token-refused`: Gogs does not accept the token;
       * `token-other-user`: Gogs accepts it, but as another user than the one expected.
       */
      reason: 'bad-credentials' | 'token-refused' | 'token-other-user' | 'no-token-name';
      /** For the person; never holds the password or the token. */
      message: string;
    };

export interface OidcMatch {
  identity: StoredIdentity;
  /** The Gogs user the provider's rule found; null when none matched (the identity is kept unlinked). */
  user: StoredUser | null;
}

/** Gogs accounts: the one token per person, and OIDC identities matched to Gogs users. Safe to call concurrently. */
export interface GogsAccounts {
  /**
   * The login form: checks the password with Gogs, then reuses the person's stored token while Gogs accepts it
   * (as the same user), or makes one (`drone-gogs`, `drone-gogs-2`, …). The password is never stored or logged.
   */
  signInWithPassword(username: string, password: string): Promise<GogsAccountOutcome>;
  /**
   * A token the person pasted: checked with Gogs, then stored as theirs (`pasted`). With `expectedUserId`, a
   * token Gogs accepts as any other user is refused (`token-other-user`) and nothing is stored. Gogs not
   * answering throws (GOGS_UNAVAILABLE, GOGS_TIMEOUT).
   */
  linkPastedToken(token: string, options?: { expectedUserId?: number | null }): Promise<GogsAccountOutcome>;
  /** Whether a token of the user is stored and Gogs accepted it when last asked. */
  hasWorkingToken(userId: number): Promise<boolean>;
  /** Records the identity and links it to the Gogs user its provider's rule finds, if any. */
  matchIdentity(identity: OidcIdentity, rule: OidcMatchRule): Promise<OidcMatch>;
}
