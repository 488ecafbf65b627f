/**
 * The principal of a session as its rows say now: the Gogs login of its user, a CI admin when DRONE_GOGS_ADMINS
 * names them, and its OIDC identity as `provider:subject`. Roles and admin groups of identity providers are not
 * weighed here; a resolver that knows the providers can stand in for this one.
 */
import { ANONYMOUS, type SessionPrincipals } from '../core/index.ts';

export function createSessionPrincipals(deps: { admins: ReadonlySet<string> }): SessionPrincipals {
  return {
    principalOf(session) {
      const { login, identity } = session.owner;
      // A row the session names that is gone: the session counts for nothing.
      if ((session.userId !== null && login === null) || (session.identityId !== null && identity === null))
        return null;
      if (login === null) return session.identityId === null ? null : ANONYMOUS;
      return {
        kind: 'user',
        login,
        admin: deps.admins.has(login.toLowerCase()),
        roles: [],
        subject: identity === null ? null : `${identity.provider}:${identity.subject}`,
      };
    },
  };
}
