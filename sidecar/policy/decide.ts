/**
 * The decision, as a table: each action needs a level of Gogs rights, and small named checks, tried in order,
 * decide; the first that has an opinion wins. Pure and bounded: no I/O, no clock, nothing a pusher wrote is
 * matched. Rights are trusted for reading while the cache holds them; anything that changes something needs
 * rights synced within FRESH_RIGHTS_MS, so that a right taken away in Gogs stops working at once.
 *
 * An organisation's secrets reach every repository it owns, so they are managed by its owners (as in Gogs, where
 * only owners change what is organisation-wide) and CI admins. A team's `admin` permission is not enough: it is
 * admin of the team's repositories only, and could otherwise replace a secret the builds of repositories it
 * cannot touch depend on (a deploy key, a registry login).
 */
import {
  ORG_ACTIONS,
  type OrgAction,
  type OrgRole,
  type OrgRoleName,
  type PolicyAction,
  type PolicyDecision,
  type PolicyRequest,
  type RepoAccess,
} from '../core/index.ts';

/** How recent rights must be for an action that changes something (identity/ refreshes before asking). */
export const FRESH_RIGHTS_MS = 60_000;

/** What Gogs must grant for each action (Drone's levels: read to see, write to act, admin to configure). */
export type RightsLevel = 'read' | 'push' | 'admin' | 'ci-admin';

export const ACTION_LEVELS: Readonly<Record<PolicyAction, RightsLevel>> = {
  view: 'read',
  'view-logs': 'read',
  trigger: 'push',
  restart: 'push',
  cancel: 'push',
  approve: 'push',
  promote: 'push',
  'manage-secrets': 'admin',
  'manage-repo': 'admin',
  admin: 'ci-admin',
};

/** Roles from OIDC groups that grant an action without the Gogs right it otherwise needs (with read). */
export const ROLE_GRANTS: Readonly<Record<string, readonly PolicyAction[]>> = {
  deployer: ['promote'],
};

/** The role in the organisation each action on an organisation as a whole needs (or a higher one). */
export const ORG_ACTION_ROLES: Readonly<Record<OrgAction, OrgRoleName>> = {
  'manage-secrets': 'owner',
};

/** `member` (in the organisation, teams unknown) ranks below every team permission. */
const ORG_ROLE_RANK: Readonly<Record<OrgRoleName, number>> = {
  member: 0,
  read: 1,
  write: 2,
  admin: 3,
  owner: 4,
};

const ORG_ACTION_WORDS: Readonly<Record<OrgAction, string>> = { 'manage-secrets': 'manage its secrets' };

const isOrgAction = (action: PolicyAction): action is OrgAction =>
  (ORG_ACTIONS as readonly PolicyAction[]).includes(action);

function orgRoleShortfall(org: string, action: OrgAction, orgRole: OrgRole | null): string {
  const who = `only ${ORG_ACTION_ROLES[action] === 'owner' ? 'owners' : `${ORG_ACTION_ROLES[action]} members`} of organisation ${org} in Gogs and CI admins may ${ORG_ACTION_WORDS[action]}`;
  if (orgRole === null)
    return `${who}; Gogs does not list you as a member of ${org}, or your Gogs account is not connected yet`;
  if (orgRole.role === 'member')
    return `${who}; Gogs lists you as a member but does not show drone-gogs which teams you are in (that needs DRONE_GOGS_GOGS_TOKEN to be a Gogs site admin's)`;
  return `${who}; your highest team permission there is ${orgRole.role}`;
}

type Check = (request: PolicyRequest, level: RightsLevel) => PolicyDecision | null;

const allow = (rule: string): PolicyDecision => ({ allow: true, rule });
const deny = (rule: string, reason: string, refresh = false): PolicyDecision =>
  refresh ? { allow: false, rule, reason, refresh: true } : { allow: false, rule, reason };

function grants(access: RepoAccess | null, level: RightsLevel): boolean {
  if (access === null) return false;
  if (level === 'read') return access.pull || access.push || access.admin;
  if (level === 'push') return access.push || access.admin;
  return level === 'admin' && access.admin;
}

