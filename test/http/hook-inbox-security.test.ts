import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';
import { createHookTestApp, type ErrorAnswer, type HookTestApp } from '../support/hook-app.ts';

const signedBody = fixtureBytes('push_signed.json');
const headers = fixtureJson<Record<string, string>>('push_signed.headers.json');

/** Every refusal: the right status and code, a clear message, nothing stored, a counter and a log line. */
describe('POST /hook refuses bad input and stores nothing', () => {
  let t: HookTestApp;
  beforeEach(async () => {
    t = await createHookTestApp({ maxHookBodyBytes: 64 * 1024 });
    await t.enableRepo({ gogsId: 6, fullName: 'maarten/webhook-test', secret: 'letmein' });
  });
  afterEach(() => t.dispose());

  async function expectRefused(
    request: { body: Uint8Array | string; headers: Record<string, string>; query?: string },
    status: number,
    code: string,
    message: RegExp,
  ) {
    const response = await t.app.request(`/hook${request.query ?? ''}`, {
      method: 'POST',
      body: request.body,
      headers: request.headers,
    });
    expect(response.status).toBe(status);
    const answer = (await response.json()) as ErrorAnswer;
    expect(answer.error.code).toBe(code);
    expect(answer.error.message).toMatch(message);
    expect(answer.error.requestId).toMatch(/.+/);
    expect(await t.stores.deliveries.list({ limit: 10 })).toHaveLength(0);
    return answer;
  }

  it('a missing signature: 401', async () => {
    const { 'X-Gogs-Signature': _, ...unsigned } = headers;
    await expectRefused(
      { body: signedBody, headers: unsigned },
      401,
      'SIGNATURE_MISSING',
      /X-Gogs-Signature/,
    );
  });

  it('an empty signature (a hook without a secret): 401', async () => {
    await expectRefused(
      { body: signedBody, headers: { ...headers, 'X-Gogs-Signature': '' } },
      401,
      'SIGNATURE_MISSING',
      /secret/,
    );
  });

  it('a wrong signature: 401, counted and logged without the secret', async () => {
    await expectRefused(
      { body: signedBody, headers: { ...headers, 'X-Gogs-Signature': signGogsPayload(signedBody, 'guess') } },
      401,
      'SIGNATURE_INVALID',
      /does not match/,
    );
    expect(t.counters.snapshot()).toContainEqual({
      name: 'drone_gogs_hook_deliveries_total',
      labels: { outcome: 'rejected', code: 'SIGNATURE_INVALID' },
      value: 1,
    });
    expect(
      t.logLines.some((line) => line.includes('SIGNATURE_INVALID') && line.includes('maarten/webhook-test')),
    ).toBe(true);
    expect(t.logLines.join('\n')).not.toContain('letmein');
  });

  it('an unknown repository: 401', async () => {
    const body = fixtureBytes('push.json');
    await expectRefused(
      { body, headers: { ...headers, 'X-Gogs-Signature': signGogsPayload(body, 'letmein') } },
      401,
      'REPO_UNKNOWN',
      /not enabled/,
    );
  });

  it('a disabled repository: 401, even with the right signature', async () => {
    const repo = (await t.stores.repos.findByGogsId(6))!;
    await t.stores.repos.update(repo.id, { active: false });
    await expectRefused({ body: signedBody, headers, query: '?repo=6' }, 401, 'REPO_INACTIVE', /disabled/);
  });

  it('a body over the cap: 413, announced or streamed', async () => {
    const huge = Buffer.alloc(65 * 1024, 0x20);
    await expectRefused({ body: huge, headers }, 413, 'PAYLOAD_TOO_LARGE', /exceeds 65536 bytes/);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 70; i++) controller.enqueue(new Uint8Array(1024));
        controller.close();
      },
    });
    const response = await t.app.request('/hook', {
      method: 'POST',
      body: stream,
      headers,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('malformed JSON with a valid signature: 400', async () => {
    const body = '{"ref": "refs/heads/master", ';
    await expectRefused(
      {
        body,
        headers: { ...headers, 'X-Gogs-Signature': signGogsPayload(body, 'letmein') },
        query: '?repo=6',
      },
      400,
      'PAYLOAD_INVALID',
      /not valid JSON/,
    );
  });

  it('malformed JSON without a repository hint: 400, nothing verified or stored', async () => {
    await expectRefused({ body: 'not json', headers }, 400, 'PAYLOAD_INVALID', /which repository/);
  });

  it('invalid UTF-8 with a valid signature: 400', async () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    await expectRefused(
      {
        body,
        headers: { ...headers, 'X-Gogs-Signature': signGogsPayload(body, 'letmein') },
        query: '?repo=6',
      },
      400,
      'PAYLOAD_INVALID',
      /UTF-8/,
    );
  });

  it('a signed payload that is not what Gogs sends: 400 with every problem', async () => {
    const body = JSON.stringify({
      ref: 'refs/heads/x',
      after: 'xyz',
      repository: { id: 6, full_name: 'maarten/webhook-test' },
    });
    const answer = await expectRefused(
      { body, headers: { ...headers, 'X-Gogs-Signature': signGogsPayload(body, 'letmein') } },
      400,
      'PAYLOAD_INVALID',
      /push payload/,
    );
    expect(answer.error.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^after/), expect.stringMatching(/^sender/)]),
    );
  });

  it('a payload for another repository than the hook URL says: 400', async () => {
    const body = fixtureBytes('push.json');
    await expectRefused(
      {
        body,
        headers: { ...headers, 'X-Gogs-Signature': signGogsPayload(body, 'letmein') },
        query: '?repo=6',
      },
      400,
      'PAYLOAD_INVALID',
      /another repository/,
    );
  });

  it('missing event or delivery headers, or a hostile delivery id: 400', async () => {
    const { 'X-Gogs-Event': _, ...noEvent } = headers;
    await expectRefused({ body: signedBody, headers: noEvent }, 400, 'BAD_REQUEST', /X-Gogs-Event/);
    const { 'X-Gogs-Delivery': __, ...noDelivery } = headers;
    await expectRefused({ body: signedBody, headers: noDelivery }, 400, 'BAD_REQUEST', /X-Gogs-Delivery/);
    await expectRefused(
      { body: signedBody, headers: { ...headers, 'X-Gogs-Delivery': '../../etc/passwd\u001b[31m' } },
      400,
      'BAD_REQUEST',
      /X-Gogs-Delivery/,
    );
  });

  it('ANSI and newlines in headers cannot forge log lines', async () => {
    const { 'X-Gogs-Event': _, ...rest } = headers;
    await t.app.request('/hook', {
      method: 'POST',
      body: signedBody,
      headers: { ...rest, 'X-Gogs-Delivery': 'x\u001b[2J' },
    });
    expect(t.logLines.join('\n')).not.toContain('\u001b');
  });
});
