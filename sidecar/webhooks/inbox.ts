import type { Clock, Counters, DeliveryStore, ErrorCode, HookEvent, Logger } from '../core/index.ts';
import { matchGogsSignature, normalizeGogsHook, repositoryLocatorSchema } from '../gogs/index.ts';
import type { HookSecretResolver } from './hook-secrets.ts';

/** A webhook request as read off the wire, before anything about it is trusted. */
export interface InboundHook {
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  contentType: string | undefined;
  userAgent: string | undefined;
  body: Uint8Array;
  /** The `repo` query parameter of the hook URL (the Gogs repository id we registered), when present. */
  repoHint: string | undefined;
}

export type InboxOutcome =
  | { outcome: 'accepted'; deliveryId: string; kind: HookEvent['kind'] }
  | { outcome: 'duplicate'; deliveryId: string }
  | { outcome: 'ignored'; deliveryId: string; reason: string }
  | { outcome: 'rejected'; code: ErrorCode; message: string; problems?: string[] };

export interface Inbox {
  /** Verifies, validates and durably stores one delivery. Never throws for bad input; store failures throw. */
  receive(hook: InboundHook): Promise<InboxOutcome>;
}

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createInbox(deps: {
  secrets: HookSecretResolver;
  deliveries: DeliveryStore;
  clock: Clock;
  logger: Logger;
  counters: Counters;
}): Inbox {
  const { logger, counters } = deps;

  const reject = (
    code: ErrorCode,
    message: string,
    fields: Record<string, string | number | undefined>,
    problems?: string[],
  ): InboxOutcome => {
    counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'rejected', code });
    logger.warn(`inbox: rejected delivery: ${message}`, { code, ...fields });
    return problems ? { outcome: 'rejected', code, message, problems } : { outcome: 'rejected', code, message };
  };

  return {
    async receive(hook) {
      const deliveryId = hook.deliveryId?.trim() ?? '';
      const fields = { delivery: deliveryId || undefined, event: hook.event };
      if (!hook.event) return reject('BAD_REQUEST', 'missing X-Gogs-Event header; is this request from Gogs?', fields);
      if (!DELIVERY_ID.test(deliveryId)) {
        return reject('BAD_REQUEST', 'missing or malformed X-Gogs-Delivery header', fields);
      }
      if (!hook.signature?.trim()) {
        return reject(
          'SIGNATURE_MISSING',
          'missing X-Gogs-Signature: the Gogs hook has no secret; run `drone-gogs repo repair` to re-register it',
          fields,
        );
      }

      const signed = signedBytes(hook);
      if (signed === null) return reject('BAD_REQUEST', 'form-encoded hook without a payload field', fields);

      let payload: unknown;
      let gogsId = hook.repoHint === undefined ? Number.NaN : Number(hook.repoHint);
      if (!Number.isSafeInteger(gogsId) || gogsId <= 0) {
        payload = parseJson(signed);
        const located = repositoryLocatorSchema.safeParse(payload);
        if (!located.success) {
          return reject('PAYLOAD_INVALID', 'cannot tell which repository this delivery is for', fields);
        }
        gogsId = located.data.repository.id;
      }
      const repoFields = { ...fields, gogs_repo_id: gogsId };

      let keys = await deps.secrets.forGogsRepo(gogsId);
      if (!keys) return reject('REPO_UNKNOWN', 'this repository is not enabled in drone-gogs', repoFields);
      let matched = matchGogsSignature(signed, hook.signature, keys.secrets);
      if (matched < 0) {
        keys = await deps.secrets.forGogsRepo(gogsId, { fresh: true });
        if (!keys) return reject('REPO_UNKNOWN', 'this repository is not enabled in drone-gogs', repoFields);
        matched = matchGogsSignature(signed, hook.signature, keys.secrets);
      }
      const verifiedFields = { ...repoFields, repo: keys.fullName };
      if (!keys.active) return reject('REPO_INACTIVE', `${keys.fullName} is disabled in drone-gogs`, verifiedFields);
      if (matched < 0) return reject('SIGNATURE_INVALID', 'the signature does not match the hook secret', verifiedFields);

      let body: string;
      try {
        body = utf8.decode(signed);
      } catch {
        return reject('PAYLOAD_INVALID', 'the payload is not valid UTF-8', verifiedFields);
      }
      payload ??= parseJson(signed);
      if (payload === undefined) return reject('PAYLOAD_INVALID', 'the payload is not valid JSON', verifiedFields);

      const normalized = normalizeGogsHook(hook.event, payload);
      if (normalized.outcome === 'invalid') {
        return reject('PAYLOAD_INVALID', `the ${hook.event} payload is not what Gogs sends`, verifiedFields, normalized.problems);
      }
      if (normalized.outcome === 'event' && normalized.event.repo.gogsId !== gogsId) {
        return reject('PAYLOAD_INVALID', 'the payload names another repository than the hook URL', verifiedFields);
      }

      const stored = await deps.deliveries.record({
        deliveryId,
        repoId: keys.repoId,
        event: hook.event,
        kind: normalized.outcome === 'event' ? normalized.event.kind : null,
        action: normalized.outcome === 'event' ? normalized.event.action : null,
        ref: normalized.outcome === 'event' ? normalized.event.ref : '',
        after: normalized.outcome === 'event' ? normalized.event.after : '',
        headers: JSON.stringify({
          'X-Gogs-Event': hook.event,
          'X-Gogs-Delivery': deliveryId,
          'X-Gogs-Signature': hook.signature,
          'Content-Type': hook.contentType ?? '',
          'User-Agent': hook.userAgent ?? '',
        }),
        body,
        synthetic: false,
        status: normalized.outcome === 'event' ? 'pending' : 'ignored',
        statusReason: normalized.outcome === 'ignored' ? normalized.reason : null,
        receivedAt: deps.clock.now(),
      });

      if (stored === 'duplicate') {
        counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'duplicate' });
        logger.info('inbox: duplicate delivery, already stored', verifiedFields);
        return { outcome: 'duplicate', deliveryId };
      }
      if (normalized.outcome === 'ignored') {
        counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'ignored' });
        logger.info(`inbox: ignored delivery: ${normalized.reason}`, verifiedFields);
        return { outcome: 'ignored', deliveryId, reason: normalized.reason };
      }
      counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'accepted' });
      logger.debug('inbox: stored delivery', { ...verifiedFields, kind: normalized.event.kind });
      return { outcome: 'accepted', deliveryId, kind: normalized.event.kind };
    },
  };
}

/** The bytes Gogs signed: the body for JSON hooks, the decoded `payload` field for form hooks. */
function signedBytes(hook: InboundHook): Uint8Array | null {
  if (!hook.contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) return hook.body;
  const payload = new URLSearchParams(Buffer.from(hook.body).toString('utf8')).get('payload');
  return payload === null ? null : Buffer.from(payload, 'utf8');
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}
