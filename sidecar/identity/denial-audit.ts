/**
 * Refused reads as they reach the audit log: the first of a kind (the same principal refused the same action on the
 * same target by the same rule) is recorded at once; the same denial again within the window is counted, not
 * written, and once the window is over one row says how many times it came again (`detail.repeated`). Without
 * it every anonymous request for a private page (Caddy's forward_auth asks before each one) would append a
 * hash-chained row: a crawler could grow the audit table without bound, and each check would cost a database
 * write. Only the count of the last window before the process stops can be lost; its first row is written.
 */
import type { AuditEvent, AuditLog, Clock, Logger, Principal } from '../core/index.ts';

/** How long a denial stands for its repeats. */
export const DENIAL_WINDOW_MS = 60_000;
/** Kinds remembered at most; past it, the counts so far are written and the memory starts over. */
const MAX_KINDS = 10_000;

export interface DenialRecorder {
  record(event: AuditEvent): Promise<void>;
  /** Writes the count of every window that is over; the recorder's own timer calls it. */
  flush(): Promise<void>;
}

const principalKey = (principal: Principal): string =>
  principal.kind === 'user' ? `user:${principal.login}:${principal.subject ?? ''}` : principal.kind;

export function createDenialRecorder(deps: {
  audit: AuditLog;
  clock: Clock;
  /** Where a failed write of counts is told; nowhere unless given. */
  logger?: Logger;
  windowMs?: number;
}): DenialRecorder {
  const windowMs = deps.windowMs ?? DENIAL_WINDOW_MS;
  const kinds = new Map<string, { event: AuditEvent; since: number; repeated: number }>();
  let timer: NodeJS.Timeout | null = null;

  const writeCount = (kind: { event: AuditEvent; since: number; repeated: number }) =>
    deps.audit.record({
      ...kind.event,
      detail: { ...kind.event.detail, repeated: kind.repeated, firstAt: kind.since },
    });

  const flush = async (all = false) => {
    const now = deps.clock.now();
    for (const [key, kind] of kinds) {
      if (!all && now - kind.since < windowMs && now >= kind.since) continue;
      kinds.delete(key);
      if (kind.repeated > 0) await writeCount(kind);
    }
  };
  const scheduleFlush = () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      flush().then(
        () => {
          if ([...kinds.values()].some((kind) => kind.repeated > 0)) scheduleFlush();
        },
        (error: unknown) => deps.logger?.error(`audit: cannot record repeated denials: ${String(error)}`),
      );
    }, windowMs);
    timer.unref();
  };

  return {
    async record(event) {
      const now = deps.clock.now();
      const key = JSON.stringify([principalKey(event.actor), event.action, event.target, event.detail ?? {}]);
      const kind = kinds.get(key);
      if (kind !== undefined && now - kind.since < windowMs && now >= kind.since) {
        kind.repeated++;
        scheduleFlush();
        return;
      }
      if (kind !== undefined) {
        kinds.delete(key);
        if (kind.repeated > 0) await writeCount(kind);
      }
      if (kinds.size >= MAX_KINDS) await flush(true);
      kinds.set(key, { event, since: now, repeated: 0 });
      await deps.audit.record(event);
    },
    flush: () => flush(),
  };
}
