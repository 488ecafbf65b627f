/**
 * The Gogs test double against recordings of real Gogs: its API replies and webhook payloads have the keys and
 * value types of the fixtures, its JSON serialiser reproduces a real delivery byte for byte, and its signature
 * matches the one Gogs sent.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callApi,
  type DeliveryRecord,
  type GogsDouble,
  type HookReceiver,
  marshalIndentGo,
  type ShapeOptions,
  shapeDifferences,
  signPayload,
  startGogsDouble,
  startHookReceiver,
} from '../support/gogs-double/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';

let gogs: GogsDouble;
let receiver: HookReceiver;
let aliceToken: string;
let commitSha: string;

const OUTSIDER = { name: 'Outside Author', email: 'outsider@example.org' };

function expectShape(fixture: string, actual: unknown, options?: ShapeOptions): void {
  expect(shapeDifferences(fixtureJson(fixture), actual, options)).toEqual([]);
}

/** Key order at every level, which MarshalIndent takes from Go's struct field order. */
function keyOrder(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.length > 0 ? keyOrder(value[0], `${path}[]`) : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, member]) => [
    `${path}.${key}`,
    ...keyOrder(member, `${path}.${key}`),
  ]);
}

function payloadOf(record: DeliveryRecord | undefined): unknown {
  if (!record) throw new Error('no such delivery');
  return JSON.parse(record.payload);
}

beforeAll(async () => {
  gogs = await startGogsDouble();
  receiver = await startHookReceiver();
  aliceToken = gogs.addUser({ username: 'alice', password: 'alice-password', fullName: 'Alice A' }).token;
  gogs.addUser({ username: 'bob', password: 'bob-password' });
  gogs.addOrg({ username: 'acme', owners: ['alice'], description: 'Acme Corp' });
  await gogs.createRepo({ owner: 'alice', name: 'app', private: true, files: { 'README.md': 'hello\n' } });
  gogs.addHook({
    owner: 'alice',
    name: 'app',
    url: receiver.url,
    secret: 'hook-secret',
    events: ['create', 'delete', 'push', 'pull_request', 'issue_comment', 'release', 'issues'],
  });
  const pushed = await gogs.pushCommit({
    owner: 'alice',
    name: 'app',
    branch: 'master',
    files: { 'README.md': 'hello again\n' },
    message: 'Update README',
    author: OUTSIDER,
    committer: { name: 'Alice A', email: 'alice@example.com' },
  });
  commitSha = pushed.sha;
});

afterAll(async () => {
  await gogs?.close();
  await receiver?.close();
});

describe('API replies have the keys and types of recorded Gogs replies', () => {
  it('GET /user matches api_user.json', async () => {
    const answer = await callApi(gogs.apiUrl, '/user', { token: aliceToken });
    expectShape('api_user.json', answer.json);
  });

  it('GET /repos/:o/:r matches api_repo.json', async () => {
    const answer = await callApi(gogs.apiUrl, '/repos/alice/app', { token: aliceToken });
    expectShape('api_repo.json', answer.json);
  });

  it('GET /user/repos matches api_repos.json', async () => {
    const answer = await callApi(gogs.apiUrl, '/user/repos', { token: aliceToken });
    expect(answer.json).toHaveLength(1);
    expectShape('api_repos.json', answer.json);
  });

  it('POST and GET hooks match api_hook.json and api_hooks.json', async () => {
    const created = await callApi(gogs.apiUrl, '/repos/alice/app/hooks', {
      token: aliceToken,
      method: 'POST',
      body: {
        type: 'gogs',
        config: { url: 'https://ci.example/hook', content_type: 'json' },
        events: ['push'],
      },
    });
    expect(created.status).toBe(201);
    expectShape('api_hook.json', created.json);
    const listed = await callApi(gogs.apiUrl, '/repos/alice/app/hooks', { token: aliceToken });
    expectShape('api_hooks.json', listed.json);
  });

  it('branches match api_branch.json and api_branches.json', async () => {
    // The recordings predate `commit.url`, which current Gogs fills with "Not implemented".
    const one = await callApi(gogs.apiUrl, '/repos/alice/app/branches/master', { token: aliceToken });
    expectShape('api_branch.json', one.json, { extraAllowed: ['commit.url'] });
    const all = await callApi(gogs.apiUrl, '/repos/alice/app/branches', { token: aliceToken });
    expectShape('api_branches.json', all.json, { extraAllowed: ['[].commit.url'] });
  });

  it('GET /commits/:sha matches api_commit.json, author unknown to Gogs and committer known', async () => {
    const answer = await callApi(gogs.apiUrl, `/repos/alice/app/commits/${commitSha}`, { token: aliceToken });
    expectShape('api_commit.json', answer.json);
  });

  it('organisations match api_organization.json and api_organizations.json', async () => {
    const one = await callApi(gogs.apiUrl, '/orgs/acme', { token: aliceToken });
    expectShape('api_organization.json', one.json);
    const mine = await callApi(gogs.apiUrl, '/user/orgs', { token: aliceToken });
    expect(mine.json).toHaveLength(1);
    expectShape('api_organizations.json', mine.json);
  });

  it('POST comments matches api_comment.json, plus the html_url and login current Gogs adds', async () => {
    const { number } = await gogs.openIssue({ owner: 'alice', name: 'app', title: 'Bug', author: 'alice' });
    const answer = await callApi(gogs.apiUrl, `/repos/alice/app/issues/${number}/comments`, {
      token: aliceToken,
      method: 'POST',
      body: { body: 'Looks fixed.' },
    });
    expect(answer.status).toBe(201);
    expectShape('api_comment.json', answer.json, { extraAllowed: ['html_url', 'user.login'] });
  });
});

