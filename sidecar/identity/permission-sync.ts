/**
 * A person's rights on repositories, as Gogs gives them (RepoAccessSource for the Authorizer).
 *
 * - Linked (a Gogs token of theirs is stored and Gogs accepts it): `GET /user/repos` with their own token, which
 *   is the only place Gogs reports rights that come through organisation teams (owners included) as well as
 *   collaborations and ownership. The rows of repositories the sidecar knows replace the person's rows in one
 *   go, so a right taken away in Gogs is deleted at the next sync. A token Gogs refuses is marked refused, the
 *   person's rows are deleted, and they are treated as not linked.
 * - Not linked: what anonymous visitors have (the policy lets anyone read a public repository), plus their own
 *   repositories and the direct collaborations the sidecar's admin token sees (`GET /repos/:o/:r/collaborators`);
 *   team rights cannot be seen without the person's token. Kept in this process's memory only.
 *
 * Rights are read from the cache while younger than the TTL (15 min unless given) and from Gogs when older, or
 * when the policy asks for fresh ones before an action that changes something. Organisation-wide rights (the
 * secrets of an organisation) are not derived here: an owner team shows as admin on each of the organisation's
 * repositories just as an admin team with them all does; org-roles.ts reads roles in organisations.
 */
import {
  type Clock,
  type GogsClient,
  type GogsLink,
  type GogsLinkStore,
  gogsLinkTokenPlace,
  isAppError,
  type Logger,
  type PermissionStore,
  type PolicyRepo,
  type RepoAccess,
  type RepoAccessSource,
  type RepoStore,
  type StoredUser,
  type UserStore,
} from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';

export const DEFAULT_PERMISSION_TTL_MS = 15 * 60_000;
/** `/user/repos` is not paginated (gogs-wire.md §3.4); beyond this many repositories the rest is ignored. */
const MAX_REPOS = 10_000;
const MAX_REMEMBERED = 10_000;

export interface PermissionSyncDeps {
  users: UserStore;
  links: GogsLinkStore;
  permissions: PermissionStore;
  repos: RepoStore;
  /** Gogs with the sidecar's admin token; `withToken` for a person's own. */
  gogs: () => GogsClient;
  cipher: SecretCipher;
  clock: Clock;
  logger: Logger;
  ttlMs?: number;
}

const OWNER: Omit<RepoAccess, 'syncedAt'> = { admin: true, push: true, pull: true };

export function createPermissionSync(deps: PermissionSyncDeps): RepoAccessSource {
  const ttlMs = deps.ttlMs ?? DEFAULT_PERMISSION_TTL_MS;
  const { permissions, clock } = deps;
  /** When each linked user's rows were last replaced by this process (a user with no rows has no row to say so). */
  const syncedAt = new Map<number, number>();
  const syncing = new Map<number, Promise<boolean>>();
  /** Rights of people not linked, by `login repo` in lower case. */
  const unlinked = new Map<string, RepoAccess | { none: number }>();

  /** Replaces the user's rows from Gogs; false when Gogs refused their token. */
  const sync = (user: StoredUser, link: GogsLink): Promise<boolean> => {
    const under = syncing.get(user.id);
    if (under !== undefined) return under;
    const run = (async () => {
      const token = deps.cipher.decrypt(link.token, gogsLinkTokenPlace(user.id));
      let listed: Awaited<ReturnType<GogsClient['listMyRepos']>>;
      try {
        listed = await deps.gogs().withToken(token).listMyRepos();
      } catch (error) {
        if (!isAppError(error, 'GOGS_UNAUTHORIZED')) throw error;
        await deps.links.checked(user.id, 0);
        await permissions.replaceForUser(user.id, []);
        syncedAt.delete(user.id);
        deps.logger.info('identity: Gogs refused a stored token; its rights are dropped', {
          user: user.login,
        });
        return false;
      }
      if (listed.length > MAX_REPOS)
        deps.logger.warn('identity: more repositories than are synced', {
          user: user.login,
          count: listed.length,
        });
      const known = new Map((await deps.repos.list()).map((repo) => [repo.gogsId, repo.id]));
      const now = clock.now();
      const rows = listed.slice(0, MAX_REPOS).flatMap((repo) => {
        const repoId = known.get(repo.id);
        if (repoId === undefined || repo.permissions === undefined) return [];
        const { admin, push, pull } = repo.permissions;
        return [{ repoId, admin, push, pull, syncedAt: now }];
      });
      await permissions.replaceForUser(user.id, rows);
      syncedAt.set(user.id, now);
      return true;
    })().finally(() => syncing.delete(user.id));
    syncing.set(user.id, run);
    return run;
  };

  const linkedAccess = async (
    user: StoredUser,
    link: GogsLink,
    repo: PolicyRepo,
    fresh: boolean,
  ): Promise<RepoAccess | null | 'refused'> => {
    const local = await deps.repos.findByFullName(repo.fullName);
    if (local === null) return null;
    if (!fresh) {
      const row = await permissions.find(user.id, local.id);
      const now = clock.now();
      if (row !== null && now - row.syncedAt < ttlMs) return row;
      const at = syncedAt.get(user.id);
      if (row === null && at !== undefined && now - at < ttlMs) return null;
    }
    if (!(await sync(user, link))) return 'refused';
    return permissions.find(user.id, local.id);
  };

  const unlinkedAccess = async (
    login: string,
    repo: PolicyRepo,
    fresh: boolean,
  ): Promise<RepoAccess | null> => {
    const key = `${login.toLowerCase()} ${repo.fullName.toLowerCase()}`;
    const cached = unlinked.get(key);
    const now = clock.now();
    if (!fresh && cached !== undefined) {
      const at = 'none' in cached ? cached.none : cached.syncedAt;
      if (now - at < ttlMs) return 'none' in cached ? null : cached;
    }
    const [owner = '', name = ''] = repo.fullName.split('/');
    let access: RepoAccess | null = null;
    if (owner.toLowerCase() === login.toLowerCase()) access = { ...OWNER, syncedAt: now };
    else {
      try {
        const collaborator = (await deps.gogs().listCollaborators(owner, name)).find(
          (candidate) => candidate.username.toLowerCase() === login.toLowerCase(),
        );
        if (collaborator !== undefined) access = { ...collaborator.permissions, syncedAt: now };
      } catch (error) {
        if (!(isAppError(error, 'GOGS_NOT_FOUND') || isAppError(error, 'GOGS_FORBIDDEN'))) throw error;
      }
    }
    if (unlinked.size >= MAX_REMEMBERED) unlinked.clear();
    unlinked.set(key, access ?? { none: now });
    return access;
  };

  return {
    async accessOf(actor, repo, { fresh }) {
      if (actor.kind !== 'user') return null;
      const user = await deps.users.findByLogin(actor.login);
      const link = user === null ? null : await deps.links.find(user.id);
      if (user !== null && link !== null && link.checkedAt > 0) {
        const access = await linkedAccess(user, link, repo, fresh);
        if (access !== 'refused') return access;
      }
      return unlinkedAccess(actor.login, repo, fresh);
    },
  };
}
