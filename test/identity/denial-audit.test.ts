/**
 * The denial recorder: the first denial of a kind is written at once, its repeats within the window are counted
 * and written as one row with the count once the window is over; other kinds are their own.
 */
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type AuditEvent, type AuditLog, type AuditRecord } from '../../sidecar/core/index.ts';
import { createDenialRecorder, DENIAL_WINDOW_MS } from '../../sidecar/identity/denial-audit.ts';
import { manualClock } from '../support/workload-issuer.ts';

function memoryAudit() {
  const events: AuditEvent[] = [];
  const log: AuditLog = {
    record: async (event) => {
      events.push(event);
      return {} as AuditRecord;
    },
  };
  return { log, events };
}

const denial = (target: string, rule = 'private'): AuditEvent => ({
  actor: ANONYMOUS,
  action: 'policy.deny',
  target,
  decision: 'deny',
  detail: { action: 'view', rule, reason: 'sign in' },
});

describe('repeated denials', () => {
  it('are one row at once and one with their count after the window', async () => {
    const clock = manualClock(1_000_000);
    const audit = memoryAudit();
    const recorder = createDenialRecorder({ audit: audit.log, clock });
    for (let i = 0; i < 40; i++) await recorder.record(denial('acme/app'));
    await recorder.record(denial('acme/lib'));
    await recorder.record(denial('acme/app', 'another-rule'));
    expect(audit.events.map((event) => [event.target, event.detail?.rule, event.detail?.repeated])).toEqual([
      ['acme/app', 'private', undefined],
      ['acme/lib', 'private', undefined],
      ['acme/app', 'another-rule', undefined],
    ]);

    await recorder.flush();
    expect(audit.events).toHaveLength(3);
    clock.advance(DENIAL_WINDOW_MS);
    await recorder.flush();
    expect(audit.events.slice(3).map((event) => [event.target, event.detail?.repeated])).toEqual([
      ['acme/app', 39],
    ]);
    expect(audit.events[3]?.detail?.firstAt).toBe(1_000_000);

    // A new window starts with a row of its own.
    await recorder.record(denial('acme/app'));
    expect(audit.events).toHaveLength(5);
  });

  it('write the count of the last window with the next denial when no flush came between', async () => {
    const clock = manualClock(5_000);
    const audit = memoryAudit();
    const recorder = createDenialRecorder({ audit: audit.log, clock });
    await recorder.record(denial('acme/app'));
    await recorder.record(denial('acme/app'));
    await recorder.record(denial('acme/app'));
    clock.advance(DENIAL_WINDOW_MS + 1);
    await recorder.record(denial('acme/app'));
    expect(audit.events.map((event) => event.detail?.repeated)).toEqual([undefined, 2, undefined]);
  });
});
