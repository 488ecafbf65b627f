/**
 * Webhook routes of the Gogs TEST DOUBLE's API, with Gogs' quirks (route/api/v1/repo_hook.go): token and repo
 * admin required; on create `active` defaults to false and empty `events` to ["push"]; on edit the secret is
 * ignored, `events` is always rewritten (push only when omitted) and `active` kept when omitted; replies never
 * show the secret; DELETE answers 204 whether or not the hook existed.
 */
import type { Hono } from 'hono';
import { bindJson } from './api-binding.ts';
import { type ApiEnv, assignRepoWithToken, emptyReply, errorReply, jsonReply } from './api-support.ts';
import type { DoubleContext } from './double-context.ts';
import { goTimeNow, HOOK_EVENTS, type HookEventName, type HookRecord } from './model.ts';
import { hookJson } from './wire-shapes.ts';

const HOOK_TYPES = ['gogs', 'slack', 'discord', 'dingtalk'] as const;
const CONTENT_TYPES = ['json', 'form'] as const;

function chosenEvents(events: unknown): Set<HookEventName> {
  const listed = Array.isArray(events) && events.length > 0 ? (events as string[]) : ['push'];
  // Unknown names are ignored, as Gogs only looks for the eight it knows.
  return new Set(HOOK_EVENTS.filter((event) => listed.includes(event)));
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

export function registerHookRoutes(app: Hono<ApiEnv>, context: DoubleContext): void {
  const { state } = context;

  app.get('/repos/:owner/:repo/hooks', (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: true });
    if (assigned instanceof Response) return assigned;
    return jsonReply(
      c,
      200,
      assigned.repo.hooks.map((hook) => hookJson(hook)),
    );
  });

  app.post('/repos/:owner/:repo/hooks', async (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: true });
    if (assigned instanceof Response) return assigned;
    const bound = await bindJson(c, 'CreateHookOption', [
      { json: 'type', go: 'Type', type: 'string', required: true },
      { json: 'config', go: 'Config', type: 'stringMap', required: true },
      { json: 'events', go: 'Events', type: 'stringList' },
      { json: 'active', go: 'Active', type: 'bool' },
    ]);
    if (bound instanceof Response) return bound;
    if (!isOneOf(HOOK_TYPES, bound.type)) return errorReply(c, 422, 'Invalid hook type.');
    const config = bound.config as Record<string, string>;
    for (const option of ['url', 'content_type']) {
      if (!(option in config)) return errorReply(c, 422, `Missing config option: ${option}`);
    }
    if (!isOneOf(CONTENT_TYPES, config.content_type)) return errorReply(c, 422, 'Invalid content type.');
    if (bound.type === 'slack' && !('channel' in config)) {
      return errorReply(c, 422, 'Missing config option: channel');
    }
    const now = goTimeNow();
    const hook: HookRecord = {
      id: state.nextId('hook'),
      type: bound.type,
      url: config.url ?? '',
      contentType: config.content_type,
      secret: config.secret ?? '',
      events: chosenEvents(bound.events),
      active: bound.active === true,
      createdAt: now,
      updatedAt: now,
    };
    assigned.repo.hooks.push(hook);
    return jsonReply(c, 201, hookJson(hook, 'zero'));
  });

  app.patch('/repos/:owner/:repo/hooks/:id', async (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: true });
    if (assigned instanceof Response) return assigned;
    const bound = await bindJson(c, 'EditHookOption', [
      { json: 'config', go: 'Config', type: 'stringMap' },
      { json: 'events', go: 'Events', type: 'stringList' },
      { json: 'active', go: 'Active', type: 'bool' },
    ]);
    if (bound instanceof Response) return bound;
    const hook = assigned.repo.hooks.find((candidate) => String(candidate.id) === c.req.param('id'));
    if (!hook) return emptyReply(c, 404);
    // The reply shows the times as loaded, before this update.
    const loaded = { createdAt: hook.createdAt, updatedAt: hook.updatedAt };
    const config = (bound.config ?? null) as Record<string, string> | null;
    if (config?.content_type !== undefined && !isOneOf(CONTENT_TYPES, config.content_type)) {
      return errorReply(c, 422, 'Invalid content type.');
    }
    if (config?.url !== undefined) hook.url = config.url;
    if (config?.content_type !== undefined)
      hook.contentType = config.content_type as HookRecord['contentType'];
    hook.events = chosenEvents(bound.events);
    if (typeof bound.active === 'boolean') hook.active = bound.active;
    hook.updatedAt = goTimeNow();
    return jsonReply(c, 200, hookJson({ ...hook, ...loaded }));
  });

  app.delete('/repos/:owner/:repo/hooks/:id', (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: true });
    if (assigned instanceof Response) return assigned;
    const hooks = assigned.repo.hooks;
    const index = hooks.findIndex((hook) => String(hook.id) === c.req.param('id'));
    if (index !== -1) hooks.splice(index, 1);
    return emptyReply(c, 204);
  });
}
