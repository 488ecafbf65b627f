/**
 * API tokens: `dgt_` and 43 characters of base64url (256 random bits), kept only as their SHA-256, looked up
 * by it. A token stands for one Gogs user; it is shown once, expires when asked to, is revoked for good, and
 * records its last use (at most once a minute, so that a busy client does not write on every call). Creating
 * and revoking are CI admins' work, or the person's own; both are audited.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  type ApiTokenStore,
  type ApiTokenView,
  type ApiTokenWithLogin,
  AppError,
  type AuditLog,
  type Authorizer,
  type Clock,
  type GogsClient,
  isAppError,
  type Logger,
  type Principal,
  principalName,
  type StoredUser,
  type TokenService,
  type UserStore,
} from '../core/index.ts';

const PREFIX = 'dgt_';
const TOKEN = /^dgt_[A-Za-z0-9_-]{43}$/;
/** A use is recorded when the last one is older than this. */
const TOUCH_EVERY_MS = 60_000;
/** Gogs' own limits: logins of 1 to 35 alphanumerics, dash, underscore and dot (starting with neither of those). */
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,34}$/;
const MAX_NAME_CHARS = 100;

export interface TokenServiceDeps {
  users: UserStore;
  tokens: ApiTokenStore;
  /** The Gogs API, to look up a user the sidecar has not met; throws CONFIG_INVALID when not configured. */
  gogs: () => GogsClient;
  /** Logins of CI admins (DRONE_GOGS_ADMINS), lower case. */
  admins: ReadonlySet<string>;
  authorizer: Authorizer;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const seconds = (ms: number) => Math.floor(ms / 1000);

function view(row: ApiTokenWithLogin): ApiTokenView {
  return {
    id: row.id,
    user: row.login,
    name: row.name,
    created_by: row.createdBy,
    created: seconds(row.createdAt),
    expires: seconds(row.expiresAt),
    last_used: seconds(row.lastUsedAt),
    revoked: seconds(row.revokedAt),
  };
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { users, tokens, audit, clock } = deps;

  /** Someone's own tokens are theirs to manage; anyone else's need a CI admin. */
  const mayManage = async (actor: Principal, login: string | undefined) => {
    if (actor.kind === 'user' && login !== undefined && actor.login.toLowerCase() === login.toLowerCase())
      return;
    await deps.authorizer.authorize(actor, 'admin', null);
  };

  const userNamed = async (login: string): Promise<StoredUser> => {
    const known = await users.findByLogin(login);
    if (known !== null) return known;
    try {
      const found = await deps.gogs().getUser(login);
      return await users.upsert({
        gogsId: found.id,
        login: found.username,
        email: found.email,
        fullName: found.full_name,
      });
    } catch (error) {
      if (isAppError(error) && error.code === 'GOGS_NOT_FOUND')
        throw new AppError('NOT_FOUND', `Gogs has no user ${login}; tokens are for Gogs users`);
      throw error;
    }
  };

  return {
    async create(actor, login, options) {
      if (!LOGIN.test(login))
        throw new AppError(
          'BAD_REQUEST',
          'a Gogs login is 1 to 35 letters, digits, - _ and ., starting with a letter or digit',
        );
      const name = options.name ?? '';
      if (name.length > MAX_NAME_CHARS || /[\p{Cc}]/u.test(name))
        throw new AppError('BAD_REQUEST', `a token name is at most ${MAX_NAME_CHARS} printable characters`);
      const { expiresInMs } = options;
      if (expiresInMs !== undefined && !(Number.isSafeInteger(expiresInMs) && expiresInMs > 0))
        throw new AppError('BAD_REQUEST', 'a token expires after a positive time');
      await mayManage(actor, login);
      const user = await userNamed(login);
      const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
      const now = clock.now();
      const stored = await tokens.add({
        userId: user.id,
        name,
        hash: tokenHash(token),
        createdBy: principalName(actor),
        createdAt: now,
        expiresAt: expiresInMs === undefined ? 0 : now + expiresInMs,
      });
      await audit.record({
        actor,
        action: 'token.create',
        target: user.login,
        decision: 'allow',
        detail: { token: stored.id, name, expires: seconds(stored.expiresAt) },
      });
      deps.logger.info('identity: token created', {
        user: user.login,
        token: stored.id,
        by: principalName(actor),
      });
      return { token, view: view({ ...stored, login: user.login }) };
    },

    async list(actor, login) {
      await mayManage(actor, login);
      if (login === undefined) return (await tokens.list()).map(view);
      const user = await users.findByLogin(login);
      return user === null ? [] : (await tokens.list(user.id)).map(view);
    },

    async revoke(actor, id) {
      if (!(Number.isSafeInteger(id) && id >= 1))
        throw new AppError('BAD_REQUEST', 'a token id is a number from 1');
      const found = await tokens.find(id);
      // Whose token it is stays hidden from who may not manage it.
      await mayManage(actor, found?.login);
      if (found === null)
        throw new AppError('NOT_FOUND', `there is no token ${id}; \`drone-gogs token ls\` lists them`);
      const revoked = await tokens.revoke(id, clock.now());
      if (revoked === null) throw new AppError('NOT_FOUND', `token ${id} is gone`);
      await audit.record({
        actor,
        action: 'token.revoke',
        target: revoked.login,
        decision: 'allow',
        detail: { token: id, already: found.revokedAt > 0 },
      });
      return view(revoked);
    },

    async authenticate(bearer) {
      if (!TOKEN.test(bearer)) return null;
      const found = await tokens.findByHash(tokenHash(bearer));
      const now = clock.now();
      if (found === null || found.revokedAt > 0 || (found.expiresAt > 0 && found.expiresAt <= now))
        return null;
      if (now - found.lastUsedAt >= TOUCH_EVERY_MS) await tokens.touch(found.id, now);
      return {
        kind: 'user',
        login: found.login,
        admin: deps.admins.has(found.login.toLowerCase()),
        roles: [],
        subject: null,
      };
    },
  };
}