const WORDS: Record<RightsLevel, string> = {
  read: 'read access',
  push: 'write (push) access',
  admin: 'admin access',
  'ci-admin': 'CI admin rights',
};

/** The table, in order. Each check answers or passes (null). */
export const CHECKS: readonly (readonly [name: string, check: Check])[] = [
  [
    'ci-admin',
    ({ principal }) =>
      principal.kind === 'local-admin' || (principal.kind === 'user' && principal.admin)
        ? allow('ci-admin')
        : null,
  ],
  [
    'ci-admins-only',
    (_request, level) =>
      level === 'ci-admin'
        ? deny(
            'ci-admins-only',
            'only CI admins may do this: users named in DRONE_GOGS_ADMINS and members of the identity provider’s admin group',
          )
        : null,
  ],
  [
    'organisation-action',
    ({ action, org }) =>
      org !== undefined && !isOrgAction(action)
        ? deny(
            'organisation-action',
            `${action} is done to a repository, not to an organisation; name the repository`,
          )
        : null,
  ],
  [
    'repository-named',
    ({ repo, org }) =>
      repo === null && org === undefined ? deny('repository-named', 'this action needs a repository') : null,
  ],
  [
    'public-read',
    ({ repo }, level) => (level === 'read' && repo !== null && !repo.private ? allow('public-read') : null),
  ],
  [
    'signed-in',
    ({ principal, repo, org }) =>
      principal.kind === 'anonymous'
        ? deny(
            'signed-in',
            org !== undefined
              ? `log in to act on organisation ${org.name}`
              : `log in to see or act on ${repo?.private ? 'this private repository' : 'this repository'}`,
          )
        : null,
  ],
  [
    'fresh-org-role',
    ({ org, orgRole, now }) =>
      org !== undefined && orgRole != null && now - orgRole.syncedAt > FRESH_RIGHTS_MS
        ? deny(
            'fresh-org-role',
            `your role in organisation ${org.name} must be read from Gogs again first`,
            true,
          )
        : null,
  ],
  [
    'organisation-role',
    ({ action, org, orgRole = null }) => {
      if (org === undefined || !isOrgAction(action)) return null;
      if (orgRole !== null && ORG_ROLE_RANK[orgRole.role] >= ORG_ROLE_RANK[ORG_ACTION_ROLES[action]])
        return allow('organisation-role');
      // No role may be one Gogs granted since the cache was filled: worth one fresh read before the answer.
      return deny('organisation-role', orgRoleShortfall(org.name, action, orgRole), orgRole === null);
    },
  ],
  [
    'fresh-rights',
    ({ access, now }, level) =>
      level !== 'read' && access !== null && now - access.syncedAt > FRESH_RIGHTS_MS
        ? deny('fresh-rights', 'your rights on this repository must be read from Gogs again first', true)
        : null,
  ],
  [
    'role-grant',
    ({ principal, action, access }) =>
      principal.kind === 'user' &&
      grants(access, 'read') &&
      principal.roles.some((role) => ROLE_GRANTS[role]?.includes(action))
        ? allow('role-grant')
        : null,
  ],
  [
    'gogs-rights',
    ({ access, repo }, level) =>
      grants(access, level)
        ? allow('gogs-rights')
        : deny(
            'gogs-rights',
            access === null
              ? `you have no access to ${repo?.fullName ?? 'it'} in Gogs${level === 'read' ? '' : `; this needs ${WORDS[level]}`}, or your Gogs account is not connected yet`
              : `this needs ${WORDS[level]} to ${repo?.fullName ?? 'the repository'} in Gogs`,
          ),
  ],
];

/** May `principal` do `action` to `repo`? The rule that decided is named, and a denial says why. */
export function decide(request: PolicyRequest): PolicyDecision {
  const level = ACTION_LEVELS[request.action];
  for (const [, check] of CHECKS) {
    const decision = check(request, level);
    if (decision !== null) return decision;
  }
  return deny('default', 'no rule allows this');
}
