import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookSecretPlace, previousHookSecretPlace } from '../../sidecar/core/index.ts';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';
import { createHookTestApp, type ErrorAnswer, type HookTestApp } from '../support/hook-app.ts';

const signedBody = fixtureBytes('push_signed.json');
const recordedHeaders = fixtureJson<Record<string, string>>('push_signed.headers.json');

function post(t: HookTestApp, body: Uint8Array | string, headers: Record<string, string>, query = '') {
  return t.app.request(`/hook${query}`, { method: 'POST', body, headers });
}

describe('POST /hook with real recorded deliveries', () => {
  let t: HookTestApp;
  beforeEach(async () => {
    t = await createHookTestApp();
    await t.enableRepo({ gogsId: 6, fullName: 'maarten/webhook-test', secret: 'letmein' });
  });
  afterEach(() => t.dispose());

  it('stores the real push once however often it is sent, answering 202 then 200', async () => {
    const first = await post(t, signedBody, recordedHeaders);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ delivery: recordedHeaders['X-Gogs-Delivery'], status: 'queued' });
    for (let i = 0; i < 3; i++) {
      const again = await post(t, signedBody, recordedHeaders);
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ status: 'duplicate' });
    }
    const stored = await t.stores.deliveries.list({ limit: 10 });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      deliveryId: recordedHeaders['X-Gogs-Delivery'],
      event: 'push',
      kind: 'push',
      ref: 'refs/heads/master',
      after: '0991f94731e43c58d08a3facbb6e223c5e548f38',
      status: 'pending',
      synthetic: false,
    });
    expect(Buffer.from(stored[0]!.body, 'utf8').equals(signedBody)).toBe(true);
  });

  it('concurrent copies of one delivery are stored once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(t, signedBody, recordedHeaders)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(19);
    expect(await t.stores.deliveries.list({ limit: 50 })).toHaveLength(1);
  });

  it('many different concurrent deliveries are all stored (group commit)', async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(t, signedBody, { ...recordedHeaders, 'X-Gogs-Delivery': `d-${i}` }),
      ),
    );
    expect(responses.every((response) => response.status === 202)).toBe(true);
    expect(await t.stores.deliveries.list({ limit: 500 })).toHaveLength(200);
  });

  it('finds the repository from the ?repo= of the hook URL, or from the payload', async () => {
    const viaQuery = await post(t, signedBody, { ...recordedHeaders, 'X-Gogs-Delivery': 'q1' }, '?repo=6');
    expect(viaQuery.status).toBe(202);
    const wrongQuery = await post(t, signedBody, { ...recordedHeaders, 'X-Gogs-Delivery': 'q2' }, '?repo=7');
    expect(wrongQuery.status).toBe(401);
    expect(((await wrongQuery.json()) as ErrorAnswer).error.code).toBe('UNAUTHORIZED');
    expect(t.logLines.some((line) => line.includes('code=REPO_UNKNOWN') && line.includes('q2'))).toBe(true);
  });

  it('verifies form-encoded hooks over the decoded payload field', async () => {
    const json = signedBody.toString('utf8');
    const form = `payload=${encodeURIComponent(json).replace(/%20/g, '+')}`;
    const response = await post(t, form, {
      ...recordedHeaders,
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Gogs-Delivery': 'form-1',
    });
    expect(response.status).toBe(202);
    const stored = await t.stores.deliveries.findByDeliveryId('form-1');
    expect(stored?.body).toBe(json);
  });

  it('ignores issue events with a reason, stored once, answered 200', async () => {
    await t.enableRepo({ gogsId: 61, fullName: 'gogits/hello-world', secret: 's3cret' });
    const body = fixtureBytes('issues_opened.json');
    const headers = {
      'X-Gogs-Event': 'issues',
      'X-Gogs-Delivery': 'issue-1',
      'X-Gogs-Signature': signGogsPayload(body, 's3cret'),
      'Content-Type': 'application/json',
    };
    const response = await post(t, body, headers);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ignored',
      reason: 'issue events do not start builds',
    });
    expect((await t.stores.deliveries.findByDeliveryId('issue-1'))?.status).toBe('ignored');
    expect((await post(t, body, headers)).status).toBe(200);
  });

  it('accepts the previous secret during the grace period after a rotation, and not after', async () => {
    const repo = (await t.stores.repos.findByGogsId(6))!;
    await t.stores.repos.update(repo.id, {
      hookSecret: t.cipher.encrypt('brand-new', hookSecretPlace(6)),
      previousHookSecret: t.cipher.encrypt('letmein', previousHookSecretPlace(6)),
      previousHookSecretUntil: Date.parse('2026-11-25T13:00:00Z'),
    });
    expect((await post(t, signedBody, { ...recordedHeaders, 'X-Gogs-Delivery': 'g1' })).status).toBe(202);
    t.advance(2 * 3600 * 1000);
    const late = await post(t, signedBody, { ...recordedHeaders, 'X-Gogs-Delivery': 'g2' });
    expect(late.status).toBe(401);
    expect(((await late.json()) as ErrorAnswer).error.code).toBe('UNAUTHORIZED');
    expect(t.logLines.some((line) => line.includes('code=SIGNATURE_INVALID') && line.includes('g2'))).toBe(
      true,
    );
  });

  it('sees a secret rotated by another process at once, without waiting for the cache', async () => {
    expect((await post(t, signedBody, { ...recordedHeaders, 'X-Gogs-Delivery': 'c1' })).status).toBe(202);
    const repo = (await t.stores.repos.findByGogsId(6))!;
    await t.stores.repos.update(repo.id, { hookSecret: t.cipher.encrypt('two', hookSecretPlace(6)) });
    const resigned = {
      ...recordedHeaders,
      'X-Gogs-Delivery': 'c2',
      'X-Gogs-Signature': signGogsPayload(signedBody, 'two'),
    };
    expect((await post(t, signedBody, resigned)).status).toBe(202);
    const stale = { ...recordedHeaders, 'X-Gogs-Delivery': 'c3' };
    expect((await post(t, signedBody, stale)).status).toBe(401);
  });
});
