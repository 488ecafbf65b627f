/**
 * Who may do what to a repository in the Gogs TEST DOUBLE, following Gogs' permsStore.AccessMode: everyone reads a
 * public repository, the owning user owns it, and otherwise the `access` table decides, which Gogs fills from
 * direct collaborations and from organisation teams.
 */
import {
  AccessMode,
  type AccessModeValue,
  type CollaboratorLevel,
  type DoubleState,
  type RepoRecord,
  type TeamPermission,
  type UserRecord,
} from './model.ts';

function modeOf(level: CollaboratorLevel | TeamPermission): AccessModeValue {
  return AccessMode[level];
}

/** The level stored in Gogs' `access` table for this user and repository (collaborations and teams). */
export function grantedMode(state: DoubleState, userId: number, repo: RepoRecord): AccessModeValue {
  let mode: AccessModeValue = AccessMode.none;
  const collaboration = repo.collaborators.get(userId);
  if (collaboration) mode = modeOf(collaboration);
  for (const team of state.teams) {
    if (team.orgId !== repo.ownerId || !team.memberIds.has(userId)) continue;
    if (!team.allRepos && !team.repoIds.has(repo.id)) continue;
    const teamMode = modeOf(team.permission);
    if (teamMode > mode) mode = teamMode;
  }
  return mode;
}

/** Gogs' AccessMode(userID, repoID, {OwnerID, Private}); `user` null is the anonymous visitor. */
export function accessMode(state: DoubleState, user: UserRecord | null, repo: RepoRecord): AccessModeValue {
  const floor: AccessModeValue = repo.private ? AccessMode.none : AccessMode.read;
  if (!user) return floor;
  if (user.id === repo.ownerId) return AccessMode.owner;
  const granted = grantedMode(state, user.id, repo);
  return granted > floor ? granted : floor;
}

/** The API's repoAssignment: a site admin authenticated by token owns every repository. */
export function apiAccessMode(
  state: DoubleState,
  caller: { user: UserRecord | null; tokenAuth: boolean },
  repo: RepoRecord,
): AccessModeValue {
  if (caller.user?.admin && caller.tokenAuth) return AccessMode.owner;
  return accessMode(state, caller.user, repo);
}

export function permissionsOf(mode: AccessModeValue): { admin: boolean; push: boolean; pull: boolean } {
  return { admin: mode >= AccessMode.admin, push: mode >= AccessMode.write, pull: true };
}
