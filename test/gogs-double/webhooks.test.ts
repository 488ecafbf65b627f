/**
 * Webhook delivery by the Gogs test double, as Gogs' HookTask.deliver does it: headers, body bytes,
 * signatures, FEED_MAX_COMMIT_NUM, which events fire when, serial delivery, time-outs, refused redirects,
 * no retries, redelivery and the local-network allowlist.
 */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BLOCKED_LOCAL_ADDRESS_MESSAGE,
  createGitCli,
  type GogsDouble,
  type GogsDoubleOptions,
  type HookReceiver,
  marshalIndentGo,
  startGogsDouble,
  startHookReceiver,
  ZERO_SHA,
} from '../support/gogs-double/index.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let gogs: GogsDouble;
let receivers: HookReceiver[];

async function setUp(options: GogsDoubleOptions = {}): Promise<HookReceiver> {
  gogs = await startGogsDouble(options);
  gogs.addUser({ username: 'alice', password: 'alice-password', fullName: 'Alice A' });
  await gogs.createRepo({ owner: 'alice', name: 'app', files: { 'README.md': 'hello\n' } });
  return receiver();
}

async function receiver(): Promise<HookReceiver> {
  const started = await startHookReceiver();
  receivers.push(started);
  return started;
}

function push(files: Record<string, string | null>, message = 'Change', branch = 'master') {
  return gogs.pushCommit({ owner: 'alice', name: 'app', branch, files, message });
}

function payloadOf(body: Buffer | string): Record<string, unknown> {
  return JSON.parse(body.toString()) as Record<string, unknown>;
}

beforeEach(() => {
  receivers = [];
});

afterEach(async () => {
  await gogs?.close();
  await Promise.all(receivers.map((started) => started.close()));
});

describe('a delivery on the wire', () => {
  it('sends Gogs’ headers and a signed, Go-indented body without a trailing newline', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, secret: 'shh' });
    const { sha, deliveries } = await push({ 'page.html': '<b>&</b>' }, 'Add <page> & more');
    const [request] = target.received;
    expect(request?.method).toBe('POST');
    const headers = request!.headers;
    expect(headers['x-gogs-event']).toBe('push');
    expect(headers['x-github-event']).toBe('push');
    expect(headers['x-gogs-delivery']).toMatch(UUID_V4);
    expect(headers['x-github-delivery']).toBe(headers['x-gogs-delivery']);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe('GogsServer');
    expect(headers['x-gogs-signature']).toBe(createHmac('sha256', 'shh').update(request!.body).digest('hex'));
    const body = request!.body.toString('utf8');
    expect(body.endsWith('}')).toBe(true);
    expect(body).toContain('"message": "Add \\u003cpage\\u003e \\u0026 more\\n"');
    expect(body).toBe(marshalIndentGo(JSON.parse(body)));
    expect(deliveries[0]).toMatchObject({ id: headers['x-gogs-delivery'], succeeded: true, event: 'push' });
    expect(deliveries[0]?.request.body).toBe(body);
    expect(payloadOf(body)).toMatchObject({ after: sha, commits: [{ id: sha, added: ['page.html'] }] });
  });

  it('sends an empty X-Gogs-Signature when the hook has no secret', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url });
    await push({ 'a.txt': 'a' });
    expect(target.received[0]?.headers['x-gogs-signature']).toBe('');
  });

  it('sends form hooks as payload=<escaped JSON>, signed over the JSON', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, secret: 'shh', contentType: 'form' });
    const { deliveries } = await push({ 'a b.txt': 'x' }, "Don't (panic)*");
    const request = target.received[0]!;
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const body = request.body.toString('utf8');
    expect(body.startsWith('payload=')).toBe(true);
    expect(body).not.toMatch(/[ '()*!]/);
    const json = new URLSearchParams(body).get('payload')!;
    expect(json).toBe(deliveries[0]?.payload);
    expect(request.headers['x-gogs-signature']).toBe(createHmac('sha256', 'shh').update(json).digest('hex'));
  });
});

