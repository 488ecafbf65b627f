/**
 * Who asks for an action. Every service that changes or reveals something takes one, so that policy can stand
 * in front of it and the audit log can name it. Today there is one: the administrator at the box's shell,
 * which the local CLI acts as; people (Gogs accounts, OIDC subjects) and API tokens come with identity.
 */
export type Principal = { kind: 'local-admin' };

export const LOCAL_ADMIN: Principal = { kind: 'local-admin' };

/** How a principal is named in logs and, later, the audit log. */
export function describePrincipal(principal: Principal): string {
  switch (principal.kind) {
    case 'local-admin':
      return 'the local administrator';
  }
}

/** How a principal is recorded in rows (a creator, the audit log's actor): a stable word, not a sentence. */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'local-admin':
      return 'local-admin';
  }
}
