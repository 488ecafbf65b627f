/**
 * Signing in, end to end: an OIDC login from the redirect to the session (the identity matched to a Gogs user
 * by its provider's rule), the Gogs login form (which also links a waiting OIDC identity to the Gogs account),
 * and signing out (with the provider's logout where it has one). The login started in a browser is kept until
 * its callback in a sealed value the browser holds (a cookie), never in a row: abandoned logins leave nothing.
 */
import {
  type Clock,
  type GogsAccounts,
  type IdentityStore,
  isOidcLoginFailure,
  type Logger,
  type LoginService,
  OIDC_LOGIN_TTL_MS,
  type OidcProviderRegistry,
  type PendingLogin,
  type SessionService,
  type SessionUser,
  type SignedIn,
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
  clock: Clock;
  logger: Logger;
}

const PENDING_PLACE = 'login cookie: pending OIDC login';

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

  const start = async (user: SessionUser, returnTo: string, linked: boolean): Promise<SignedIn> => {
    const now = deps.clock.now();
    const session = await deps.sessions.start(user, now);
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
      if (isOidcLoginFailure(started)) return { refused: started.message };
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
      if (isOidcLoginFailure(identity)) return { refused: identity.message };
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
      );
      deps.logger.info('identity: signed in with an OpenID provider', {
        provider,
        login,
        linked: match.user !== null,
      });
      return signedIn;
    },

    async signInWithPassword(form, waiting) {
      const outcome = await deps.accounts.signInWithPassword(form.username, form.password);
      if (!outcome.ok) return { refused: outcome.message };
      let identityId: number | null = null;
      if (waiting !== null && waiting.identityId !== null && waiting.userId === null) {
        const identity = await deps.identities.findById(waiting.identityId);
        if (identity !== null) {
          await deps.identities.record({ ...identity, userId: outcome.user.id });
          identityId = identity.id;
        }
      }
      if (waiting !== null) await deps.sessions.revoke(waiting.id, { kind: 'anonymous' });
      return start(userOf(outcome.user, identityId), form.returnTo ?? '/', true);
    },

    async signOut(session, by) {
      if (session === null) return '/';
      await deps.sessions.revoke(session.id, by);
      return '/';
    },
  };
}