describe('which events are sent', () => {
  it('lists pushed commits newest first, capped at FEED_MAX_COMMIT_NUM, with their changed files', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url });
    const before = await gogs.branchHead('alice', 'app', 'master');
    const commits = Array.from({ length: 7 }, (_, index) => ({
      files: { [`f${index + 1}.txt`]: 'x', 'README.md': index === 6 ? null : `v${index}` },
      message: `Commit ${index + 1}`,
    }));
    const { sha } = await gogs.pushCommits({ owner: 'alice', name: 'app', branch: 'master', commits });
    const payload = payloadOf(target.received[0]!.body) as {
      before: string;
      after: string;
      compare_url: string;
      commits: { id: string; message: string; added: string[]; removed: string[]; modified: string[] }[];
    };
    expect(payload.before).toBe(before);
    expect(payload.after).toBe(sha);
    expect(payload.compare_url).toBe(`${gogs.url}alice/app/compare/${before}...${sha}`);
    expect(payload.commits.map((commit) => commit.message)).toEqual([
      'Commit 7\n',
      'Commit 6\n',
      'Commit 5\n',
      'Commit 4\n',
      'Commit 3\n',
    ]);
    expect(payload.commits[0]).toMatchObject({
      id: sha,
      added: ['f7.txt'],
      removed: ['README.md'],
      modified: [],
    });
    expect(payload.commits[1]).toMatchObject({ added: ['f6.txt'], removed: [], modified: ['README.md'] });
  });

  it('sends create then push for a new branch, and only delete when it goes', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, events: ['create', 'delete', 'push'] });
    const master = await gogs.branchHead('alice', 'app', 'master');
    const { sha } = await push({ 'b.txt': 'b' }, 'On a branch', 'feature/b');
    await gogs.deleteBranch({ owner: 'alice', name: 'app', branch: 'feature/b' });
    const seen = target.received.map(
      (request) => [request.headers['x-gogs-event'], payloadOf(request.body)] as const,
    );
    expect(seen.map(([event]) => event)).toEqual(['create', 'push', 'delete']);
    expect(seen[0]?.[1]).toMatchObject({
      ref: 'feature/b',
      ref_type: 'branch',
      sha: '',
      default_branch: 'master',
    });
    expect(seen[1]?.[1]).toMatchObject({
      ref: 'refs/heads/feature/b',
      before: ZERO_SHA,
      after: sha,
      compare_url: '',
    });
    const pushed = seen[1]![1] as { commits: { id: string }[] };
    expect(pushed.commits.map((commit) => commit.id)).toEqual([sha, master]);
    expect(seen[2]?.[1]).toMatchObject({ ref: 'feature/b', ref_type: 'branch', pusher_type: 'user' });
  });

  it('sends only create for a tag, with the tag object SHA for an annotated tag', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, events: ['create', 'push'] });
    const master = await gogs.branchHead('alice', 'app', 'master');
    const light = await gogs.createTag({ owner: 'alice', name: 'app', tag: 'v1' });
    const annotated = await gogs.createTag({ owner: 'alice', name: 'app', tag: 'v2', message: 'Two' });
    expect(target.received.map((request) => request.headers['x-gogs-event'])).toEqual(['create', 'create']);
    expect(light.sha).toBe(master);
    expect(annotated.sha).not.toBe(master);
    expect(payloadOf(target.received[1]!.body)).toMatchObject({
      ref: 'v2',
      ref_type: 'tag',
      sha: annotated.sha,
    });
  });

  it('skips inactive hooks and hooks not subscribed to the event', async () => {
    const inactive = await setUp();
    const other = await receiver();
    gogs.addHook({ owner: 'alice', name: 'app', url: inactive.url, active: false });
    gogs.addHook({ owner: 'alice', name: 'app', url: other.url, events: ['release'] });
    const { deliveries } = await push({ 'a.txt': 'a' });
    expect(deliveries).toEqual([]);
    expect([inactive.received.length, other.received.length]).toEqual([0, 0]);
  });

  it('announces pull requests without SHAs, keeps refs/pull/N/head current, and merges for real', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, events: ['pull_request', 'push'] });
    const first = await push({ 'f.txt': '1' }, 'Feature 1', 'feature');
    const opened = await gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'feature',
      title: 'F',
      author: 'alice',
    });
    expect(opened.deliveries[0]?.payload).not.toContain(first.sha);
    expect(payloadOf(opened.deliveries[0]!.payload)).toMatchObject({
      action: 'opened',
      number: 1,
      pull_request: {
        head_branch: 'feature',
        base_branch: 'master',
        merged: false,
        html_url: `${gogs.url}alice/app/pulls/1`,
      },
    });

    const git = await createGitCli();
    try {
      const pullHead = async () => {
        const listed = await git.run(['ls-remote', `${gogs.url}alice/app.git`, 'refs/pull/1/head']);
        return listed.stdout.toString().split('\t')[0];
      };
      expect(await pullHead()).toBe(first.sha);
      const second = await push({ 'f.txt': '2' }, 'Feature 2', 'feature');
      expect(second.deliveries.map((delivery) => delivery.event)).toEqual(['push', 'pull_request']);
      expect(payloadOf(second.deliveries[1]!.payload)).toMatchObject({ action: 'synchronized', number: 1 });
      expect(await pullHead()).toBe(second.sha);
    } finally {
      await git.cleanup();
    }

    const masterBefore = await push({ 'm.txt': 'm' }, 'Meanwhile on master');
    const closed = await gogs.closePullRequest({
      owner: 'alice',
      name: 'app',
      number: 1,
      sender: 'alice',
      merge: true,
    });
    const mergeCommit = await gogs.branchHead('alice', 'app', 'master');
    expect(closed.map((delivery) => delivery.event)).toEqual(['pull_request', 'push']);
    expect(payloadOf(closed[0]!.payload)).toMatchObject({
      action: 'closed',
      pull_request: {
        state: 'closed',
        merged: true,
        merge_commit_sha: mergeCommit,
        merged_by: { username: 'alice' },
      },
    });
    const mergePush = payloadOf(closed[1]!.payload) as {
      before: string;
      after: string;
      commits: { id: string }[];
    };
    expect(mergePush.after).toBe(mergeCommit);
    expect(mergePush.before).toBe(masterBefore.before);
    expect(mergePush.commits.map((commit) => commit.id)).toContain(first.sha);
  });

  it('announces comments on pull requests with issue.pull_request set', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, events: ['issue_comment'] });
    await push({ 'f.txt': '1' }, 'Feature', 'feature');
    const { number } = await gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'feature',
      title: 'F',
      author: 'alice',
    });
    const { deliveries } = await gogs.addComment({
      owner: 'alice',
      name: 'app',
      number,
      body: '/retest',
      author: 'alice',
    });
    expect(payloadOf(deliveries[0]!.payload)).toMatchObject({
      action: 'created',
      issue: { number, pull_request: { merged: false, merged_at: null } },
      comment: { body: '/retest', created_at: '0001-01-01T00:00:00Z' },
    });
  });

  it('announces a published release but not a draft', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, events: ['release', 'create'] });
    expect(
      await gogs.publishRelease({ owner: 'alice', name: 'app', tagName: 'v0', draft: true, author: 'alice' }),
    ).toEqual([]);
    const [published] = await gogs.publishRelease({
      owner: 'alice',
      name: 'app',
      tagName: 'v1',
      title: 'One',
      author: 'alice',
    });
    expect(payloadOf(published!.payload)).toMatchObject({
      action: 'published',
      release: {
        tag_name: 'v1',
        target_commitish: 'master',
        name: 'One',
        draft: false,
        author: { username: 'alice' },
      },
    });
    expect(target.received.map((request) => request.headers['x-gogs-event'])).toEqual(['release']);
  });
});

