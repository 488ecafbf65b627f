/**
 * The principal of a session as its rows say now: the Gogs login of its user, and its OIDC identity as
 * `provider:subject`. A CI admin when DRONE_GOGS_ADMINS names the login or the identity's groups (as the
 * provider sent them at sign-in) meet one of its provider's admin groups; roles from the provider's role
 * groups. A provider removed since takes its admin groups and roles with it.
 */
import { ANONYMOUS, type OidcProviderEntry, type SessionPrincipals } from '../core/index.ts';

export function createSessionPrincipals(deps: {
  admins: ReadonlySet<string>;
  /** The providers as configured now (a registry's cached list); none when not given. */
  providers?: () => Promise<readonly OidcProviderEntry[]>;
}): SessionPrincipals {
  return {
    async principalOf(session) {
      const { login, identity } = session.owner;
      // A row the session names that is gone: the session counts for nothing.
      if ((session.userId !== null && login === null) || (session.identityId !== null && identity === null))
        return null;
      if (login === null) return session.identityId === null ? null : ANONYMOUS;
      let groupAdmin = false;
      const roles: string[] = [];
      if (identity !== null && deps.providers !== undefined) {
        const provider = (await deps.providers()).find((each) => each.name === identity.provider);
        const member = (groups: readonly string[]) => groups.some((group) => identity.groups.includes(group));
        if (provider !== undefined) {
          groupAdmin = member(provider.adminGroups);
          for (const [role, groups] of Object.entries(provider.roleGroups))
            if (member(groups)) roles.push(role);
        }
      }
      return {
        kind: 'user',
        login,
        admin: groupAdmin || deps.admins.has(login.toLowerCase()),
        roles,
        subject: identity === null ? null : `${identity.provider}:${identity.subject}`,
      };
    },
  };
}
