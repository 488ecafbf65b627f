/**
 * The Gogs API v1 client (GogsClient, GogsTokenIssuer from core/). Paths follow gogs-wire.md §3; every reply
 * is validated before it is returned.
 */
import { z } from 'zod';
import type { GogsClient, GogsTokenIssuer } from '../core/index.ts';
import { AppError } from '../core/index.ts';
import { createGogsTransport, type GogsTransport, parseJsonReply, parseTextReply } from './api-transport.ts';
import {
  branchSchema,
  collaboratorSchema,
  commentSchema,
  commitSchema,
  hookSchema,
  orgSchema,
  repoSchema,
  shaTextSchema,
  teamSchema,
  tokenSchema,
  userSchema,
  userSearchSchema,
} from './wire-schemas.ts';

export interface GogsClientOptions {
  /** The Gogs root URL, e.g. https://git.example.com/ (a sub-path is fine). */
  baseUrl: string;
  /** The token, or a function giving the one in force at each call (a rotated token is used from the next). */
  token: string | (() => string);
  timeoutMs?: number;
  fetch?: typeof fetch;
  userAgent?: string;
}

export interface GogsTokenIssuerOptions {
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_USER_AGENT = 'drone-gogs';
const SIDECAR_TOKEN_HINT =
  "Check DRONE_GOGS_GOGS_TOKEN or the token file (`drone-gogs rotate gogs-token` replaces it): Gogs did not accept the token (it may have been deleted; Gogs takes only 'Authorization: token …').";
const USER_TOKEN_HINT =
  "Gogs did not accept this user's token; it may have been deleted. Ask the user for a new one.";
/** Where `/commits/<ref>` answers with the bare SHA (gogs-wire.md §3.8). */
const SHA_MEDIA_TYPE = 'application/vnd.gogs.sha';

function segment(value: string): string {
  return encodeURIComponent(value);
}

/** Encodes each segment of a slash-separated value (a file path, a branch with slashes) and keeps the slashes. */
function segments(value: string): string {
  return value.split('/').map(segment).join('/');
}

function repoPath(owner: string, name: string): string {
  return `/repos/${segment(owner)}/${segment(name)}`;
}

function fullName(owner: string, name: string): string {
  return `${owner}/${name}`;
}

function createClientWith(options: GogsClientOptions, credentialHint: string): GogsClient {
  const given = options.token;
  const currentToken = typeof given === 'function' ? given : () => given;
  let sending: { token: string; transport: GogsTransport } | null = null;
  // A transport per token: one call goes out with one token and is redacted of that token.
  const transportOf = (token: string): GogsTransport =>
    createGogsTransport({
      baseUrl: options.baseUrl,
      authorization: `token ${token}`,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch ?? fetch,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      credentialHint,
      secrets: [token],
    });
  const transport: GogsTransport = {
    send(call) {
      const token = currentToken();
      if (sending?.token !== token) sending = { token, transport: transportOf(token) };
      return sending.transport.send(call);
    },
  };

  async function resolveRefToSha(owner: string, name: string, ref: string): Promise<string> {
    const reply = await transport.send({
      method: 'GET',
      path: `${repoPath(owner, name)}/commits/${segments(ref)}`,
      topic: 'commit',
      subject: fullName(owner, name),
      accept: SHA_MEDIA_TYPE,
    });
    return parseTextReply(reply, shaTextSchema, 'a commit SHA');
  }

  return {
    async currentUser() {
      const reply = await transport.send({ method: 'GET', path: '/user', topic: 'user', subject: '' });
      return parseJsonReply(reply, userSchema, 'a user');
    },

    async getUser(username) {
      const reply = await transport.send({
        method: 'GET',
        path: `/users/${segment(username)}`,
        topic: 'account',
        subject: username,
      });
      return parseJsonReply(reply, userSchema, 'a user');
    },

    async listMyRepos() {
      const reply = await transport.send({ method: 'GET', path: '/user/repos', topic: 'user', subject: '' });
      return parseJsonReply(reply, z.array(repoSchema), 'a list of repositories');
    },

    async getRepo(owner, name) {
      const reply = await transport.send({
        method: 'GET',
        path: repoPath(owner, name),
        topic: 'repo',
        subject: fullName(owner, name),
      });
      return parseJsonReply(reply, repoSchema, 'a repository');
    },

    async listHooks(owner, name) {
      const reply = await transport.send({
        method: 'GET',
        path: `${repoPath(owner, name)}/hooks`,
        topic: 'hooks',
        subject: fullName(owner, name),
      });
      return parseJsonReply(reply, z.array(hookSchema), 'a list of webhooks');
    },

    async createHook(owner, name, hook) {
      const reply = await transport.send({
        method: 'POST',
        path: `${repoPath(owner, name)}/hooks`,
        topic: 'hooks',
        subject: fullName(owner, name),
        body: hook,
      });
      return parseJsonReply(reply, hookSchema, 'a webhook');
    },

    async editHook(owner, name, id, edit) {
      const reply = await transport.send({
        method: 'PATCH',
        path: `${repoPath(owner, name)}/hooks/${id}`,
        topic: 'hook',
        subject: fullName(owner, name),
        body: edit,
      });
      return parseJsonReply(reply, hookSchema, 'a webhook');
    },

    async deleteHook(owner, name, id) {
      await transport.send({
        method: 'DELETE',
        path: `${repoPath(owner, name)}/hooks/${id}`,
        topic: 'hook',
        subject: fullName(owner, name),
        tolerate: [404],
      });
    },

    async getRawFile(owner, name, ref, path, maxBytes) {
      const reply = await transport.send({
        method: 'GET',
        path: `${repoPath(owner, name)}/raw/${segments(ref)}/${segments(path.replace(/^\/+/, ''))}`,
        topic: 'file',
        subject: fullName(owner, name),
        accept: '*/*',
        tolerate: [404],
        ...(maxBytes === undefined ? {} : { maxBytes }),
      });
      return reply.status === 404 ? null : reply.bytes;
    },

    async getCommit(owner, name, ref) {
      // `/commits/:sha` takes one path segment; a ref with slashes is first resolved to its SHA.
      const rev = ref.includes('/') ? await resolveRefToSha(owner, name, ref) : ref;
      const reply = await transport.send({
        method: 'GET',
        path: `${repoPath(owner, name)}/commits/${segment(rev)}`,
        topic: 'commit',
        subject: fullName(owner, name),
      });
      return parseJsonReply(reply, commitSchema, 'a commit');
    },

    async listBranches(owner, name) {
      const reply = await transport.send({
        method: 'GET',
        path: `${repoPath(owner, name)}/branches`,
        topic: 'branch',
        subject: fullName(owner, name),
      });
      return parseJsonReply(reply, z.array(branchSchema), 'a list of branches');
    },

    async getBranch(owner, name, branch) {
      const reply = await transport.send({
        method: 'GET',
        path: `${repoPath(owner, name)}/branches/${segments(branch)}`,
        topic: 'branch',
        subject: fullName(owner, name),
      });
      return parseJsonReply(reply, branchSchema, 'a branch');
    },

    async listMyOrgs() {
      const reply = await transport.send({ method: 'GET', path: '/user/orgs', topic: 'orgs', subject: '' });
      return parseJsonReply(reply, z.array(orgSchema), 'a list of organisations');
    },

    async listOrgTeams(org) {
      const reply = await transport.send({
        method: 'GET',
        path: `/orgs/${segment(org)}/teams`,
        topic: 'teams',
        subject: org,
      });
      return parseJsonReply(reply, z.array(teamSchema), 'a list of teams');
    },

    async listTeamMembers(teamId) {
      const reply = await transport.send({
        method: 'GET',
        path: `/admin/teams/${teamId}/members`,
        topic: 'team-members',
        subject: `team ${teamId}`,
      });
      return parseJsonReply(reply, z.array(userSchema), 'a list of team members');
    },

    async listCollaborators(owner, name) {
      const reply = await transport.send({
        method: 'GET',
        path: `${repoPath(owner, name)}/collaborators`,
        topic: 'collaborators',
        subject: fullName(owner, name),
      });
      return parseJsonReply(reply, z.array(collaboratorSchema), 'a list of collaborators');
    },

    async createIssueComment(owner, name, issueNumber, body) {
      const reply = await transport.send({
        method: 'POST',
        path: `${repoPath(owner, name)}/issues/${issueNumber}/comments`,
        topic: 'comment',
        subject: fullName(owner, name),
        body: { body },
      });
      return parseJsonReply(reply, commentSchema, 'a comment');
    },

    async searchUsers(query, limit) {
      const reply = await transport.send({
        method: 'GET',
        path: '/users/search',
        query: { q: query, limit: String(limit) },
        topic: 'account',
        subject: '',
      });
      return parseJsonReply(reply, userSearchSchema, 'a user search').data;
    },

    withToken(token) {
      return createClientWith({ ...options, token }, USER_TOKEN_HINT);
    },
  };
}

export function createGogsClient(options: GogsClientOptions): GogsClient {
  return createClientWith(options, SIDECAR_TOKEN_HINT);
}

/** Gogs 0.12+ refuses a second token with the same name for a user (422 "access token already exists"). */
function isDuplicateTokenError(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== 'GOGS_INVALID_REQUEST') return false;
  const said = error.details?.gogsMessage;
  return typeof said === 'string' && said.startsWith('access token already exists');
}