describe('the Go MarshalIndent emulation and the signature', () => {
  it('reproduces push_signed.json byte for byte from its parsed value', () => {
    const recorded = fixtureBytes('push_signed.json');
    const reproduced = Buffer.from(marshalIndentGo(JSON.parse(recorded.toString('utf8'))), 'utf8');
    expect(reproduced.equals(recorded)).toBe(true);
  });

  it('keeps Go escapes of <, > and & as in the 2017 documentation payload', () => {
    const recorded = fixtureBytes('push_gogs_docs_2017.json').toString('utf8');
    expect(recorded).toContain('\\u003e');
    expect(marshalIndentGo(JSON.parse(recorded))).toBe(recorded);
  });

  it('escapes like Go: HTML characters, U+2028/2029, control characters, lone surrogates', () => {
    expect(marshalIndentGo({ s: '<a href="x">&</a>\u2028\u2029\u0001\b\f\n\t\\' })).toBe(
      '{\n  "s": "\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e\\u2028\\u2029\\u0001\\b\\f\\n\\t\\\\"\n}',
    );
    expect(marshalIndentGo(['\ud800x', [], {}])).toBe('[\n  "\\ufffdx",\n  [],\n  {}\n]');
  });

  it('signs push_signed.json with "letmein" as Gogs did', () => {
    const signature = signPayload(fixtureBytes('push_signed.json').toString('utf8'), 'letmein');
    expect(signature).toBe('c6d8a1e113602376042ccb5c6743026afd9dd1227d1207146b518109c8a2305e');
    expect(signature).toBe(
      fixtureJson<Record<string, string>>('push_signed.headers.json')['X-Gogs-Signature'],
    );
  });

  it('signs nothing when the hook has no secret', () => {
    expect(signPayload('{}', '')).toBe('');
  });
});

