/**
 * Signing in, end to end: an OIDC login from the redirect to the session (the identity matched to a Gogs user
 * by its provider's rule), the Gogs login form or a pasted Gogs token (either also links a waiting OIDC
 * identity to the Gogs account), and signing out (with the provider's RP-initiated logout where it has one).
 * The login started in a browser is kept until its callback in a sealed value the browser holds (a cookie),
 * never in a row: abandoned logins leave nothing.
 */
import { randomBytes } from 'node:crypto';
import {
  ANONYMOUS,
  type AuditLog,
  type Clock,
  type GogsAccounts,
  type IdentityStore,
  isAppError,
  isOidcLoginFailure,
  type Logger,
  type LoginRefused,
  type LoginService,
  OIDC_LOGIN_TTL_MS,
  type OidcProviderRegistry,
  type PendingLogin,
  type SessionService,
  type SessionUser,
  type SignedIn,
  type SignedOut,
  type StoredSession,
  type StoredUser,
} from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';
import { localReturnTo } from './return-to.ts';

export interface LoginServiceDeps {
  providers: OidcProviderRegistry;
  accounts: GogsAccounts;
  identities: IdentityStore;
  sessions: SessionService;
  cipher: Pick<SecretCipher, 'encrypt' | 'decrypt'>;
  /** DRONE_GOGS_PUBLIC_URL: redirect URIs and the return after a provider's logout are built from it. */
  publicUrl: string;
  /** CI admins by Gogs login (DRONE_GOGS_ADMINS), for the audit record of a session. */
  admins: ReadonlySet<string>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}

const PENDING_PLACE = 'login cookie: pending OIDC login';
/** Where a provider's logout sends the browser back to, under the public URL. */
const AFTER_LOGOUT_PATH = '/login?logged_out=1';

const GOGS_DOWN: LoginRefused = {
  refused:
    'Gogs cannot be reached right now, so drone-gogs cannot check this. Nothing was changed; try again in a minute, and if it persists, tell an administrator that Gogs is not answering the CI server.',
  unavailable: true,
};

/** Gogs not answering becomes a refusal the person can act on; anything else is thrown on. */
async function unlessGogsDown<T>(run: () => Promise<T>): Promise<T | LoginRefused> {
  try {
    return await run();
  } catch (error) {
    if (isAppError(error, 'GOGS_UNAVAILABLE') || isAppError(error, 'GOGS_TIMEOUT')) return GOGS_DOWN;
    throw error;
  }
}

