/**
 * Gogs accounts behind the logins: the person's ONE Gogs access token, made by the login form the first time
 * and reused while Gogs accepts it (a token per login would fill their Gogs settings, and Gogs has no API to
 * delete one), or pasted by the person; and OIDC identities matched to Gogs users by their provider's rule.
 * Passwords are passed to Gogs and forgotten; tokens are stored encrypted, bound to the user's row.
 */
import {
  ANONYMOUS,
  type AuditLog,
  type Clock,
  type GogsAccountOutcome,
  type GogsAccounts,
  type GogsClient,
  type GogsLinkStore,
  type GogsTokenIssuer,
  type GogsUser,
  gogsLinkTokenPlace,
  type IdentityStore,
  isAppError,
  type Logger,
  type StoredUser,
  type UserStore,
} from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';

/** The name of the token the login form makes; `drone-gogs-2`, `-3`, … when the person has one so named. */
export const FORM_TOKEN_NAME = 'drone-gogs';
const MAX_TOKEN_NAMES = 10;
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,34}$/;
const MAX_PASSWORD_CHARS = 1024;
const PASTED_TOKEN = /^[A-Za-z0-9_-]{20,200}$/;
const SEARCH_LIMIT = 50;
const MAX_SEARCHES = 4;

export interface GogsAccountsDeps {
  users: UserStore;
  links: GogsLinkStore;
  identities: IdentityStore;
  /** Gogs with the sidecar's admin token (for looking users up); `withToken` for a person's own. */
  gogs: () => GogsClient;
  issuer: GogsTokenIssuer;
  cipher: SecretCipher;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}

const refused = (
  reason: Extract<GogsAccountOutcome, { ok: false }>['reason'],
  message: string,
): GogsAccountOutcome => ({ ok: false, reason, message });

