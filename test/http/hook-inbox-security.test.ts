import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookSecretPlace } from '../../sidecar/core/index.ts';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
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

  /** Everything a stranger sees of an answer, with the request id pinned so that answers can be compared. */
  async function answerSeen(request: {
    body: Uint8Array | string;
    headers: Record<string, string>;
    query?: string;
  }) {
    const response = await t.app.request(`/hook${request.query ?? ''}`, {
      method: 'POST',
      body: request.body,
      headers: { ...request.headers, 'X-Request-Id': 'probe' },
    });
    return { status: response.status, headers: [...response.headers], body: await response.text() };
  }

  it('an unknown or disabled repository and a missing or wrong signature get one identical 401; the log says which', async () => {
    await t.enableRepo({ gogsId: 7, fullName: 'maarten/sleeping', secret: 'letmein', active: false });
    const { 'X-Gogs-Signature': _, ...unsigned } = headers;
    const wrong = signGogsPayload(signedBody, 'guess');
    const cases = [
      {
        reason: 'SIGNATURE_INVALID',
        request: { body: signedBody, headers: { ...headers, 'X-Gogs-Signature': wrong } },
      },
      { reason: 'SIGNATURE_MISSING', request: { body: signedBody, headers: unsigned } },
      {
        reason: 'SIGNATURE_MISSING',
        request: { body: signedBody, headers: { ...headers, 'X-Gogs-Signature': '' } },
      },
      { reason: 'REPO_UNKNOWN', request: { body: signedBody, headers, query: '?repo=99' } },
      { reason: 'REPO_UNKNOWN', request: { body: fixtureBytes('push.json'), headers } },
      { reason: 'REPO_INACTIVE', request: { body: signedBody, headers, query: '?repo=7' } },
      {
        reason: 'SIGNATURE_INVALID',
        request: { body: signedBody, headers: { ...headers, 'X-Gogs-Signature': wrong }, query: '?repo=7' },
      },
    ];
    const first = await answerSeen(cases[0]!.request);
    expect(first.status).toBe(401);
    expect(JSON.parse(first.body)).toEqual({
      error: {
        code: 'UNAUTHORIZED',
        message: 'the delivery is not signed with the hook secret of a repository enabled in drone-gogs',
        requestId: 'probe',
      },
    });
    for (const { reason, request } of cases) {
      const logged = t.logLines.length;
      expect(await answerSeen(request)).toEqual(first);
      const line = t.logLines.slice(logged).join('\n');
      expect(line).toContain(`code=${reason}`);
      if (request.query === '?repo=7') expect(line).toContain('maarten/sleeping');
    }
    expect(await t.stores.deliveries.list({ limit: 10 })).toHaveLength(0);
    expect(t.logLines.join('\n')).not.toContain('letmein');
    expect(t.counters.snapshot()).toContainEqual({
      name: 'drone_gogs_hook_deliveries_total',
      labels: { outcome: 'rejected', code: 'SIGNATURE_INVALID' },
      value: 3,
    });
  });

  it('a secret that cannot be decrypted: 500 saying where to look, the detail only in the log', async () => {
    const other = createSecretCipher(randomBytes(32));
    const repo = await t.stores.repos.findByGogsId(6);
    await t.stores.repos.update(repo!.id, { hookSecret: other.encrypt('letmein', hookSecretPlace(6)) });
    const answer = await expectRefused({ body: signedBody, headers }, 500, 'DECRYPT_FAILED', /request id/);
    // The key ids and the row are for the admin, not for whoever sent the request.
    expect(answer.error.message).not.toMatch(/key|repos\.|hook_secret|\b6\b/);
    expect(t.logLines.join('\n')).toMatch(/DECRYPT_FAILED|decrypt/i);
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
