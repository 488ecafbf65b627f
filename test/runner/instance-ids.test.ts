import { describe, expect, it } from 'vitest';
import type { Instance } from '../../sidecar/core/index.ts';
import { newInstanceId } from '../../sidecar/runner/index.ts';
import { livenessOf } from '../../sidecar/runner/instance-ids.ts';

const NOW = 1_800_000_000_000;

function row(id: string, heartbeatAgoMs: number, stopped = false, hostname = 'ci-1', pid = 4242): Instance {
  return {
    id,
    hostname,
    pid,
    startedAt: NOW - 3_600_000,
    heartbeatAt: NOW - heartbeatAgoMs,
    stoppedAt: stopped ? NOW - heartbeatAgoMs : null,
  };
}

const alive = livenessOf({
  known: [
    row('serve-ci-1-10-aaaa0000', 5_000),
    row('serve-ci-1-11-bbbb0000', 120_000),
    row('serve-ci-2-12-cccc0000', 1_000, true),
    row('serve-ci-1-13-dddd0000', 1_000, false, 'ci-1', 13),
    row('serve-ci-3-14-eeee0000', 1_000, false, 'ci-3', 14),
  ],
  now: NOW,
  staleAfterMs: 60_000,
  hostname: 'ci-1',
  processAlive: (pid) => pid === 4242,
});

describe('whether the owner of labelled resources still lives', () => {
  it('judges sidecars by their heartbeat and their clean stop', () => {
    expect(alive('serve-ci-1-10-aaaa0000')).toBe(true);
    expect(alive('serve-ci-1-11-bbbb0000')).toBe(false);
    expect(alive('serve-ci-2-12-cccc0000')).toBe(false);
  });

  it('judges a sidecar of this host by its process too, so a killed one is dead before its heartbeat is stale', () => {
    expect(alive('serve-ci-1-13-dddd0000')).toBe(false);
    expect(alive('serve-ci-3-14-eeee0000')).toBe(true);
  });

  it('judges exec runs of this host by their process, and leaves other hosts alone', () => {
    expect(alive('exec-ci-1-4242-0123abcd')).toBe(true);
    expect(alive('exec-ci-1-4243-0123abcd')).toBe(false);
    expect(alive('exec-laptop-4243-0123abcd')).toBe(true);
  });

  it('never declares an owner it cannot judge dead', () => {
    expect(alive('serve-elsewhere-1-deadbeef')).toBe(true);
    expect(alive('test-recovery-1234abcd')).toBe(true);
  });

  it('makes ids that it can read back, for hosts whose names have dashes', () => {
    const id = newInstanceId('exec', 'build-host-3', 4243);
    expect(id).toMatch(/^exec-build-host-3-4243-[0-9a-f]{8}$/);
    const judge = livenessOf({
      known: [],
      now: NOW,
      staleAfterMs: 1,
      hostname: 'build-host-3',
      processAlive: () => false,
    });
    expect(judge(id)).toBe(false);
    expect(newInstanceId('exec', 'build-host-3', 4243)).not.toBe(id);
  });
});