export function createGogsTokenIssuer(options: GogsTokenIssuerOptions): GogsTokenIssuer {
  const basicTransport = (username: string, password: string) => {
    const basic = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    return createGogsTransport({
      baseUrl: options.baseUrl,
      authorization: `Basic ${basic}`,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch ?? fetch,
      userAgent: DEFAULT_USER_AGENT,
      credentialHint: `Check the username and password of ${username}: Gogs creates tokens only for the user who signs in with Basic auth.`,
      secrets: [password, basic],
    });
  };
  return {
    async listTokens(username, password) {
      const reply = await basicTransport(username, password).send({
        method: 'GET',
        path: `/users/${segment(username)}/tokens`,
        topic: 'token',
        subject: username,
      });
      return parseJsonReply(reply, z.array(tokenSchema), 'a list of access tokens');
    },

    async createToken(username, password, name) {
      const transport = basicTransport(username, password);
      const path = `/users/${segment(username)}/tokens`;
      try {
        const reply = await transport.send({
          method: 'POST',
          path,
          topic: 'token',
          subject: username,
          body: { name },
        });
        return parseJsonReply(reply, tokenSchema, 'an access token');
      } catch (error) {
        if (!isDuplicateTokenError(error)) throw error;
        throw new AppError(
          'GOGS_INVALID_REQUEST',
          `Gogs answered 422 to POST ${path}: ${username} already has a token named "${name}". Pick another name; Gogs shows a token's value only once and has no API to delete one.`,
          { cause: error, details: { method: 'POST', path, status: 422 } },
        );
      }
    },
  };
}
