import type { Clock, DeliveryStore, HookEvent } from '../core/index.ts';
import { normalizeGogsHook } from '../gogs/index.ts';

/** A delivery whose signature checked out against the repository's hook secret. */
export interface VerifiedDelivery {
  deliveryId: string;
  event: string;
  repoId: number;
  gogsId: number;
  /** The bytes Gogs signed: the body, or the decoded `payload` field of a form hook. */
  signed: Uint8Array;
  /** The request headers worth keeping (X-Gogs-*, Content-Type, User-Agent). */
  headers: Record<string, string>;
}

export type IntakeOutcome =
  | { outcome: 'accepted'; kind: HookEvent['kind'] }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'invalid'; message: string; problems?: string[] };

/**
 * Takes verified deliveries in: decodes, parses and normalises the payload, and stores it durably (deduped on
 * the delivery id) before resolving. Runs in the HTTP thread or in the intake thread (intake-thread.ts).
 */
export interface DeliveryIntake {
  take(delivery: VerifiedDelivery): Promise<IntakeOutcome>;
  /** Waits for pending deliveries to be stored; later calls are refused. Idempotent. */
  close(): Promise<void>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createDeliveryIntake(deps: { deliveries: DeliveryStore; clock: Clock }): DeliveryIntake {
  return {
    async take(delivery) {
      let body: string;
      try {
        body = utf8.decode(delivery.signed);
      } catch {
        return { outcome: 'invalid', message: 'the payload is not valid UTF-8' };
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        return { outcome: 'invalid', message: 'the payload is not valid JSON' };
      }
      const normalized = normalizeGogsHook(delivery.event, payload);
      if (normalized.outcome === 'invalid') {
        return {
          outcome: 'invalid',
          message: `the ${delivery.event} payload is not what Gogs sends`,
          problems: normalized.problems,
        };
      }
      const event = normalized.outcome === 'event' ? normalized.event : null;
      if (event && event.repo.gogsId !== delivery.gogsId) {
        return { outcome: 'invalid', message: 'the payload names another repository than the hook URL' };
      }
      const stored = await deps.deliveries.record({
        deliveryId: delivery.deliveryId,
        repoId: delivery.repoId,
        event: delivery.event,
        kind: event?.kind ?? null,
        action: event?.action ?? null,
        ref: event?.ref ?? '',
        after: event?.after ?? '',
        headers: JSON.stringify(delivery.headers),
        body,
        synthetic: false,
        status: event ? 'pending' : 'ignored',
        statusReason: normalized.outcome === 'ignored' ? normalized.reason : null,
        receivedAt: deps.clock.now(),
      });
      if (stored === 'duplicate') return { outcome: 'duplicate' };
      if (normalized.outcome === 'ignored') return { outcome: 'ignored', reason: normalized.reason };
      return { outcome: 'accepted', kind: event!.kind };
    },
    close: () => deps.deliveries.close(),
  };
}
