/**
 * Site-admin routes of the Gogs TEST DOUBLE's API, after route/api/v1/api.go's `/admin` group: reqAdmin() answers
 * a caller who is not a signed-in site admin (token or Basic) with a bare 403, before the team is looked up; an
 * unknown team is a bare 404 (orgAssignment). Only the team members list (Gogs 0.12.0+) is served.
 */
import type { Hono } from 'hono';
import { type ApiEnv, emptyReply, jsonReply } from './api-support.ts';
import type { DoubleContext } from './double-context.ts';
import { userJson } from './wire-shapes.ts';

export function registerAdminRoutes(app: Hono<ApiEnv>, context: DoubleContext): void {
  const { state } = context;

  app.get('/admin/teams/:teamid/members', (c) => {
    const { user } = c.get('caller');
    if (!user?.admin) return emptyReply(c, 403);
    const team = state.teams.find((candidate) => String(candidate.id) === c.req.param('teamid'));
    if (!team) return emptyReply(c, 404);
    const members = state.accounts
      .filter((account) => account.kind === 'user' && team.memberIds.has(account.id))
      .map((account) => userJson(context, account));
    return jsonReply(c, 200, members);
  });
}
