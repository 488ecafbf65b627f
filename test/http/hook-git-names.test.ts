/** Security: a signed delivery naming a ref or a commit git would misread is refused with the problem, not stored. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { fixtureJson } from '../support/gogs-fixtures.ts';
import { createHookTestApp, type ErrorAnswer, type HookTestApp } from '../support/hook-app.ts';

const push = fixtureJson<Record<string, unknown>>('push_signed.json');
const headers = fixtureJson<Record<string, string>>('push_signed.headers.json');
const pullRequest = fixtureJson<{ pull_request: Record<string, unknown> }>('pull_request_closed.json');

describe('POST /hook refuses git names and SHAs that git would misread', () => {
  let t: HookTestApp;
  beforeEach(async () => {
    t = await createHookTestApp();
    await t.enableRepo({ gogsId: 6, fullName: 'maarten/webhook-test', secret: 'letmein' });
  });
  afterEach(() => t.dispose());

  async function deliver(event: string, payload: unknown) {
    const body = JSON.stringify(payload);
    const response = await t.app.request('/hook?repo=6', {
      method: 'POST',
      body,
      headers: { ...headers, 'X-Gogs-Event': event, 'X-Gogs-Signature': signGogsPayload(body, 'letmein') },
    });
    return { status: response.status, answer: (await response.json()) as ErrorAnswer };
  }

  it('a push of a branch named like an option: 400 naming the problem, nothing stored', async () => {
    const { status, answer } = await deliver('push', {
      ...push,
      ref: 'refs/heads/--upload-pack=touch /tmp/x;',
    });
    expect(status).toBe(400);
    expect(answer.error.code).toBe('PAYLOAD_INVALID');
    expect(answer.error.problems).toEqual(['ref: not a valid ref: starts with "-"']);
    expect(await t.stores.deliveries.list({ limit: 10 })).toEqual([]);
  });

  it('a merged pull request whose merge commit is not a SHA: 400, nothing stored', async () => {
    const payload = {
      ...pullRequest,
      repository: push.repository,
      pull_request: { ...pullRequest.pull_request, merged: true, merge_commit_sha: '--upload-pack=x' },
    };
    const { status, answer } = await deliver('pull_request', payload);
    expect(status).toBe(400);
    expect(answer.error.problems).toEqual([
      'pull_request.merge_commit_sha: not a valid commit SHA: expected a full commit SHA (40 or 64 lowercase hex characters)',
    ]);
    expect(await t.stores.deliveries.list({ limit: 10 })).toEqual([]);
  });

  it('an open pull request without a merge commit is still stored', async () => {
    const opened = fixtureJson<Record<string, unknown>>('pull_request_opened.json');
    const payload = { ...opened, repository: push.repository };
    const { status } = await deliver('pull_request', payload);
    expect(status).toBe(202);
    expect(await t.stores.deliveries.list({ limit: 10 })).toHaveLength(1);
  });
});
