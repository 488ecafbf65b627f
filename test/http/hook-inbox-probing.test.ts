import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hookSecretPlace, previousHookSecretPlace } from '../../sidecar/core/index.ts';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';
import { createHookTestApp, type HookTestApp } from '../support/hook-app.ts';

const signedBody = fixtureBytes('push_signed.json');
const headers = fixtureJson<Record<string, string>>('push_signed.headers.json');

/** The waits of the secret cache between rechecks, ended by the test instead of a timer. */
function heldWaits() {
  const held: (() => void)[] = [];
  return {
    wait: () => new Promise<void>((resolve) => held.push(resolve)),
    /** Ends every wait so far: the recheck interval has passed. */
    pass() {
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

/**
 * Strangers probing the inbox with bad signatures or unknown repository ids decide neither how often the
 * database is read nor how often a secret is decrypted; Gogs' correctly signed deliveries never wait for them.
 * Reads and decryptions are counted at the repository store and the cipher the inbox is given.
 */
describe('POST /hook under probing', () => {
  let t: HookTestApp;
  let interval: ReturnType<typeof heldWaits>;
  beforeEach(async () => {
    interval = heldWaits();
    t = await createHookTestApp({ secretRecheckWait: interval.wait });
    await t.enableRepo({ gogsId: 6, fullName: 'maarten/webhook-test', secret: 'letmein' });
  });
  afterEach(async () => {
    interval.pass();
    await t.dispose();
  });

  const post = (deliveryId: string, secret: string, query = '') =>
    t.app.request(`/hook${query}`, {
      method: 'POST',
      body: signedBody,
      headers: {
        ...headers,
        'X-Gogs-Delivery': deliveryId,
        'X-Gogs-Signature': signGogsPayload(signedBody, secret),
      },
    });
  const rechecks = () => t.logLines.filter((line) => line.includes('reading the secrets again')).length;
  const statuses = async (answers: Promise<Response[]>) => (await answers).map((answer) => answer.status);

  it('wrong signatures read the secrets once per recheck interval, however many arrive, and never decrypt them again', async () => {
    const wave = (name: string) =>
      Promise.all(Array.from({ length: 40 }, (_, i) => post(`${name}-${i}`, `guess-${i}`)));
    const first = wave('a');
    await vi.waitFor(() => expect(rechecks()).toBe(40), { timeout: 10_000 });
    expect(t.counts).toEqual({ reads: 1, decryptions: 1 });
    interval.pass();
    expect(await statuses(first)).toEqual(Array(40).fill(401));
    expect(t.counts).toEqual({ reads: 2, decryptions: 1 });

    const second = wave('b');
    await vi.waitFor(() => expect(rechecks()).toBe(80), { timeout: 10_000 });
    interval.pass();
    expect(await statuses(second)).toEqual(Array(40).fill(401));
    expect(t.counts).toEqual({ reads: 3, decryptions: 1 });
  });

  it('unknown repository ids are cached too', async () => {
    const probes = Promise.all(Array.from({ length: 40 }, (_, i) => post(`u-${i}`, 'letmein', '?repo=99')));
    await vi.waitFor(() => expect(rechecks()).toBe(40), { timeout: 10_000 });
    interval.pass();
    expect(await statuses(probes)).toEqual(Array(40).fill(401));
    expect(t.counts).toEqual({ reads: 2, decryptions: 0 });
  });

  it('a correctly signed delivery is not held up while bad ones wait for the recheck', async () => {
    const probes = Promise.all(Array.from({ length: 10 }, (_, i) => post(`p-${i}`, `guess-${i}`)));
    await vi.waitFor(() => expect(rechecks()).toBe(10), { timeout: 10_000 });
    expect((await post('gogs-1', 'letmein')).status).toBe(202);
    expect(t.counts).toEqual({ reads: 1, decryptions: 1 });
    interval.pass();
    expect(await statuses(probes)).toEqual(Array(10).fill(401));
  });

  it('a secret another process rotated is read at the next recheck, and only the new value is decrypted', async () => {
    expect((await post('before', 'letmein')).status).toBe(202);
    const repo = (await t.stores.repos.findByGogsId(6))!;
    await t.stores.repos.update(repo.id, {
      hookSecret: t.cipher.encrypt('rotated', hookSecretPlace(6)),
      previousHookSecret: t.cipher.encrypt('letmein', previousHookSecretPlace(6)),
      previousHookSecretUntil: Date.parse('2026-11-25T13:00:00Z'),
    });
    const signedWithNew = post('after', 'rotated');
    await vi.waitFor(() => expect(rechecks()).toBe(1), { timeout: 10_000 });
    interval.pass();
    expect((await signedWithNew).status).toBe(202);
    expect((await post('queued-before', 'letmein')).status).toBe(202);
    expect(t.counts).toEqual({ reads: 2, decryptions: 3 });
  });

  it('a previous secret whose grace period ended does not send every delivery to the database', async () => {
    const repo = (await t.stores.repos.findByGogsId(6))!;
    await t.stores.repos.update(repo.id, {
      previousHookSecret: t.cipher.encrypt('old', previousHookSecretPlace(6)),
      previousHookSecretUntil: Date.parse('2026-11-25T11:00:00Z'),
    });
    for (let i = 0; i < 5; i++) expect((await post(`d-${i}`, 'letmein')).status).toBe(202);
    expect(t.counts).toEqual({ reads: 1, decryptions: 1 });
  });

  it('probing many unknown repository ids does not evict the known ones', async () => {
    const small = await createHookTestApp({ secretCacheEntries: 4 });
    try {
      await small.enableRepo({ gogsId: 6, fullName: 'maarten/webhook-test', secret: 'letmein' });
      const deliver = (deliveryId: string, query = '') =>
        small.app.request(`/hook${query}`, {
          method: 'POST',
          body: signedBody,
          headers: { ...headers, 'X-Gogs-Delivery': deliveryId },
        });
      expect((await deliver('first')).status).toBe(202);
      for (let id = 100; id < 120; id++)
        expect((await deliver(`probe-${id}`, `?repo=${id}`)).status).toBe(401);
      const readsAfterProbing = small.counts.reads;
      expect((await deliver('second')).status).toBe(202);
      expect(small.counts.reads).toBe(readsAfterProbing);
    } finally {
      await small.dispose();
    }
  });
});