describe('webhook payloads have the keys and types of recorded deliveries', () => {
  it('a push: the keys of push_signed.json and push.json, in Go field order', () => {
    const push = gogs.deliveries({ event: 'push' })[0];
    const payload = payloadOf(push);
    expectShape('push_signed.json', payload);
    expectShape('push.json', payload);
    expect(keyOrder(payload)).toEqual(keyOrder(fixtureJson('push_signed.json')));
  });

  it('a push delivery carries the headers of push_signed.headers.json and a valid signature', () => {
    const delivered = receiver.received.find((request) => request.headers['x-gogs-event'] === 'push');
    expect(delivered).toBeDefined();
    const recordedNames = Object.keys(fixtureJson('push_signed.headers.json')).map((name) =>
      name.toLowerCase(),
    );
    for (const name of recordedNames) expect(delivered?.headers).toHaveProperty(name);
    const expected = createHmac('sha256', 'hook-secret').update(delivered!.body).digest('hex');
    expect(delivered?.headers['x-gogs-signature']).toBe(expected);
  });

  it('branch creation and deletion match create_branch.json and delete_branch.json', async () => {
    const created = await gogs.createBranch({ owner: 'alice', name: 'app', branch: 'feature' });
    // Current Gogs sends `sha` ("" for branches); the 2017 recording predates it.
    expectShape('create_branch.json', payloadOf(created.deliveries[0]), { extraAllowed: ['sha'] });
    expect(created.deliveries.map((delivery) => delivery.event)).toEqual(['create', 'push']);
    const deleted = await gogs.deleteBranch({ owner: 'alice', name: 'app', branch: 'feature' });
    expectShape('delete_branch.json', payloadOf(deleted.deliveries[0]));
  });

  it('tag creation and deletion match create_tag.json and delete_tag.json', async () => {
    const created = await gogs.createTag({
      owner: 'alice',
      name: 'app',
      tag: 'v1.0.0',
      message: 'First release',
    });
    expect(created.deliveries.map((delivery) => delivery.event)).toEqual(['create']);
    expectShape('create_tag.json', payloadOf(created.deliveries[0]));
    const deleted = await gogs.deleteTag({ owner: 'alice', name: 'app', tag: 'v1.0.0' });
    expectShape('delete_tag.json', payloadOf(deleted.deliveries[0]));
  });

  it('pull requests match pull_request_opened/synchronized/closed.json', async () => {
    await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'topic',
      files: { 'a.txt': 'a' },
      message: 'A',
    });
    const opened = await gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'topic',
      title: 'Add a',
      author: 'alice',
    });
    expectShape('pull_request_opened.json', payloadOf(opened.deliveries[0]));
    const pushed = await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'topic',
      files: { 'b.txt': 'b' },
      message: 'B',
    });
    const synchronized = pushed.deliveries.find((delivery) => delivery.event === 'pull_request');
    expectShape('pull_request_synchronized.json', payloadOf(synchronized));
    const closed = await gogs.closePullRequest({
      owner: 'alice',
      name: 'app',
      number: opened.number,
      sender: 'alice',
      merge: true,
    });
    expectShape('pull_request_closed.json', payloadOf(closed[0]), {
      nullable: ['pull_request.merged_at', 'pull_request.merge_commit_sha', 'pull_request.merged_by'],
    });
  });

  it('comments match issue_comment_*.json for issues and pull requests', async () => {
    const issue = await gogs.openIssue({ owner: 'alice', name: 'app', title: 'Question', author: 'bob' });
    const onIssue = await gogs.addComment({
      owner: 'alice',
      name: 'app',
      number: issue.number,
      body: 'Hi',
      author: 'alice',
    });
    expectShape('issue_comment_created.json', payloadOf(onIssue.deliveries[0]));
    const edited = await gogs.editComment({
      owner: 'alice',
      name: 'app',
      id: onIssue.id,
      body: 'Hello',
      sender: 'alice',
    });
    expectShape('issue_comment_edited.json', payloadOf(edited[0]));
    const deleted = await gogs.deleteComment({
      owner: 'alice',
      name: 'app',
      id: onIssue.id,
      sender: 'alice',
    });
    expectShape('issue_comment_deleted.json', payloadOf(deleted[0]));

    await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'second',
      files: { 'c.txt': 'c' },
      message: 'C',
    });
    const pull = await gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'second',
      title: 'C',
      author: 'alice',
    });
    const onPull = await gogs.addComment({
      owner: 'alice',
      name: 'app',
      number: pull.number,
      body: 'LGTM',
      author: 'alice',
    });
    expectShape('issue_comment_on_pull_request_created.json', payloadOf(onPull.deliveries[0]));
  });

  it('an opened issue matches issues_opened.json', () => {
    const opened = gogs.deliveries({ event: 'issues' })[0];
    expectShape('issues_opened.json', payloadOf(opened));
  });

  it('a published release matches abstruse-2017/release_published.json', async () => {
    const deliveries = await gogs.publishRelease({
      owner: 'alice',
      name: 'app',
      tagName: 'v2',
      author: 'alice',
    });
    expectShape('abstruse-2017/release_published.json', payloadOf(deliveries[0]));
  });
});
