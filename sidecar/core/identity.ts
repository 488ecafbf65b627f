/** People as the sidecar knows them (Gogs users it has met) and their API tokens. */
import type { Principal } from './principal.ts';

export interface StoredUser {
  id: number;
  gogsId: number;
  login: string;
  email: string;
  fullName: string;
  createdAt: number;
  updatedAt: number;
}

export type UserFacts = Pick<StoredUser, 'gogsId' | 'login' | 'email' | 'fullName'>;

export interface UserStore {
  /** Case-insensitive, as Gogs logins are. */
  findByLogin(login: string): Promise<StoredUser | null>;
  findById(id: number): Promise<StoredUser | null>;
  /** Inserts or refreshes by Gogs id (a renamed user keeps their row). */
  upsert(facts: UserFacts): Promise<StoredUser>;
}

export interface StoredApiToken {
  id: number;
  userId: number;
  name: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  hash: string;
  createdBy: string;
  createdAt: number;
  /** 0: never. */
  expiresAt: number;
  /** 0: never used. */
  lastUsedAt: number;
  /** 0: in force. */
  revokedAt: number;
}

export type ApiTokenWithLogin = StoredApiToken & { login: string };

export interface ApiTokenStore {
  add(token: Omit<StoredApiToken, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<StoredApiToken>;
  findByHash(hash: string): Promise<ApiTokenWithLogin | null>;
  /** Every token, or one user's; newest first. */
  list(userId?: number): Promise<ApiTokenWithLogin[]>;
  find(id: number): Promise<ApiTokenWithLogin | null>;
  /** Sets revokedAt once; null when there is no such token. */
  revoke(id: number, at: number): Promise<ApiTokenWithLogin | null>;
  /** Records a use. */
  touch(id: number, at: number): Promise<void>;
}

/** What commands and the API show of a token: never its value or hash. Times in seconds, 0 for never. */
export interface ApiTokenView {
  id: number;
  user: string;
  name: string;
  created_by: string;
  created: number;
  expires: number;
  last_used: number;
  revoked: number;
}

export interface TokenService {
  /**
   * A new token for the Gogs user `login` (looked up in Gogs when the sidecar has not met them); the value is
   * returned here once and never again.
   */
  create(
    actor: Principal,
    login: string,
    options: { name?: string; expiresInMs?: number },
  ): Promise<{ token: string; view: ApiTokenView }>;
  list(actor: Principal, login?: string): Promise<ApiTokenView[]>;
  revoke(actor: Principal, id: number): Promise<ApiTokenView>;
  /** The principal a bearer token stands for; null when it is not one in force (unknown, expired, revoked). */
  authenticate(bearer: string): Promise<Principal | null>;
}
