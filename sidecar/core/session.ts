/**
 * Browser sessions: a signed cookie names a session row; the row says whose it is, how long it lasts and the
 * CSRF token its state-changing requests must send back. The session id lives only in the cookie; the database
 * keeps its SHA-256.
 *
 * Whose a session is: the row holds the user and the identity it was started for, nothing else. The principal
 * (login, admin, roles, subject) is rebuilt from the current users and identities rows at every request by a
 * {@link SessionPrincipals}, so a person unlinked, renamed or taken off the admins stops being so at once, not
 * when their session ends.
 */
import type { Principal } from './principal.ts';

export interface StoredSession {
  id: number;
  /** SHA-256 of the session id, hex. */
  hash: string;
  userId: number | null;
  identityId: number | null;
  /** The CSRF token (base64url, random); not a credential on its own. */
  csrf: string;
  /** The ID token for RP-initiated logout, encrypted; '' without one. */
  idToken: string;
  createdAt: number;
  /** The last request seen, recorded at most once a minute. */
  lastSeenAt: number;
  /** The absolute end, whatever the activity. */
  expiresAt: number;
  /** 0: in force. */
  revokedAt: number;
}

export type NewSession = Omit<StoredSession, 'id' | 'revokedAt'>;

/** Who a session belongs to, read from the users and identities rows it names (null where it names none). */
export interface SessionOwner {
  /** The Gogs login of `userId`. */
  login: string | null;
  identity: { provider: string; subject: string; groups: readonly string[] } | null;
}

export type SessionWithOwner = StoredSession & { owner: SessionOwner };

export interface SessionStore {
  add(session: NewSession): Promise<StoredSession>;
  /** The session with this hash, with its owner in the same read; null when there is none. */
  findByHash(hash: string): Promise<SessionWithOwner | null>;
  find(id: number): Promise<StoredSession | null>;
  /** Records a request at `at`. */
  touch(id: number, at: number): Promise<void>;
  /** Sets revokedAt once; null when there is no such session. */
  revoke(id: number, at: number): Promise<StoredSession | null>;
  /** Revokes every session of the user in force; returns the ids it revoked. */
  revokeAllOf(userId: number, at: number): Promise<number[]>;
  /**
   * Whether any session created from `createdFrom` to `createdUpTo` is still in force at `now`: not revoked,
   * not past its `expiresAt`, seen after `idleSince`. Decides when a retired signing key may go.
   */
  anyInForce(query: {
    createdFrom: number;
    createdUpTo: number;
    now: number;
    idleSince: number;
  }): Promise<boolean>;
}

/** A key that signs session cookies. `secret` is encrypted (secrets/), bound to {@link sessionKeyPlace}. */
export interface StoredSessionKey {
  /** base64url, in the cookie. */
  id: string;
  secret: string;
  createdAt: number;
  /** 0 while it signs. */
  retiredAt: number;
}

/** Safe for several processes at once. */
export interface SessionKeyStore {
  /** The key that signs: the newest not retired; null before the first. */
  signing(): Promise<StoredSessionKey | null>;
  find(id: string): Promise<StoredSessionKey | null>;
  /** Oldest first. */
  list(): Promise<StoredSessionKey[]>;
  /**
   * Adds `key` only when no key signs, in one statement: of several processes making the first key at once,
   * one adds it. Returns whether this one did; either way, read `signing()` again for the key that won.
   */
  addFirst(key: StoredSessionKey): Promise<boolean>;
  /** Retires the signing key(s) at `key.createdAt` and adds `key` to sign, in one transaction. */
  rotate(key: StoredSessionKey): Promise<void>;
  /** Deletes retired keys by id (a key that signs is never deleted); returns the ids deleted. */
  removeRetired(ids: readonly string[]): Promise<string[]>;
}

/** The place a session key's secret is bound to (see `hookSecretPlace`). */
export const sessionKeyPlace = (id: string): string => `session_keys.secret:${id}`;

/** The place a session's ID token is bound to: the session's hash, known before the row is written. */
export const sessionIdTokenPlace = (hash: string): string => `sessions.id_token:${hash}`;

/** Rebuilds the principal of a session from its owner as the rows say now. */
export interface SessionPrincipals {
  /**
   * The person; ANONYMOUS for a session that names no Gogs user yet (an OIDC identity waiting to be linked);
   * null when the session must not count at all.
   */
  principalOf(session: SessionWithOwner): Promise<Principal | null> | Principal | null;
}

/** Who a session is started for, as the login that just succeeded established it. */
export interface SessionUser {
  userId: number | null;
  identityId: number | null;
  login: string;
  admin: boolean;
  roles: readonly string[];
  subject: string | null;
}

/** What commands and the API show of a session: never its id, hash or CSRF token. Times in seconds. */
export interface SessionView {
  id: number;
  user_id: number | null;
  identity_id: number | null;
  created: number;
  last_seen: number;
  expires: number;
  revoked: number;
}

export interface StartedSession {
  /** The value of the session cookie: `<session id>.<key id>.<HMAC-SHA256 of the session id>`, base64url. */
  cookie: string;
  csrf: string;
  session: SessionView;
}

export interface ResolvedSession {
  principal: Principal;
  session: StoredSession;
}

export interface SessionService {
  /**
   * A new session, always with a fresh id (an id from before a login is never carried over), signed with the
   * current key (made on first use). Audited as `session.create`. `idToken`: the ID token of the OIDC login
   * that started it, kept encrypted for the provider's logout.
   */
  start(user: SessionUser, now: number, options?: { idToken?: string | null }): Promise<StartedSession>;
  /**
   * The ID token the session was started with; null when it has none, or it can no longer be decrypted (its
   * secret key was retired for good): the provider's logout then goes without the hint.
   */
  idTokenOf(session: StoredSession): string | null;
  /**
   * The session a cookie names and whose it is; null when the cookie is malformed, its signature or key is not
   * one in force, or the session is unknown, revoked, idle too long or past its absolute end. Records the
   * request at most once a minute. Concurrent calls are safe.
   */
  resolve(cookie: string, now: number): Promise<ResolvedSession | null>;
  /**
   * Ends a session for good (idempotent); `by` is who did it, for the audit log. Whether `by` may is the
   * caller's question (logout ends its own session; an admin command asks the policy first). False when there
   * is no such session.
   */
  revoke(id: number, by: Principal): Promise<boolean>;
  /** Ends every session of a user in force; returns how many. Audited. */
  revokeAllOf(userId: number, by: Principal): Promise<number>;
  /**
   * A new signing key; the old one goes on verifying. Retired keys are deleted once no session they may have
   * signed is in force. Returns the new key's id and the ids deleted.
   */
  rotateKeys(now: number): Promise<{ signing: string; deleted: string[] }>;
}