export function createGogsAccounts(deps: GogsAccountsDeps): GogsAccounts {
  const { users, links, cipher, audit, clock } = deps;
  /** The form login of each person under way in this process. */
  const signingIn = new Map<string, Promise<unknown>>();

  const remember = (user: GogsUser) =>
    users.upsert({ gogsId: user.id, login: user.username, email: user.email, fullName: user.full_name });

  const failure = async (target: string, method: 'password' | 'token', reason: string) => {
    await audit.record({
      actor: ANONYMOUS,
      action: 'login.failure',
      target,
      decision: 'deny',
      detail: { method, reason },
    });
    deps.logger.info('identity: Gogs login refused', { user: target, method, reason });
  };

  const storeLink = async (user: StoredUser, token: string, source: 'form' | 'pasted') => {
    const now = clock.now();
    await links.put({
      userId: user.id,
      token: cipher.encrypt(token, gogsLinkTokenPlace(user.id)),
      source,
      createdAt: now,
      checkedAt: now,
    });
    await audit.record({
      actor: { kind: 'user', login: user.login, admin: false, roles: [], subject: null },
      action: 'identity.gogs.link',
      target: user.login,
      decision: 'allow',
      detail: { source },
    });
  };

  /** The stored token of `login`'s user while Gogs still accepts it as that same user. */
  const storedTokenStillWorks = async (login: string): Promise<StoredUser | null> => {
    const known = await users.findByLogin(login);
    const link = known === null ? null : await links.find(known.id);
    if (known === null || link === null || link.checkedAt === 0) return null;
    try {
      const me = await deps
        .gogs()
        .withToken(cipher.decrypt(link.token, gogsLinkTokenPlace(known.id)))
        .currentUser();
      if (me.id !== known.gogsId) return null;
      await links.checked(known.id, clock.now());
      return await remember(me);
    } catch (error) {
      if (!isAppError(error, 'GOGS_UNAUTHORIZED')) throw error;
      await links.checked(known.id, 0);
      deps.logger.info('identity: Gogs no longer accepts a stored token', { user: known.login });
      return null;
    }
  };

  const signIn = async (username: string, password: string): Promise<GogsAccountOutcome> => {
    let names: Set<string>;
    try {
      // Changes nothing in Gogs: the password is checked before any token is reused or made.
      names = new Set((await deps.issuer.listTokens(username, password)).map((token) => token.name));
    } catch (error) {
      if (!isAppError(error, 'GOGS_UNAUTHORIZED')) throw error;
      await failure(username, 'password', 'bad-credentials');
      return refused('bad-credentials', 'Gogs did not accept this username and password.');
    }
    const reused = await storedTokenStillWorks(username);
    if (reused !== null) return { ok: true, user: reused, tokenCreated: false };

    for (let n = 1; n <= MAX_TOKEN_NAMES; n += 1) {
      const name = n === 1 ? FORM_TOKEN_NAME : `${FORM_TOKEN_NAME}-${n}`;
      if (names.has(name)) continue;
      let token: string;
      try {
        token = (await deps.issuer.createToken(username, password, name)).sha1;
      } catch (error) {
        // Made meanwhile (by another process): try the next name.
        if (isAppError(error, 'GOGS_INVALID_REQUEST')) continue;
        throw error;
      }
      const user = await remember(await deps.gogs().withToken(token).currentUser());
      await storeLink(user, token, 'form');
      deps.logger.info('identity: Gogs token made for a form login', { user: user.login, token: name });
      return { ok: true, user, tokenCreated: true };
    }
    await failure(username, 'password', 'no-token-name');
    return refused(
      'no-token-name',
      `Your Gogs account already has tokens named ${FORM_TOKEN_NAME} to ${FORM_TOKEN_NAME}-${MAX_TOKEN_NAMES}; delete one in Gogs (Your Settings > Applications), then sign in again.`,
    );
  };

  const byEmail = async (email: string, username: string): Promise<GogsUser | null> => {
    const gogs = deps.gogs();
    const wanted = email.toLowerCase();
    // Gogs searches logins and full names, not emails: the email's local part and its pieces
    // (`carol.jones` finds "Carol Jones") and the username claim are the likeliest ways to find the person;
    // only an exact email match counts.
    const localPart = wanted.slice(0, wanted.indexOf('@'));
    const terms = [...new Set([localPart, ...localPart.split(/[._+-]/)])].filter((term) => term.length >= 2);
    const candidates = (
      await Promise.all(terms.slice(0, MAX_SEARCHES).map((term) => gogs.searchUsers(term, SEARCH_LIMIT)))
    ).flat();
    if (LOGIN.test(username)) {
      try {
        candidates.push(await gogs.getUser(username));
      } catch (error) {
        if (!isAppError(error, 'GOGS_NOT_FOUND')) throw error;
      }
    }
    const matches = new Map(
      candidates.filter((user) => user.email.toLowerCase() === wanted).map((user) => [user.id, user]),
    );
    return matches.size === 1 ? ([...matches.values()][0] ?? null) : null;
  };

  const byUsername = async (username: string): Promise<GogsUser | null> => {
    if (!LOGIN.test(username)) return null;
    try {
      return await deps.gogs().getUser(username);
    } catch (error) {
      if (isAppError(error, 'GOGS_NOT_FOUND')) return null;
      throw error;
    }
  };

  return {
    async signInWithPassword(username, password) {
      if (!LOGIN.test(username) || password === '' || password.length > MAX_PASSWORD_CHARS) {
        await failure(LOGIN.test(username) ? username : '(not a Gogs login)', 'password', 'malformed');
        return refused('bad-credentials', 'Gogs did not accept this username and password.');
      }
      // One after the other per person in this process: the second finds the token the first made.
      const key = username.toLowerCase();
      const attempt = (signingIn.get(key) ?? Promise.resolve(null))
        .catch(() => null)
        .then(() => signIn(username, password));
      const settled = attempt.finally(() => {
        if (signingIn.get(key) === settled) signingIn.delete(key);
      });
      signingIn.set(key, settled);
      return attempt;
    },

    async linkPastedToken(token, options = {}) {
      if (!PASTED_TOKEN.test(token)) {
        await failure('(pasted token)', 'token', 'malformed');
        return refused(
          'token-refused',
          'This is not a Gogs access token: paste the 40 letters and digits Gogs showed when it made the token.',
        );
      }
      let me: GogsUser;
      try {
        me = await deps.gogs().withToken(token).currentUser();
      } catch (error) {
        if (!isAppError(error, 'GOGS_UNAUTHORIZED')) throw error;
        await failure('(pasted token)', 'token', 'token-refused');
        return refused(
          'token-refused',
          'Gogs did not accept this token; make a new one in Gogs > Your Settings > Applications.',
        );
      }
      const expectedId = options.expectedUserId ?? null;
      const expected = expectedId === null ? null : await users.findById(expectedId);
      if (expected !== null && expected.gogsId !== me.id) {
        await failure(expected.login, 'token', 'token-other-user');
        return refused(
          'token-other-user',
          `This token belongs to the Gogs user ${me.username}, but you are signed in as ${expected.login}. Sign in to Gogs as ${expected.login}, make a token there (Your Settings > Applications) and paste that one.`,
        );
      }
      const user = await remember(me);
      await storeLink(user, token, 'pasted');
      deps.logger.info('identity: pasted Gogs token linked', { user: user.login });
      return { ok: true, user, tokenCreated: false };
    },

    async hasWorkingToken(userId) {
      const link = await links.find(userId);
      return link !== null && link.checkedAt > 0;
    },

    async matchIdentity(identity, rule) {
      let found: GogsUser | null = null;
      if (rule === 'username') found = await byUsername(identity.username);
      else if (identity.emailVerified && identity.email?.includes('@'))
        found = await byEmail(identity.email, identity.username);
      // Nobody the rule finds: a Gogs account the person connected themselves (the login form) stays theirs.
      const before = found === null ? await deps.identities.find(identity.provider, identity.subject) : null;
      const user =
        found !== null
          ? await remember(found)
          : before?.userId == null
            ? null
            : await users.findById(before.userId);
      const stored = await deps.identities.record({
        provider: identity.provider,
        subject: identity.subject,
        userId: user?.id ?? null,
        username: identity.username,
        email: identity.email ?? '',
        groups: [...identity.groups],
        lastLoginAt: clock.now(),
      });
      deps.logger.info('identity: OIDC identity matched', {
        provider: identity.provider,
        subject: identity.subject,
        rule,
        user: user?.login ?? null,
      });
      return { identity: stored, user };
    },
  };
}
