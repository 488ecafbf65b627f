/**
 * Browser sessions. A session id is 32 random bytes (base64url), kept only as its SHA-256; the cookie carries it
 * with the id of the key that signed it and an HMAC-SHA256 of it under that key, checked in constant time before
 * the database is asked. Signing keys are 32 random bytes, encrypted at rest and bound to their id; the first is
 * made on first use. A session lasts until it is idle for `idleMs` (sliding) or `absoluteMs` after its start,
 * whichever comes first, or until it is revoked. Starting and ending sessions are audited.
 */
import {
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import {
  AppError,
  type AuditLog,
  type Clock,
  type Logger,
  type Principal,
  type SessionKeyStore,
  type SessionPrincipals,
  type SessionService,
  type SessionStore,
  type SessionView,
  type SessionWithOwner,
  type StoredSession,
  type StoredSessionKey,
  sessionIdTokenPlace,
  sessionKeyPlace,
} from '../core/index.ts';
import type { KeyCipher } from './signing-keys.ts';

export const SESSION_IDLE_MS = 12 * 60 * 60_000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60_000;
/**
 * A request is recorded when the last one recorded is older than this, so a busy page does not write on every
 * request; idle expiry therefore counts from a moment up to this much before the last request.
 */
const TOUCH_EVERY_MS = 60_000;
/**
 * How far outside a key's own time a process may still sign with it (it read the signing key just before the
 * rotation, or its clock is off): sessions started that far out still keep the key.
 */
const SIGNING_OVERLAP_MS = 10 * 60_000;

const COOKIE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export interface SessionServiceDeps {
  sessions: SessionStore;
  keys: SessionKeyStore;
  cipher: KeyCipher;
  principals: SessionPrincipals;
  audit: AuditLog;
  /** For revocations; sessions are started and resolved at the time the caller gives. */
  clock: Clock;
  logger: Logger;
  /** Default 12 hours. */
  idleMs?: number;
  /** Default 7 days. */
  absoluteMs?: number;
  /**
   * How long a session read from the database answers again without reading it (default 1 s): private pages
   * are asked about on every request. This process's own revocations count at once; another process's after
   * at most this long.
   */
  cacheMs?: number;
}

/** Sessions held in the cache at most; past it, the cache starts over. */
const MAX_CACHED = 10_000;

export function sessionHash(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

const seconds = (ms: number) => Math.floor(ms / 1000);

function view(row: StoredSession): SessionView {
  return {
    id: row.id,
    user_id: row.userId,
    identity_id: row.identityId,
    created: seconds(row.createdAt),
    last_seen: seconds(row.lastSeenAt),
    expires: seconds(row.expiresAt),
    revoked: seconds(row.revokedAt),
  };
}

/** Equal strings in time that depends on their length only. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { sessions, keys, cipher, audit } = deps;
  const idleMs = deps.idleMs ?? SESSION_IDLE_MS;
  const absoluteMs = deps.absoluteMs ?? SESSION_ABSOLUTE_MS;
  const cacheMs = deps.cacheMs ?? 1000;
  /**
   * Decrypted key secrets by key id: a key's secret never changes. One deleted by another process goes on
   * verifying here, harmlessly: a key is deleted only once no session it signed is in force.
   */
  const secrets = new Map<string, KeyObject>();
  /**
   * Cookies whose signature was checked, with the hash of their session id: the same cookie again (every
   * request of a browser) skips the HMAC and the hash, while its key is held here.
   */
  const verified = new Map<string, { keyId: string; hash: string }>();
  /** Sessions by hash, with their principal and when they were read. */
  const cached = new Map<string, { found: SessionWithOwner; principal: Principal; readAt: number }>();
  const forget = (matches: (session: StoredSession) => boolean) => {
    for (const [hash, entry] of cached) if (matches(entry.found)) cached.delete(hash);
  };

  // A KeyObject, not a Buffer: an HMAC keyed with a Buffer costs several times as much to set up.
  const secretOf = (key: StoredSessionKey): KeyObject => {
    let secret = secrets.get(key.id);
    if (secret === undefined) {
      secret = createSecretKey(Buffer.from(cipher.decrypt(key.secret, sessionKeyPlace(key.id)), 'base64url'));
      secrets.set(key.id, secret);
    }
    return secret;
  };

  // Over the id's text, not its bytes: base64url has several spellings of the same bytes, the cookie one.
  const mac = (secret: KeyObject, sessionId: string) =>
    createHmac('sha256', secret).update(sessionId).digest('base64url');

  const newKey = (now: number): StoredSessionKey => {
    const id = randomBytes(12).toString('base64url');
    return {
      id,
      secret: cipher.encrypt(randomBytes(32).toString('base64url'), sessionKeyPlace(id)),
      createdAt: now,
      retiredAt: 0,
    };
  };

  const signingKey = async (now: number): Promise<StoredSessionKey> => {
    const current = await keys.signing();
    if (current !== null) return current;
    if (await keys.addFirst(newKey(now))) deps.logger.info('identity: first session signing key made');
    const made = await keys.signing();
    if (made === null) throw new AppError('INTERNAL', 'identity: no session signing key after making one');
    return made;
  };

  const revokedBy = async (ids: readonly number[], by: Principal, target: string) => {
    for (const id of ids)
      await audit.record({
        actor: by,
        action: 'session.revoke',
        target,
        decision: 'allow',
        detail: { session: id },
      });
  };

  return {
    async start(user, now, options = {}) {
      const key = await signingKey(now);
      const sessionId = randomBytes(32).toString('base64url');
      const csrf = randomBytes(32).toString('base64url');
      const hash = sessionHash(sessionId);
      const stored = await sessions.add({
        hash,
        userId: user.userId,
        identityId: user.identityId,
        csrf,
        idToken: options.idToken ? cipher.encrypt(options.idToken, sessionIdTokenPlace(hash)) : '',
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + absoluteMs,
      });
      const actor: Principal = {
        kind: 'user',
        login: user.login,
        admin: user.admin,
        roles: user.roles,
        subject: user.subject,
      };
      await audit.record({
        actor,
        action: 'session.create',
        target: user.login,
        decision: 'allow',
        detail: { session: stored.id, expires: seconds(stored.expiresAt) },
      });
      return {
        cookie: `${sessionId}.${key.id}.${mac(secretOf(key), sessionId)}`,
        csrf,
        session: view(stored),
      };
    },

    async resolve(cookie, now) {
      const known = verified.get(cookie);
      let hash: string;
      if (known !== undefined && secrets.has(known.keyId)) hash = known.hash;
      else {
        const parts = COOKIE.exec(cookie);
        if (parts === null) return null;
        const [, sessionId = '', keyId = '', signature = ''] = parts;
        let secret = secrets.get(keyId);
        if (secret === undefined) {
          const key = await keys.find(keyId);
          if (key === null) return null;
          secret = secretOf(key);
        }
        if (!sameText(mac(secret, sessionId), signature)) return null;
        hash = sessionHash(sessionId);
        if (verified.size >= MAX_CACHED) verified.clear();
        verified.set(cookie, { keyId, hash });
      }
      let entry = cached.get(hash);
      if (entry === undefined || now - entry.readAt >= cacheMs || now < entry.readAt) {
        cached.delete(hash);
        const found = await sessions.findByHash(hash);
        if (found === null || found.revokedAt > 0) return null;
        const principal = await deps.principals.principalOf(found);
        if (principal === null) return null;
        if (cached.size >= MAX_CACHED) cached.clear();
        entry = { found, principal, readAt: now };
        cached.set(hash, entry);
      }
      const { found, principal } = entry;
      if (now >= found.expiresAt || now - found.lastSeenAt >= idleMs) return null;
      if (now - found.lastSeenAt >= TOUCH_EVERY_MS) {
        await sessions.touch(found.id, now);
        found.lastSeenAt = now;
      }
      const { owner: _owner, ...session } = found;
      return { principal, session };
    },

    idTokenOf(session) {
      if (session.idToken === '') return null;
      try {
        return cipher.decrypt(session.idToken, sessionIdTokenPlace(session.hash));
      } catch (error) {
        deps.logger.warn('identity: the ID token of a session cannot be decrypted; logging out without it', {
          session: session.id,
          error: error instanceof Error ? error.message : String(error),
        });
        return null;
      }
    },

    async revoke(id, by) {
      forget((session) => session.id === id);
      const found = await sessions.find(id);
      if (found === null) return false;
      if (found.revokedAt > 0) return true;
      const revoked = await sessions.revoke(id, deps.clock.now());
      if (revoked === null) return false;
      await revokedBy([id], by, `session ${id}`);
      return true;
    },

    async revokeAllOf(userId, by) {
      forget((session) => session.userId === userId);
      const ids = await sessions.revokeAllOf(userId, deps.clock.now());
      await revokedBy(ids, by, `user #${userId}`);
      return ids.length;
    },

    async rotateKeys(now) {
      const key = newKey(now);
      await keys.rotate(key);
      const unused: string[] = [];
      for (const old of await keys.list()) {
        // Until the overlap has passed, a process may still be starting a session signed with it.
        if (old.retiredAt === 0 || now < old.retiredAt + SIGNING_OVERLAP_MS) continue;
        const inForce = await sessions.anyInForce({
          createdFrom: old.createdAt - SIGNING_OVERLAP_MS,
          createdUpTo: old.retiredAt + SIGNING_OVERLAP_MS,
          now,
          idleSince: now - idleMs,
        });
        if (!inForce) unused.push(old.id);
      }
      const deleted = await keys.removeRetired(unused);
      for (const id of deleted) secrets.delete(id);
      deps.logger.info('identity: session signing key rotated', { key: key.id, deleted: deleted.length });
      return { signing: key.id, deleted };
    },
  };
}
