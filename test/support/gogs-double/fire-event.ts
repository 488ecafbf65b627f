/**
 * Gogs' PrepareWebhooks for the TEST DOUBLE: serialise the payload once (MarshalIndent), make one task per
 * active repository hook that subscribes to the event, sign it with that hook's secret and queue it.
 * Only `gogs` hooks are delivered; Slack, Discord and DingTalk hooks get other payloads in Gogs and are not
 * emulated.
 */
import type { DoubleContext } from './double-context.ts';
import { marshalIndentGo } from './go-json.ts';
import type { HookEventName, RepoRecord } from './model.ts';
import { createHookTask, type DeliveryRecord } from './webhook-delivery.ts';

export function fireEvent(
  context: DoubleContext,
  repo: RepoRecord,
  event: HookEventName,
  payload: Record<string, unknown>,
): Promise<DeliveryRecord[]> {
  const body = marshalIndentGo(payload);
  const fullName = context.state.fullNameOf(repo);
  const tasks = repo.hooks
    .filter((hook) => hook.active && hook.type === 'gogs' && hook.events.has(event))
    .map((hook) => createHookTask({ hook, repo: fullName, event, payload: body }));
  return context.deliveries.enqueue(tasks);
}