export function createLoginService(deps: LoginServiceDeps): LoginService {
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const redirectUri = (provider: string) =>
    `${publicUrl}/login/oidc/${encodeURIComponent(provider)}/callback`;

  const sealPending = (pending: PendingLogin) => deps.cipher.encrypt(JSON.stringify(pending), PENDING_PLACE);
  const openPending = (sealed: string | undefined): PendingLogin | null => {
    if (sealed === undefined || sealed === '' || sealed.length > 8192) return null;
    try {
      return JSON.parse(deps.cipher.decrypt(sealed, PENDING_PLACE)) as PendingLogin;
    } catch {
      return null;
    }
  };

  const start = async (
    user: SessionUser,
    returnTo: string,
    linked: boolean,
    idToken: string | null = null,
  ): Promise<SignedIn> => {
    const now = deps.clock.now();
    const session = await deps.sessions.start(user, now, { idToken });
    return { session, expiresAt: session.session.expires * 1000, returnTo: localReturnTo(returnTo), linked };
  };
  const userOf = (user: StoredUser, identity: SessionUser['identityId'] = null): SessionUser => ({
    userId: user.id,
    identityId: identity,
    login: user.login,
    admin: deps.admins.has(user.login.toLowerCase()),
    roles: [],
    subject: null,
  });

  /**
   * After a Gogs account was connected from the session `before`: its waiting identity (if any) linked to the
   * user, `before` ended, and a new session started that keeps the provider's ID token for its logout.
   */
  const connected = async (user: StoredUser, before: StoredSession | null, returnTo: string) => {
    let identityId: number | null = null;
    if (before !== null && before.identityId !== null) {
      const identity = await deps.identities.findById(before.identityId);
      if (identity !== null && (identity.userId === null || identity.userId === user.id)) {
        if (identity.userId === null) await deps.identities.record({ ...identity, userId: user.id });
        identityId = identity.id;
      }
    }
    const idToken = before !== null && identityId !== null ? deps.sessions.idTokenOf(before) : null;
    if (before !== null) await deps.sessions.revoke(before.id, ANONYMOUS);
    return start(userOf(user, identityId), returnTo, true, idToken);
  };

  /** The Gogs user a session is for: its own, or the one its identity was linked to since. */
  const expectedUserOf = async (session: StoredSession): Promise<number | null> => {
    if (session.userId !== null) return session.userId;
    if (session.identityId === null) return null;
    return (await deps.identities.findById(session.identityId))?.userId ?? null;
  };

  return {
    async providerNames() {
      return (await deps.providers.providers()).map((provider) => provider.name);
    },

    async startOidc(provider, returnTo) {
      const client = await deps.providers.client();
      const started = await client.startLogin(provider, {
        redirectUri: redirectUri(provider),
        returnTo: returnTo ?? '/',
      });
      if (isOidcLoginFailure(started)) {
        const unavailable = started.reason === 'provider-unreachable';
        deps.logger[unavailable ? 'warn' : 'info']('identity: OIDC sign-in not started', {
          provider: started.provider,
          reason: started.reason,
        });
        return { refused: started.message, unavailable };
      }
      return { redirect: started.url, pending: sealPending(started.pending) };
    },

    async finishOidc(provider, callback, sealed) {
      const pending = openPending(sealed);
      if (pending === null || pending.provider !== provider)
        return {
          refused: 'This sign-in was not started in this browser, or it took too long. Sign in again.',
        };
      if (deps.clock.now() - pending.createdAt > OIDC_LOGIN_TTL_MS)
        return { refused: 'This sign-in took too long. Sign in again.' };
      const client = await deps.providers.client();
      const identity = await client.finishLogin(provider, callback, pending, deps.clock.now());
      if (isOidcLoginFailure(identity))
        return { refused: identity.message, unavailable: identity.reason === 'provider-unreachable' };
      const entry = (await deps.providers.providers()).find((each) => each.name === provider);
      const match = await deps.accounts.matchIdentity(identity, entry?.matchBy ?? 'username');
      const login = match.user?.login ?? identity.username;
      const signedIn = await start(
        {
          userId: match.user?.id ?? null,
          identityId: match.identity.id,
          login,
          admin: identity.admin || deps.admins.has(login.toLowerCase()),
          roles: [],
          subject: `${provider}:${identity.subject}`,
        },
        pending.returnTo,
        match.user !== null,
        identity.idToken,
      );
      deps.logger.info('identity: signed in with an OpenID provider', {
        provider,
        login,
        linked: match.user !== null,
      });
      return signedIn;
    },

    async signInWithPassword(form, waiting) {
      const outcome = await unlessGogsDown(() =>
        deps.accounts.signInWithPassword(form.username, form.password),
      );
      if ('refused' in outcome) return outcome;
      if (!outcome.ok) return { refused: outcome.message };
      return connected(outcome.user, waiting, form.returnTo ?? '/');
    },

    async connectWithToken(form, session) {
      if (session === null)
        return {
          refused:
            'Sign in first (with your OpenID provider or your Gogs account), then connect your Gogs account with a token.',
        };
      const token = form.token.trim();
      const expectedUserId = await expectedUserOf(session);
      const outcome = await unlessGogsDown(() => deps.accounts.linkPastedToken(token, { expectedUserId }));
      if ('refused' in outcome) return outcome;
      if (!outcome.ok) return { refused: outcome.message };
      return connected(outcome.user, session, form.returnTo ?? '/');
    },

    async needsGogsToken(session) {
      if (session.userId === null || session.identityId === null) return false;
      return !(await deps.accounts.hasWorkingToken(session.userId));
    },

    async signOut(session, by): Promise<SignedOut> {
      if (session === null) return { redirect: AFTER_LOGOUT_PATH, providerLogout: null };
      const idToken = deps.sessions.idTokenOf(session);
      const identity =
        session.identityId === null ? null : await deps.identities.findById(session.identityId);
      await deps.sessions.revoke(session.id, by);
      let out: SignedOut = { redirect: AFTER_LOGOUT_PATH, providerLogout: null };
      let providerLogout: 'none' | 'redirect' | 'not-offered' = 'none';
      if (identity !== null) {
        const state = randomBytes(16).toString('base64url');
        const client = await deps.providers.client();
        const url = await client.logoutUrl(identity.provider, {
          postLogoutRedirectUri: `${publicUrl}${AFTER_LOGOUT_PATH}`,
          state,
          ...(idToken === null ? {} : { idTokenHint: idToken }),
        });
        providerLogout = url === null ? 'not-offered' : 'redirect';
        out =
          url === null
            ? {
                redirect: `${AFTER_LOGOUT_PATH}&kept=${encodeURIComponent(identity.provider)}`,
                providerLogout: null,
              }
            : { redirect: url.href, providerLogout: { provider: identity.provider, state } };
      }
      await deps.audit.record({
        actor: by,
        action: 'logout',
        target: `session ${session.id}`,
        decision: 'allow',
        detail: {
          session: session.id,
          provider: identity?.provider ?? null,
          providerLogout,
          idTokenHint: idToken !== null,
        },
      });
      deps.logger.info('identity: signed out', {
        session: session.id,
        provider: identity?.provider ?? null,
        providerLogout,
      });
      return out;
    },
  };
}
