/**
 * User-level routes of the Gogs TEST DOUBLE's API: the token owner, their repositories (with real permissions,
 * not paginated), their organisations, an organisation's teams, and access tokens (Basic auth only).
 */
import type { Hono } from 'hono';
import { grantedMode } from './access.ts';
import { bindJson } from './api-binding.ts';
import { type ApiEnv, emptyReply, errorReply, jsonReply, tokenUser } from './api-support.ts';
import type { DoubleContext } from './double-context.ts';
import { AccessMode, newTokenValue, type OrgRecord, sha256Hex, type UserRecord } from './model.ts';
import { orgJson, repoJson, teamJson, userJson } from './wire-shapes.ts';

export function registerUserRoutes(app: Hono<ApiEnv>, context: DoubleContext): void {
  const { state } = context;

  app.post('/users/:username/tokens', async (c) => {
    const { user, basicAuth } = c.get('caller');
    if (!basicAuth || !user) return emptyReply(c, 401);
    const bound = await bindJson(c, 'CreateAccessTokenOption', [
      { json: 'name', go: 'Name', type: 'string', required: true },
    ]);
    if (bound instanceof Response) return bound;
    const name = bound.name as string;
    // The path's :username is not checked; the token always belongs to the Basic-auth user.
    if (user.tokens.some((token) => token.name === name)) {
      return errorReply(c, 422, `access token already exists: map[name:${name} userID:${user.id}]`);
    }
    const value = newTokenValue();
    user.tokens.push({ id: state.nextId('token'), name, sha256: sha256Hex(value) });
    return jsonReply(c, 201, { name, sha1: value });
  });

  app.get('/users/:username/tokens', (c) => {
    const { user, basicAuth } = c.get('caller');
    if (!basicAuth || !user) return emptyReply(c, 401);
    // Gogs 0.13+ lists only the first 40 characters of each token's SHA-256, not usable values.
    return jsonReply(
      c,
      200,
      user.tokens.map((token) => ({ name: token.name, sha1: token.sha256.slice(0, 40) })),
    );
  });

  app.get('/users/search', (c) => {
    // searchUsers + SearchByName: individual users whose lower name or lower full name contains q; an empty q
    // finds nobody; `limit` defaults to 10; emails only for a signed-in caller.
    const keyword = (c.req.query('q') ?? '').toLowerCase();
    const limit = Number.parseInt(c.req.query('limit') ?? '', 10);
    const found =
      keyword === ''
        ? []
        : state.accounts.filter(
            (account): account is UserRecord =>
              account.kind === 'user' &&
              (account.username.toLowerCase().includes(keyword) ||
                account.fullName.toLowerCase().includes(keyword)),
          );
    const signedIn = c.get('caller').user !== null;
    const data = found
      .slice(0, limit > 0 ? limit : 10)
      .map((user) => userJson(context, user))
      .map((json) => (signedIn ? json : { ...json, email: '' }));
    return jsonReply(c, 200, { ok: true, data });
  });

  app.get('/users/:username', (c) => {
    // No token needed; the email is blanked for anonymous callers (user.go getUserProfile). An unknown user is
    // a 404 with an empty body (NotFoundOrError; inference from the source, as for other lookups by name).
    const found = state.userByName(c.req.param('username'));
    if (found === undefined) return emptyReply(c, 404);
    const json = userJson(context, found);
    return jsonReply(c, 200, c.get('caller').user ? json : { ...json, email: '' });
  });

  app.get('/user', (c) => {
    const user = tokenUser(c);
    if (user instanceof Response) return user;
    return jsonReply(c, 200, userJson(context, user));
  });

  app.get('/user/repos', (c) => {
    const user = tokenUser(c);
    if (user instanceof Response) return user;
    const own = state.repos
      .filter((repo) => repo.ownerId === user.id)
      .map((repo) => repoJson(context, repo, { admin: true, push: true, pull: true }));
    const reachable = state.repos
      .filter((repo) => repo.ownerId !== user.id)
      .map((repo) => ({ repo, mode: grantedMode(state, user.id, repo) }))
      .filter(({ mode }) => mode >= AccessMode.read)
      .map(({ repo, mode }) =>
        repoJson(context, repo, {
          admin: mode >= AccessMode.admin,
          push: mode >= AccessMode.write,
          pull: true,
        }),
      );
    return jsonReply(c, 200, [...own, ...reachable]);
  });

  app.get('/user/orgs', (c) => {
    const user = tokenUser(c);
    if (user instanceof Response) return user;
    const orgIds = new Set(
      state.teams.filter((team) => team.memberIds.has(user.id)).map((team) => team.orgId),
    );
    const orgs = state.accounts.filter(
      (account): account is OrgRecord => account.kind === 'org' && orgIds.has(account.id),
    );
    return jsonReply(
      c,
      200,
      orgs.map((org) => orgJson(context, org)),
    );
  });

  app.get('/orgs/:org', (c) => {
    const user = tokenUser(c);
    if (user instanceof Response) return user;
    const org = state.accountByName(c.req.param('org'));
    if (org?.kind !== 'org') return emptyReply(c, 404);
    return jsonReply(c, 200, orgJson(context, org));
  });

  app.get('/orgs/:org/teams', (c) => {
    const user = tokenUser(c);
    if (user instanceof Response) return user;
    const org = state.accountByName(c.req.param('org'));
    if (!org) return emptyReply(c, 404);
    return jsonReply(c, 200, state.teams.filter((team) => team.orgId === org.id).map(teamJson));
  });
}
