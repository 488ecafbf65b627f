/**
 * Who asks for an action. Every service that changes or reveals something takes one, so that policy can stand
 * in front of it and the audit log can name it: the administrator at the box's shell (the local CLI acts as the
 * box's admin: it can read the database anyway), a visitor nobody knows, or a person, signed in with a session
 * or calling with an API token, known by their Gogs login.
 */
export type Principal =
  | { kind: 'local-admin' }
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      /** The Gogs login the person is tied to. */
      login: string;
      /** A CI admin: named in DRONE_GOGS_ADMINS or a member of the provider's admin group. */
      admin: boolean;
      /** Roles the admin mapped from the person's OIDC groups (`deployer`, …). */
      roles: readonly string[];
      /** The OIDC identity it came with (`okta:00u1…`), or null for a Gogs login alone. */
      subject: string | null;
    };

export const LOCAL_ADMIN: Principal = { kind: 'local-admin' };
export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** How a principal is named in logs. */
export function describePrincipal(principal: Principal): string {
  switch (principal.kind) {
    case 'local-admin':
      return 'the local administrator';
    case 'anonymous':
      return 'an anonymous visitor';
    case 'user':
      return principal.subject === null
        ? `Gogs user ${principal.login}`
        : `Gogs user ${principal.login} (${principal.subject})`;
  }
}

/** How a principal is recorded in rows (a creator, the audit log's actor): a stable word, not a sentence. */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'local-admin':
      return 'local-admin';
    case 'anonymous':
      return 'anonymous';
    case 'user':
      return principal.subject === null
        ? `gogs:${principal.login}`
        : `gogs:${principal.login} oidc:${principal.subject}`;
  }
}
