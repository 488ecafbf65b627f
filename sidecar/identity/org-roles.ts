/**
 * A person's role in a Gogs organisation (OrgRoleSource for the Authorizer), for what is managed per
 * organisation: its secrets.
 *
 * What Gogs' API lets us know (gogs-wire.md §3.10; route/api/v1/api.go of 0.11 to 0.14):
 * - With the person's own token, `GET /user/orgs` lists the organisations they belong to (through any team), with
 *   no role. It is the authority on membership here: a row of an organisation it no longer lists is deleted.
 * - `GET /orgs/:org/teams` lists every team of the organisation with its permission (read, write, admin, owner),
 *   not the teams the caller is in; it needs a token since 0.14.3 (anyone could ask before).
 * - Which teams a person is in, the Owners team included, only `GET /admin/teams/:id/members` tells (0.12.0+),
 *   and only to a site admin. So team membership is read with the sidecar's token: when that is not a site
 *   admin's (403) or Gogs is older (404), a person Gogs lists as a member is `member`, nothing more.
 * - Nothing else tells an owner apart: `/user/repos` shows admin on every repository to owners and to an admin
 *   team that has them all alike, and the routes that check ownership (`PATCH /orgs/:org`, `POST /org/:org/repos`)
 *   change something.
 * People without a linked token have no role: their memberships cannot be read (`GET /users/:u/orgs` shows the
 * public ones only, with no team). Roles are read from the cache while younger than the TTL (that of repository
 * rights) and from Gogs when older, or when the policy asks for fresh ones.
 */
import {
  type Clock,
  type GogsClient,
  type GogsLink,
  type GogsLinkStore,
  type GogsOrg,
  gogsLinkTokenPlace,
  isAppError,
  type Logger,
  type OrgRole,
  type OrgRoleName,
  type OrgRoleSource,
  type OrgRoleStore,
  type PolicyOrg,
  type StoredUser,
  type UserStore,
} from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';
import { DEFAULT_PERMISSION_TTL_MS } from './permission-sync.ts';

/** Teams asked about per organisation, highest permission first; an organisation rarely has more. */
const MAX_TEAMS = 100;
const RANK: Record<OrgRoleName, number> = { member: 0, read: 1, write: 2, admin: 3, owner: 4 };

export interface OrgRoleSyncDeps {
  users: UserStore;
  links: GogsLinkStore;
  orgRoles: OrgRoleStore;
  /** Gogs with the sidecar's token (team members); `withToken` for a person's own (memberships, teams). */
  gogs: () => GogsClient;
  cipher: SecretCipher;
  clock: Clock;
  logger: Logger;
  ttlMs?: number;
}

export function createOrgRoleSync(deps: OrgRoleSyncDeps): OrgRoleSource {
  const ttlMs = deps.ttlMs ?? DEFAULT_PERMISSION_TTL_MS;
  const { orgRoles, clock, logger } = deps;
  /** Each user's organisations (lower-case names) as this process last listed them: a non-member has no row. */
  const listed = new Map<number, { at: number; names: ReadonlySet<string> }>();
  const syncing = new Map<string, Promise<OrgRole | null>>();
  let toldMembersHidden = false;

  /** The highest permission of the teams the person is in; `member` when Gogs will not say. */
  const teamRole = async (person: GogsClient, org: GogsOrg, user: StoredUser): Promise<OrgRoleName> => {
    const teams = (await person.listOrgTeams(org.username))
      .sort((a, b) => RANK[b.permission] - RANK[a.permission])
      .slice(0, MAX_TEAMS);
    for (const team of teams) {
      let members: Awaited<ReturnType<GogsClient['listTeamMembers']>>;
      try {
        members = await deps.gogs().listTeamMembers(team.id);
      } catch (error) {
        if (!(isAppError(error, 'GOGS_FORBIDDEN') || isAppError(error, 'GOGS_NOT_FOUND'))) throw error;
        if (!toldMembersHidden)
          logger.warn(
            'identity: Gogs does not show team members to the sidecar’s token (it must be a site admin’s, on Gogs 0.12.0+); organisation members get no team role',
            { org: org.username },
          );
        toldMembersHidden = true;
        return 'member';
      }
      if (members.some((member) => member.id === user.gogsId)) return team.permission;
    }
    return 'member';
  };

  /** Lists the person's organisations, drops rows of those gone, and stores their role in `org`. */
  const sync = (user: StoredUser, link: GogsLink, org: PolicyOrg): Promise<OrgRole | null> => {
    const key = `${user.id} ${org.name.toLowerCase()}`;
    const under = syncing.get(key);
    if (under !== undefined) return under;
    const run = (async (): Promise<OrgRole | null> => {
      const person = deps.gogs().withToken(deps.cipher.decrypt(link.token, gogsLinkTokenPlace(user.id)));
      let orgs: GogsOrg[];
      try {
        orgs = await person.listMyOrgs();
      } catch (error) {
        if (!isAppError(error, 'GOGS_UNAUTHORIZED')) throw error;
        await deps.links.checked(user.id, 0);
        await orgRoles.keepOnly(user.id, []);
        listed.delete(user.id);
        logger.info('identity: Gogs refused a stored token; its organisation roles are dropped', {
          user: user.login,
        });
        return null;
      }
      const memberOf = orgs.map((candidate) => candidate.id);
      const names = new Set(orgs.map((candidate) => candidate.username.toLowerCase()));
      const match = orgs.find((candidate) => candidate.username.toLowerCase() === org.name.toLowerCase());
      if (match === undefined) {
        await orgRoles.keepOnly(user.id, memberOf);
        listed.set(user.id, { at: clock.now(), names });
        return null;
      }
      const role = await teamRole(person, match, user);
      const now = clock.now();
      const row = { orgId: match.id, org: match.username, role, syncedAt: now };
      await orgRoles.keepOnly(user.id, memberOf, row);
      listed.set(user.id, { at: now, names });
      return { org: row.org, role, syncedAt: now };
    })().finally(() => syncing.delete(key));
    syncing.set(key, run);
    return run;
  };

  return {
    async roleOf(actor, org, { fresh }) {
      if (actor.kind !== 'user') return null;
      const user = await deps.users.findByLogin(actor.login);
      const link = user === null ? null : await deps.links.find(user.id);
      if (user === null || link === null || link.checkedAt === 0) return null;
      if (!fresh) {
        const row = await orgRoles.find(user.id, org.name);
        const now = clock.now();
        if (row !== null && now - row.syncedAt < ttlMs)
          return { org: row.org, role: row.role, syncedAt: row.syncedAt };
        const last = listed.get(user.id);
        if (
          row === null &&
          last !== undefined &&
          now - last.at < ttlMs &&
          !last.names.has(org.name.toLowerCase())
        )
          return null;
      }
      return sync(user, link, org);
    },
  };
}
