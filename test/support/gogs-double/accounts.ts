/**
 * Setting up people in the Gogs TEST DOUBLE: users (each with a first token), organisations with their Owners
 * team, teams with a permission and repositories, and direct collaborators.
 */
import {
  type CollaboratorLevel,
  type DoubleState,
  newTokenValue,
  type OrgRecord,
  type RepoRecord,
  sha256Hex,
  type TeamPermission,
  type TeamRecord,
  type UserRecord,
} from './model.ts';

export interface AddUserInput {
  username: string;
  password: string;
  admin?: boolean;
  email?: string;
  fullName?: string;
}

export function requireUser(state: DoubleState, username: string): UserRecord {
  const user = state.userByName(username);
  if (!user) throw new Error(`gogs double: no user ${username}`);
  return user;
}

export function requireRepo(state: DoubleState, owner: string, name: string): RepoRecord {
  const repo = state.repoByName(owner, name);
  if (!repo) throw new Error(`gogs double: no repository ${owner}/${name}`);
  return repo;
}

function assertNameFree(state: DoubleState, username: string): void {
  if (state.accountByName(username)) throw new Error(`gogs double: the name ${username} is taken`);
}

/** Adds a token as Gogs makes them (40 hex); returns its value, which Gogs shows only once. */
export function addToken(state: DoubleState, user: UserRecord, name: string): string {
  if (user.tokens.some((token) => token.name === name)) {
    throw new Error(`gogs double: ${user.username} already has a token named ${name}`);
  }
  const value = newTokenValue();
  user.tokens.push({ id: state.nextId('token'), name, sha256: sha256Hex(value) });
  return value;
}

export function addUser(state: DoubleState, input: AddUserInput): { user: UserRecord; token: string } {
  assertNameFree(state, input.username);
  const user: UserRecord = {
    kind: 'user',
    id: state.nextId('account'),
    username: input.username,
    password: input.password,
    email: input.email ?? `${input.username.toLowerCase()}@example.com`,
    fullName: input.fullName ?? '',
    admin: input.admin ?? false,
    tokens: [],
  };
  state.accounts.push(user);
  return { user, token: addToken(state, user, 'double') };
}

export function addOrg(
  state: DoubleState,
  input: { username: string; owners: readonly string[]; fullName?: string; description?: string },
): OrgRecord {
  assertNameFree(state, input.username);
  const org: OrgRecord = {
    kind: 'org',
    id: state.nextId('account'),
    username: input.username,
    fullName: input.fullName ?? '',
    description: input.description ?? '',
    website: '',
    location: '',
  };
  state.accounts.push(org);
  state.teams.push({
    id: state.nextId('team'),
    orgId: org.id,
    name: 'Owners',
    description: '',
    permission: 'owner',
    memberIds: new Set(input.owners.map((owner) => requireUser(state, owner).id)),
    repoIds: new Set(),
    allRepos: true,
  });
  return org;
}

export function addTeam(
  state: DoubleState,
  input: {
    org: string;
    name: string;
    permission: Exclude<TeamPermission, 'owner'>;
    members?: readonly string[];
    repos?: readonly string[];
    description?: string;
  },
): TeamRecord {
  const org = state.accountByName(input.org);
  if (org?.kind !== 'org') throw new Error(`gogs double: no organisation ${input.org}`);
  const team: TeamRecord = {
    id: state.nextId('team'),
    orgId: org.id,
    name: input.name,
    description: input.description ?? '',
    permission: input.permission,
    memberIds: new Set((input.members ?? []).map((member) => requireUser(state, member).id)),
    repoIds: new Set((input.repos ?? []).map((repo) => requireRepo(state, org.username, repo).id)),
    allRepos: false,
  };
  state.teams.push(team);
  return team;
}

export function addCollaborator(
  state: DoubleState,
  input: { owner: string; name: string; username: string; level: CollaboratorLevel },
): void {
  const repo = requireRepo(state, input.owner, input.name);
  repo.collaborators.set(requireUser(state, input.username).id, input.level);
}
