/**
 * Authentication, guards and error replies of the Gogs TEST DOUBLE's API, after Gogs' context/auth.go and
 * route/api/v1/api.go: only `Authorization: token X` is a token (no Bearer, no ?token=), Basic counts only where
 * a route takes it, and the guards answer with bare statuses and empty bodies as Gogs does.
 */
import type { Context } from 'hono';
import { apiAccessMode } from './access.ts';
import {
  AccessMode,
  type AccessModeValue,
  type DoubleState,
  type RepoRecord,
  type UserRecord,
} from './model.ts';

export const GOGS_DOCS_URL = 'https://github.com/gogs/docs-api';
export const INTERNAL_ERROR_MESSAGE =
  'Something went wrong, please check the server logs for more information.';
export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';

export interface ApiCaller {
  user: UserRecord | null;
  tokenAuth: boolean;
  basicAuth: boolean;
}

export type ApiEnv = { Variables: { caller: ApiCaller } };
export type ApiContext = Context<ApiEnv>;

const ANONYMOUS: ApiCaller = { user: null, tokenAuth: false, basicAuth: false };

/** An unknown token or bad password leaves the caller anonymous; the route's guard then decides. */
export function callerOf(state: DoubleState, authorization: string | undefined): ApiCaller {
  const fields = (authorization ?? '').trim().split(/\s+/);
  if (fields.length !== 2) return ANONYMOUS;
  const [scheme, value] = fields as [string, string];
  if (scheme === 'token') {
    const user = state.userByToken(value);
    return user ? { user, tokenAuth: true, basicAuth: false } : ANONYMOUS;
  }
  if (scheme === 'Basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return ANONYMOUS;
    const user = state.userByName(decoded.slice(0, colon));
    return user && user.password === decoded.slice(colon + 1)
      ? { user, tokenAuth: false, basicAuth: true }
      : ANONYMOUS;
  }
  return ANONYMOUS;
}

export function jsonReply(
  c: ApiContext,
  status: number,
  value: unknown,
  contentType = JSON_CONTENT_TYPE,
): Response {
  return c.body(JSON.stringify(value), status as 200, { 'Content-Type': contentType });
}

/** `c.ErrorStatus`: `{"message": ..., "url": "https://github.com/gogs/docs-api"}`. */
export function errorReply(c: ApiContext, status: number, message: string): Response {
  return jsonReply(c, status, { message, url: GOGS_DOCS_URL });
}

/** `c.Status(n)`, `c.NotFound()`, `c.NoContent()`: a status and nothing else. */
export function emptyReply(c: ApiContext, status: number): Response {
  return c.body(null, status as 204);
}

/** reqToken(): only a token authenticates here; Basic gets 401 too. */
export function tokenUser(c: ApiContext): UserRecord | Response {
  const caller = c.get('caller');
  return caller.tokenAuth && caller.user ? caller.user : emptyReply(c, 401);
}

export interface AssignedRepo {
  repo: RepoRecord;
  mode: AccessModeValue;
}

/** repoAssignment(): unknown owner or repository, or no read access, are all a bare 404. */
export function assignRepo(c: ApiContext, state: DoubleState): AssignedRepo | Response {
  const repo = state.repoByName(c.req.param('owner') ?? '', c.req.param('repo') ?? '');
  if (!repo) return emptyReply(c, 404);
  const mode = apiAccessMode(state, c.get('caller'), repo);
  if (mode < AccessMode.read) return emptyReply(c, 404);
  return { repo, mode };
}

/** reqToken() then repoAssignment(), then reqRepoAdmin() when asked. */
export function assignRepoWithToken(
  c: ApiContext,
  state: DoubleState,
  options: { admin: boolean },
): (AssignedRepo & { user: UserRecord }) | Response {
  const user = tokenUser(c);
  if (user instanceof Response) return user;
  const assigned = assignRepo(c, state);
  if (assigned instanceof Response) return assigned;
  if (options.admin && assigned.mode < AccessMode.admin) return emptyReply(c, 403);
  return { ...assigned, user };
}

/** The part of the request path after `marker` (e.g. `/raw/`), each segment decoded. */
export function pathAfter(c: ApiContext, marker: string): string {
  const path = new URL(c.req.url).pathname;
  const at = path.indexOf(marker);
  if (at === -1) return '';
  return path
    .slice(at + marker.length)
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
}
