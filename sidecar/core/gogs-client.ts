/**
 * The Gogs REST API v1, as the sidecar uses it. Field names follow the wire (snake_case) so that what a
 * reader sees here is what Gogs sends; gogs/ validates every reply against these shapes.
 *
 * Every method throws AppError with code GOGS_UNAUTHORIZED (401), GOGS_FORBIDDEN (403), GOGS_NOT_FOUND (404),
 * GOGS_INVALID_REQUEST (400/415/422), GOGS_UNAVAILABLE (5xx, connection refused, a reply that is not the
 * documented shape) or GOGS_TIMEOUT. Tokens never appear in messages. Safe to call concurrently.
 */
export interface GogsUser {
  id: number;
  username: string;
  login: string;
  full_name: string;
  email: string;
  avatar_url: string;
}

export interface GogsPermissions {
  admin: boolean;
  push: boolean;
  pull: boolean;
}

export interface GogsRepo {
  id: number;
  owner: GogsUser;
  name: string;
  full_name: string;
  description: string;
  private: boolean;
  fork: boolean;
  html_url: string;
  ssh_url: string;
  clone_url: string;
  default_branch: string;
  /** Present on /user/repos and /repos/:o/:r (the caller's real rights); absent in webhooks. */
  permissions?: GogsPermissions;
}

export interface GogsHook {
  id: number;
  type: string;
  config: { url: string; content_type: string };
  events: string[];
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface GogsCreateHook {
  type: 'gogs';
  config: { url: string; content_type: 'json' | 'form'; secret: string };
  events: string[];
  active: boolean;
}

export interface GogsEditHook {
  config?: { url: string; content_type: 'json' | 'form' };
  /** Gogs rewrites the event list on every edit (push only when omitted), so it is required here. */
  events: string[];
  active?: boolean;
}

export interface GogsPayloadCommit {
  id: string;
  message: string;
  url: string;
  author: { name: string; email: string; username: string };
  committer: { name: string; email: string; username: string };
  timestamp: string;
}

export interface GogsBranch {
  name: string;
  commit: GogsPayloadCommit;
}

export interface GogsCommit {
  sha: string;
  html_url: string;
  commit: {
    message: string;
    author: { name: string; email: string; date: string };
    committer: { name: string; email: string; date: string };
  };
  author: GogsUser | null;
  committer: GogsUser | null;
  parents: { sha: string }[];
}

export interface GogsOrg {
  id: number;
  username: string;
  full_name: string;
  avatar_url: string;
  description: string;
  website: string;
  location: string;
}

export interface GogsTeam {
  id: number;
  name: string;
  description: string;
  permission: 'read' | 'write' | 'admin' | 'owner';
}

export interface GogsCollaborator extends GogsUser {
  permissions: GogsPermissions;
}

export interface GogsComment {
  id: number;
  html_url: string;
  user: GogsUser;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface GogsToken {
  name: string;
  sha1: string;
}

export interface GogsClient {
  /** The user the client's token belongs to. */
  currentUser(): Promise<GogsUser>;
  /** A user by login (`GET /users/:username`); throws AppError GOGS_NOT_FOUND when there is none. */
  getUser(username: string): Promise<GogsUser>;
  /** Every repository the token's user can reach, each with the user's real permissions (not paginated). */
  listMyRepos(): Promise<GogsRepo[]>;
  /** One repository with the caller's real permissions. */
  getRepo(owner: string, name: string): Promise<GogsRepo>;
  listHooks(owner: string, name: string): Promise<GogsHook[]>;
  createHook(owner: string, name: string, hook: GogsCreateHook): Promise<GogsHook>;
  editHook(owner: string, name: string, id: number, edit: GogsEditHook): Promise<GogsHook>;
  /** Idempotent: a hook that is already gone is not an error. */
  deleteHook(owner: string, name: string, id: number): Promise<void>;
  /**
   * Raw bytes of a file at a branch, tag or full 40-character SHA; null when the file does not exist. With
   * `maxBytes`, reading stops after `maxBytes + 1` bytes, so a longer file is seen to be too long without being
   * read whole.
   */
  getRawFile(
    owner: string,
    name: string,
    ref: string,
    path: string,
    maxBytes?: number,
  ): Promise<Uint8Array | null>;
  getCommit(owner: string, name: string, ref: string): Promise<GogsCommit>;
  listBranches(owner: string, name: string): Promise<GogsBranch[]>;
  getBranch(owner: string, name: string, branch: string): Promise<GogsBranch>;
  listMyOrgs(): Promise<GogsOrg[]>;
  listOrgTeams(org: string): Promise<GogsTeam[]>;
  /**
   * The members of a team (`GET /admin/teams/:id/members`, Gogs 0.12.0+): only a site admin's token may ask
   * (GOGS_FORBIDDEN otherwise; GOGS_NOT_FOUND from an older Gogs or for a team that is gone).
   */
  listTeamMembers(teamId: number): Promise<GogsUser[]>;
  listCollaborators(owner: string, name: string): Promise<GogsCollaborator[]>;
  createIssueComment(owner: string, name: string, issueNumber: number, body: string): Promise<GogsComment>;
  /**
   * Users whose login or full name contains `query` (`GET /users/search?q=`; Gogs does not search emails), at
   * most `limit`; emails are shown only to a signed-in caller.
   */
  searchUsers(query: string, limit: number): Promise<GogsUser[]>;
  /** A client acting as another user (their token), for permission checks. */
  withToken(token: string): GogsClient;
}

/** Token creation needs the user's password (Gogs accepts only Basic auth there), so it stands apart. */
export interface GogsTokenIssuer {
  /** Creates a token named `name` for the user; Gogs returns its value only this once. */
  createToken(username: string, password: string, name: string): Promise<GogsToken>;
  /**
   * The user's token names (`sha1` holds no usable value since Gogs 0.13). Changes nothing, so it is also how a
   * password is checked: a wrong one is AppError GOGS_UNAUTHORIZED.
   */
  listTokens(username: string, password: string): Promise<GogsToken[]>;
}