describe('delivery outcomes', () => {
  it('counts any 2xx as success and anything else as failure, without retrying', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url });
    target.behave({ status: 204 });
    expect((await push({ 'a.txt': '1' })).deliveries[0]?.succeeded).toBe(true);
    target.behave({ status: 500, body: 'boom' });
    const failed = (await push({ 'a.txt': '2' })).deliveries[0];
    expect(failed).toMatchObject({ succeeded: false, response: { status: 500, body: 'boom' } });
    await gogs.idle();
    expect(target.received).toHaveLength(2);
  });

  it('does not follow redirects', async () => {
    const target = await setUp();
    const elsewhere = await receiver();
    target.behave({ redirectTo: elsewhere.url });
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url });
    const [delivery] = (await push({ 'a.txt': 'a' })).deliveries;
    expect(delivery).toMatchObject({ succeeded: false, response: { status: 302 } });
    expect(elsewhere.received).toHaveLength(0);
  });

  it('gives up after DELIVER_TIMEOUT', async () => {
    const target = await setUp({ deliverTimeoutMs: 200 });
    target.behave({ delayMs: 2_000 });
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url });
    const [delivery] = (await push({ 'a.txt': 'a' })).deliveries;
    expect(delivery?.succeeded).toBe(false);
    expect(delivery?.error).toMatch(/deadline exceeded/);
    expect(delivery?.durationMs).toBeLessThan(1_500);
  });

  it('delivers one request at a time', async () => {
    const slow = await setUp();
    const fast = await receiver();
    slow.behave({ delayMs: 400 });
    gogs.addHook({ owner: 'alice', name: 'app', url: slow.url });
    gogs.addHook({ owner: 'alice', name: 'app', url: fast.url });
    await push({ 'a.txt': 'a' });
    expect(fast.received[0]!.receivedAt - slow.received[0]!.receivedAt).toBeGreaterThanOrEqual(380);
  });

  it('redelivers with the same UUID and body', async () => {
    const target = await setUp();
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url, secret: 'shh' });
    const [original] = (await push({ 'a.txt': 'a' })).deliveries;
    const again = await gogs.redeliver(original!.id);
    expect(again).toMatchObject({ id: original!.id, redelivery: true, succeeded: true });
    const [first, second] = target.received;
    expect(second?.headers['x-gogs-delivery']).toBe(first?.headers['x-gogs-delivery']);
    expect(second?.headers['x-gogs-signature']).toBe(first?.headers['x-gogs-signature']);
    expect(second?.body.equals(first!.body)).toBe(true);
    expect(gogs.deliveries()).toHaveLength(2);
  });

  it('blocks local addresses unless LOCAL_NETWORK_ALLOWLIST names the host exactly', async () => {
    const target = await setUp({ localNetworkAllowlist: ['ci.internal', '127.0.0.1'] });
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url });
    gogs.addHook({ owner: 'alice', name: 'app', url: target.url.replace('127.0.0.1', 'localhost') });
    const [allowed, blocked] = (await push({ 'a.txt': 'a' })).deliveries;
    expect(allowed?.succeeded).toBe(true);
    expect(blocked).toMatchObject({ succeeded: false, error: BLOCKED_LOCAL_ADDRESS_MESSAGE, response: null });
    expect(target.received).toHaveLength(1);
  });
});
