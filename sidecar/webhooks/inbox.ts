import { randomBytes } from 'node:crypto';
import type { Counters, ErrorCode, HookEvent, LogFields, Logger } from '../core/index.ts';
import { matchGogsSignature, repositoryLocatorSchema } from '../gogs/index.ts';
import type { HookSecretResolver, RepoHookKeys } from './hook-secrets.ts';
import type { DeliveryIntake } from './intake.ts';

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

/**
 * The one answer to a stranger: an unknown or disabled repository, a missing or wrong signature all look
 * alike from outside; the log line and the counter say which it was.
 */
const REFUSED = 'the delivery is not signed with the hook secret of a repository enabled in drone-gogs';

/**
 * The gate of POST /hook: checks the headers, finds the repository, verifies the signature against its
 * secrets (current, then the previous one during a rotation), then whether the repository is enabled, and
 * hands what passed to the intake. Every refusal is a counter and a log line, and nothing is stored.
 */
export function createInbox(deps: {
  secrets: HookSecretResolver;
  intake: DeliveryIntake;
  logger: Logger;
  counters: Counters;
  /** Called once a delivery is stored, so that its build starts without waiting for the next poll. */
  onAccepted?: () => void;
}): Inbox {
  const { logger, counters } = deps;
  // A repository without secrets still costs an HMAC, so that its answer takes as long as a wrong signature's.
  const standIn = [randomBytes(32).toString('hex')];

  const reject = (code: ErrorCode, message: string, fields: LogFields, problems?: string[]): InboxOutcome => {
    counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'rejected', code });
    logger.warn(`inbox: rejected delivery: ${message}`, { code, ...fields });
    return problems
      ? { outcome: 'rejected', code, message, problems }
      : { outcome: 'rejected', code, message };
  };

  const refuse = (reason: ErrorCode, detail: string, fields: LogFields): InboxOutcome => {
    counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'rejected', code: reason });
    logger.warn(`inbox: refused delivery: ${detail}`, { code: reason, ...fields });
    return { outcome: 'rejected', code: 'UNAUTHORIZED', message: REFUSED };
  };

  return {
    async receive(hook) {
      const deliveryId = hook.deliveryId?.trim() ?? '';
      const fields: LogFields = { delivery: deliveryId || undefined, event: hook.event };
      if (!hook.event)
        return reject('BAD_REQUEST', 'missing X-Gogs-Event header; is this request from Gogs?', fields);
      if (!DELIVERY_ID.test(deliveryId)) {
        return reject('BAD_REQUEST', 'missing or malformed X-Gogs-Delivery header', fields);
      }
      if (!hook.signature?.trim()) {
        return refuse(
          'SIGNATURE_MISSING',
          'missing X-Gogs-Signature: the Gogs hook has no secret; run `drone-gogs repo repair` to re-register it',
          fields,
        );
      }

      const signed = signedBytes(hook);
      if (signed === null) return reject('BAD_REQUEST', 'form-encoded hook without a payload field', fields);

      const gogsId = hook.repoHint === undefined ? locateRepository(signed) : Number(hook.repoHint);
      if (!Number.isSafeInteger(gogsId) || gogsId <= 0) {
        return reject('PAYLOAD_INVALID', 'cannot tell which repository this delivery is for', fields);
      }
      fields.gogs_repo_id = gogsId;

      const signature = hook.signature;
      const match = (keys: RepoHookKeys | null) => {
        if (keys?.secrets.length) return matchGogsSignature(signed, signature, keys.secrets);
        matchGogsSignature(signed, signature, standIn);
        return -1;
      };
      let keys = await deps.secrets.forGogsRepo(gogsId);
      let matched = match(keys);
      if (matched < 0) {
        logger.debug('inbox: the signature matches no cached secret; reading the secrets again', fields);
        keys = await deps.secrets.forGogsRepo(gogsId, { recheck: true });
        matched = match(keys);
      }
      if (!keys) return refuse('REPO_UNKNOWN', 'the repository is not enabled in drone-gogs', fields);
      fields.repo = keys.fullName;
      if (matched < 0) {
        const state = keys.active ? '' : ' (and the repository is disabled)';
        return refuse('SIGNATURE_INVALID', `the signature does not match the hook secret${state}`, fields);
      }
      if (!keys.active) return refuse('REPO_INACTIVE', `${keys.fullName} is disabled in drone-gogs`, fields);

      const taken = await deps.intake.take({
        deliveryId,
        event: hook.event,
        repoId: keys.repoId,
        gogsId,
        signed,
        headers: {
          'X-Gogs-Event': hook.event,
          'X-Gogs-Delivery': deliveryId,
          'X-Gogs-Signature': hook.signature,
          'Content-Type': hook.contentType ?? '',
          'User-Agent': hook.userAgent ?? '',
        },
      });
      switch (taken.outcome) {
        case 'invalid':
          return reject('PAYLOAD_INVALID', taken.message, fields, taken.problems);
        case 'duplicate':
          counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'duplicate' });
          logger.info('inbox: duplicate delivery, already stored', fields);
          return { outcome: 'duplicate', deliveryId };
        case 'ignored':
          counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'ignored' });
          logger.info(`inbox: ignored delivery: ${taken.reason}`, fields);
          return { outcome: 'ignored', deliveryId, reason: taken.reason };
        case 'accepted':
          counters.increment('drone_gogs_hook_deliveries_total', { outcome: 'accepted' });
          logger.debug('inbox: stored delivery', { ...fields, kind: taken.kind });
          deps.onAccepted?.();
          return { outcome: 'accepted', deliveryId, kind: taken.kind };
      }
    },
  };
}

/** The bytes Gogs signed: the body for JSON hooks, the decoded `payload` field for form hooks. */
function signedBytes(hook: InboundHook): Uint8Array | null {
  if (!hook.contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) return hook.body;
  const payload = new URLSearchParams(Buffer.from(hook.body).toString('utf8')).get('payload');
  return payload === null ? null : Buffer.from(payload, 'utf8');
}

/** Hooks registered by drone-gogs name their repository in the URL; others only in the (unverified) payload. */
function locateRepository(signed: Uint8Array): number {
  try {
    const located = repositoryLocatorSchema.safeParse(JSON.parse(Buffer.from(signed).toString('utf8')));
    return located.success ? located.data.repository.id : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
