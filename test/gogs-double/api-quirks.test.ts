/**
 * The Gogs test double's API behaves like Gogs where Gogs is surprising (gogs-wire.md §3): token rules,
 * hidden private repositories, hook defaults and rewrites, raw file refs, plain-text SHAs, binding errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callApi,
  type GogsDouble,
  type HookReceiver,
  startGogsDouble,
  startHookReceiver,
} from '../support/gogs-double/index.ts';

const DOCS_URL = 'https://github.com/gogs/docs-api';

let gogs: GogsDouble;
let receiver: HookReceiver;
const tokens: Record<string, string> = {};
let masterSha: string;
let featureSha: string;
let annotatedTagObject: string;

function api(path: string, options: Parameters<typeof callApi>[2] = {}) {
  return callApi(gogs.apiUrl, path, options);
}

beforeAll(async () => {
  gogs = await startGogsDouble();
  receiver = await startHookReceiver();
  for (const username of ['alice', 'bob', 'carol', 'dave']) {
    tokens[username] = gogs.addUser({ username, password: `${username}-password` }).token;
  }
  tokens.root = gogs.addUser({ username: 'root', password: 'root-password', admin: true }).token;
  await gogs.createRepo({
    owner: 'alice',
    name: 'app',
    files: { '.drone.yml': 'kind: pipeline\n', 'dir/sub file ü.txt': 'nested\n' },
  });
  await gogs.createRepo({ owner: 'alice', name: 'secret', private: true, files: { 'a.txt': 'a' } });
  gogs.addOrg({ username: 'acme', owners: ['alice'] });
  await gogs.createRepo({ owner: 'acme', name: 'tool', private: true, files: { 'x.txt': 'x' } });
  gogs.addTeam({ org: 'acme', name: 'devs', permission: 'write', members: ['bob'], repos: ['tool'] });
  gogs.addCollaborator({ owner: 'alice', name: 'app', username: 'bob', level: 'write' });
  gogs.addCollaborator({ owner: 'alice', name: 'secret', username: 'carol', level: 'read' });

  masterSha = (await gogs.branchHead('alice', 'app', 'master'))!;
  const feature = await gogs.pushCommit({
    owner: 'alice',
    name: 'app',
    branch: 'feature/x',
    files: { 'bin.dat': '\u0000\u0001binary', '.drone.yml': 'kind: pipeline\nname: feature\n' },
    message: 'Feature work\n\nWith a body.',
    author: { name: 'Alice', email: 'alice@example.com', date: new Date('2020-01-02T03:04:05Z') },
    committer: { name: 'Alice', email: 'alice@example.com', date: new Date('2021-06-07T08:09:10Z') },
  });
  featureSha = feature.sha;
  annotatedTagObject = (
    await gogs.createTag({ owner: 'alice', name: 'app', tag: 'v1', message: 'Release 1' })
  ).sha;
});

afterAll(async () => {
  await gogs?.close();
  await receiver?.close();
});

describe('authentication', () => {
  it('accepts `Authorization: token X` and nothing token-like else', async () => {
    expect((await api('/user', { token: tokens.alice })).status).toBe(200);
    const bearer = await api('/user', { headers: { Authorization: `Bearer ${tokens.alice}` } });
    expect([bearer.status, bearer.text]).toEqual([401, '']);
    expect((await api(`/user?token=${tokens.alice}`)).status).toBe(401);
    expect((await api(`/user?access_token=${tokens.alice}`)).status).toBe(401);
    expect((await api('/user', { headers: { Authorization: `Token ${tokens.alice}` } })).status).toBe(401);
  });

  it('rejects Basic auth on token-only routes but takes it on GET /repos/:o/:r', async () => {
    const basic = { username: 'alice', password: 'alice-password' };
    expect((await api('/user', { basic })).status).toBe(401);
    expect((await api('/repos/alice/app/hooks', { basic })).status).toBe(401);
    const repo = await api('/repos/alice/secret', { basic });
    expect(repo.status).toBe(200);
    expect(repo.json).toMatchObject({
      full_name: 'alice/secret',
      permissions: { admin: true, push: true, pull: true },
    });
  });

  it('treats an unknown token as anonymous: public repositories read, private ones hidden', async () => {
    const unknown = 'f'.repeat(40);
    const open = await api('/repos/alice/app', { token: unknown });
    expect(open.json).toMatchObject({ permissions: { admin: false, push: false, pull: true } });
    const hidden = await api('/repos/alice/secret', { token: unknown });
    expect([hidden.status, hidden.text]).toEqual([404, '']);
  });

  it('hides a private repository from a user who cannot see it with an empty 404, like a missing one', async () => {
    const hidden = await api('/repos/alice/secret', { token: tokens.dave });
    const missing = await api('/repos/alice/nothing', { token: tokens.dave });
    expect([hidden.status, hidden.text]).toEqual([404, '']);
    expect([missing.status, missing.text]).toEqual([404, '']);
  });

  it('gives a site admin owner rights with a token, not with Basic auth', async () => {
    const byToken = await api('/repos/alice/secret', { token: tokens.root });
    expect(byToken.json).toMatchObject({ permissions: { admin: true, push: true, pull: true } });
    const byBasic = await api('/repos/alice/secret', {
      basic: { username: 'root', password: 'root-password' },
    });
    expect(byBasic.status).toBe(404);
  });
});

describe('permissions', () => {
  it('/user/repos lists own repositories with full rights and others at their real level', async () => {
    const mine = (await api('/user/repos', { token: tokens.alice })).json as {
      full_name: string;
      permissions: object;
    }[];
    expect(mine.map((repo) => [repo.full_name, repo.permissions])).toEqual([
      ['alice/app', { admin: true, push: true, pull: true }],
      ['alice/secret', { admin: true, push: true, pull: true }],
      ['acme/tool', { admin: true, push: true, pull: true }],
    ]);
    const bobs = (await api('/user/repos', { token: tokens.bob })).json as {
      full_name: string;
      permissions: object;
    }[];
    expect(bobs.map((repo) => [repo.full_name, repo.permissions])).toEqual([
      ['alice/app', { admin: false, push: true, pull: true }],
      ['acme/tool', { admin: false, push: true, pull: true }],
    ]);
    const carols = (await api('/user/repos', { token: tokens.carol })).json as { permissions: object }[];
    expect(carols.map((repo) => repo.permissions)).toEqual([{ admin: false, push: false, pull: true }]);
    expect((await api('/user/repos', { token: tokens.dave })).json).toEqual([]);
  });

  it('GET /repos/:o/:r reports the caller’s own rights', async () => {
    expect((await api('/repos/alice/app', { token: tokens.bob })).json).toMatchObject({
      permissions: { admin: false, push: true, pull: true },
    });
    expect((await api('/repos/acme/tool', { token: tokens.bob })).json).toMatchObject({
      permissions: { admin: false, push: true, pull: true },
    });
    expect((await api('/repos/alice/secret', { token: tokens.carol })).json).toMatchObject({
      permissions: { admin: false, push: false, pull: true },
    });
  });

  it('lists direct collaborators only, to repository admins only', async () => {
    const listed = await api('/repos/alice/app/collaborators', { token: tokens.alice });
    expect(listed.json).toEqual([
      expect.objectContaining({ username: 'bob', permissions: { admin: false, push: true, pull: true } }),
    ]);
    const refused = await api('/repos/alice/app/collaborators', { token: tokens.bob });
    expect([refused.status, refused.text]).toEqual([403, '']);
  });

  it('lists organisations of the user and teams of an organisation', async () => {
    expect((await api('/user/orgs', { token: tokens.bob })).json).toEqual([
      expect.objectContaining({ username: 'acme' }),
    ]);
    expect((await api('/user/orgs', { token: tokens.dave })).json).toEqual([]);
    const teams = (await api('/orgs/acme/teams', { token: tokens.dave })).json as {
      name: string;
      permission: string;
    }[];
    expect(teams.map((team) => [team.name, team.permission])).toEqual([
      ['Owners', 'owner'],
      ['devs', 'write'],
    ]);
    expect((await api('/orgs/acme/teams')).status).toBe(401);
    expect((await api('/orgs/nobody/teams', { token: tokens.dave })).status).toBe(404);
  });

  it('shows a team’s members to a site admin only (token or Basic), with bare statuses otherwise', async () => {
    const teams = (await api('/orgs/acme/teams', { token: tokens.dave })).json as {
      id: number;
      name: string;
    }[];
    const devs = teams.find((team) => team.name === 'devs')?.id;
    const members = await api(`/admin/teams/${devs}/members`, { token: tokens.root });
    expect((members.json as { username: string }[]).map((user) => user.username)).toEqual(['bob']);
    const basic = { username: 'root', password: 'root-password' };
    expect((await api(`/admin/teams/${devs}/members`, { basic })).status).toBe(200);
    const refused = await api(`/admin/teams/${devs}/members`, { token: tokens.alice });
    expect([refused.status, refused.text]).toEqual([403, '']);
    expect((await api(`/admin/teams/${devs}/members`)).status).toBe(403);
    const gone = await api('/admin/teams/9999/members', { token: tokens.root });
    expect([gone.status, gone.text]).toEqual([404, '']);
  });
});

describe('webhooks API', () => {
  const hooks = '/repos/alice/app/hooks';
  const config = (url: string) => ({ url, content_type: 'json', secret: 'first-secret' });

  it('needs repository admin: 403 for a writer, 404 for someone who cannot see it', async () => {
    const writer = await api(hooks, { token: tokens.bob });
    expect([writer.status, writer.text]).toEqual([403, '']);
    const stranger = await api('/repos/alice/secret/hooks', { token: tokens.dave });
    expect([stranger.status, stranger.text]).toEqual([404, '']);
  });

  it('creates hooks disabled unless `active` is sent, push-only when `events` is empty', async () => {
    const created = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: { type: 'gogs', config: config(receiver.url), events: [] },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      active: false,
      events: ['push'],
      config: { url: receiver.url, content_type: 'json' },
    });
    expect(created.text).not.toContain('first-secret');
    const stored = gogs.hooks('alice', 'app').find((hook) => hook.id === (created.json as { id: number }).id);
    expect(stored).toMatchObject({ secret: 'first-secret', active: false, events: ['push'] });
  });

  it('lists events in Gogs’ fixed order and drops unknown names', async () => {
    const created = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: {
        type: 'gogs',
        config: config(receiver.url),
        events: ['release', 'push', 'bogus', 'create'],
        active: true,
      },
    });
    expect(created.json).toMatchObject({ events: ['create', 'push', 'release'], active: true });
  });

  it('answers bad hook requests as Gogs does', async () => {
    const body = (overrides: object) => ({ type: 'gogs', config: config(receiver.url), ...overrides });
    const badType = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: body({ type: 'jenkins' }),
    });
    expect([badType.status, badType.json]).toEqual([422, { message: 'Invalid hook type.', url: DOCS_URL }]);
    const noUrl = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: body({ config: { content_type: 'json' } }),
    });
    expect(noUrl.json).toEqual({ message: 'Missing config option: url', url: DOCS_URL });
    const xml = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: body({ config: { url: receiver.url, content_type: 'xml' } }),
    });
    expect([xml.status, xml.json]).toEqual([422, { message: 'Invalid content type.', url: DOCS_URL }]);
    const noType = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: { config: config(receiver.url) },
    });
    expect([noType.status, noType.json]).toEqual([
      422,
      [{ fieldNames: ['Type'], classification: 'RequiredError', message: 'Required' }],
    ]);
    const noContentType = await api(hooks, { token: tokens.alice, method: 'POST', rawBody: '{}' });
    expect([noContentType.status, noContentType.json]).toEqual([
      415,
      [{ classification: 'ContentTypeError', message: 'Empty Content-Type' }],
    ]);
    const text = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      rawBody: '{}',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(text.json).toEqual([{ classification: 'ContentTypeError', message: 'Unsupported Content-Type' }]);
    const malformed = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      rawBody: '{"type":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual([expect.objectContaining({ classification: 'DeserializationError' })]);
  });

  it('on edit ignores the secret, rewrites events (push only when omitted) and keeps `active` when omitted', async () => {
    const created = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: { type: 'gogs', config: config(receiver.url), events: ['push', 'pull_request'], active: true },
    });
    const id = (created.json as { id: number }).id;
    const edited = await api(`${hooks}/${id}`, {
      token: tokens.alice,
      method: 'PATCH',
      body: { config: { url: 'https://ci.example/new', content_type: 'form', secret: 'second-secret' } },
    });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({
      id,
      active: true,
      events: ['push'],
      config: { url: 'https://ci.example/new', content_type: 'form' },
    });
    expect(gogs.hooks('alice', 'app').find((hook) => hook.id === id)?.secret).toBe('first-secret');
    const disabled = await api(`${hooks}/${id}`, {
      token: tokens.alice,
      method: 'PATCH',
      body: { events: ['create', 'push'], active: false },
    });
    expect(disabled.json).toMatchObject({
      active: false,
      events: ['create', 'push'],
      config: { url: 'https://ci.example/new' },
    });
    const missing = await api(`${hooks}/999999`, {
      token: tokens.alice,
      method: 'PATCH',
      body: { events: ['push'] },
    });
    expect([missing.status, missing.text]).toEqual([404, '']);
  });

  it('deletes hooks with 204, also when the hook is already gone', async () => {
    const created = await api(hooks, {
      token: tokens.alice,
      method: 'POST',
      body: { type: 'gogs', config: config(receiver.url) },
    });
    const id = (created.json as { id: number }).id;
    const first = await api(`${hooks}/${id}`, { token: tokens.alice, method: 'DELETE' });
    const again = await api(`${hooks}/${id}`, { token: tokens.alice, method: 'DELETE' });
    expect([first.status, again.status]).toEqual([204, 204]);
    expect(gogs.hooks('alice', 'app').some((hook) => hook.id === id)).toBe(false);
  });
});

describe('files, branches and commits come from the git repository', () => {
  it('serves raw files at a branch (with slashes), a tag and a full SHA, but not a short SHA', async () => {
    const atBranch = await api('/repos/alice/app/raw/feature/x/.drone.yml', { token: tokens.alice });
    expect([atBranch.status, atBranch.text]).toEqual([200, 'kind: pipeline\nname: feature\n']);
    const atTag = await api('/repos/alice/app/raw/v1/.drone.yml', { token: tokens.alice });
    expect(atTag.text).toBe('kind: pipeline\n');
    const atSha = await api(`/repos/alice/app/raw/${featureSha}/.drone.yml`, { token: tokens.alice });
    expect(atSha.text).toBe('kind: pipeline\nname: feature\n');
    const short = await api(`/repos/alice/app/raw/${featureSha.slice(0, 7)}/.drone.yml`, {
      token: tokens.alice,
    });
    expect([short.status, short.text]).toEqual([404, '']);
  });

  it('serves encoded paths and marks binary files as attachments; 404 for missing files and directories', async () => {
    const nested = await api(`/repos/alice/app/raw/master/dir/${encodeURIComponent('sub file ü.txt')}`, {
      token: tokens.alice,
    });
    expect([nested.status, nested.text]).toEqual([200, 'nested\n']);
    expect(nested.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const binary = await api('/repos/alice/app/raw/feature/x/bin.dat', { token: tokens.alice });
    expect(binary.headers.get('content-disposition')).toBe('attachment');
    expect((await api('/repos/alice/app/raw/master/nope.txt', { token: tokens.alice })).status).toBe(404);
    expect((await api('/repos/alice/app/raw/master/dir', { token: tokens.alice })).status).toBe(404);
    expect((await api('/repos/alice/app/raw/master/.drone.yml')).status).toBe(401);
  });

  it('shows branches with "Not implemented" URLs, null file lists and the author time', async () => {
    const branch = await api('/repos/alice/app/branches/feature/x', { token: tokens.alice });
    expect(branch.json).toEqual({
      name: 'feature/x',
      commit: {
        id: featureSha,
        message: 'Feature work\n\nWith a body.\n',
        url: 'Not implemented',
        author: { name: 'Alice', email: 'alice@example.com', username: 'alice' },
        committer: { name: 'Alice', email: 'alice@example.com', username: 'alice' },
        added: null,
        removed: null,
        modified: null,
        timestamp: '2020-01-02T03:04:05Z',
      },
    });
    const names = (
      (await api('/repos/alice/app/branches', { token: tokens.alice })).json as { name: string }[]
    ).map((entry) => entry.name);
    expect(names).toEqual(['feature/x', 'master']);
    expect((await api('/repos/alice/app/branches/nope', { token: tokens.alice })).status).toBe(404);
  });

  it('shows a commit by SHA or branch with the first message line and its parents', async () => {
    const bySha = await api(`/repos/alice/app/commits/${featureSha}`, { token: tokens.alice });
    expect(bySha.json).toMatchObject({
      sha: featureSha,
      commit: {
        message: 'Feature work',
        author: { date: '2020-01-02T03:04:05Z' },
        committer: { date: '2021-06-07T08:09:10Z' },
      },
      parents: [{ sha: masterSha }],
      author: { username: 'alice' },
    });
    const byBranch = await api('/repos/alice/app/commits/master', { token: tokens.alice });
    expect(byBranch.json).toMatchObject({ sha: masterSha });
    expect((await api(`/repos/alice/app/commits/${'0'.repeat(40)}`, { token: tokens.alice })).status).toBe(
      404,
    );
  });

  it('answers SHA lookups in plain text and does not peel annotated tags', async () => {
    const slashed = await api('/repos/alice/app/commits/refs/heads/feature/x', { token: tokens.alice });
    expect([slashed.status, slashed.text]).toEqual([200, featureSha]);
    expect(slashed.headers.get('content-type')).toContain('text/plain');
    const byAccept = await api('/repos/alice/app/commits/master', {
      token: tokens.alice,
      headers: { Accept: 'application/vnd.gogs.sha' },
    });
    expect(byAccept.text).toBe(masterSha);
    const tag = await api('/repos/alice/app/commits/refs/tags/v1', { token: tokens.alice });
    expect(tag.text).toBe(annotatedTagObject);
    expect(annotatedTagObject).not.toBe(masterSha);
    const tagCommit = await api('/repos/alice/app/commits/v1', { token: tokens.alice });
    expect(tagCommit.json).toMatchObject({ sha: annotatedTagObject, parents: [] });
  });
});

describe('access tokens', () => {
  const basic = { username: 'carol', password: 'carol-password' };

  it('creates a 40-hex token with Basic auth, usable at once, and refuses a duplicate name', async () => {
    const created = await api('/users/carol/tokens', { basic, method: 'POST', body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const { name, sha1 } = created.json as { name: string; sha1: string };
    expect(name).toBe('ci');
    expect(sha1).toMatch(/^[0-9a-f]{40}$/);
    expect((await api('/user', { token: sha1 })).json).toMatchObject({ username: 'carol' });
    const duplicate = await api('/users/carol/tokens', { basic, method: 'POST', body: { name: 'ci' } });
    expect(duplicate.status).toBe(422);
    expect(duplicate.json).toEqual({
      message: 'access token already exists: map[name:ci userID:3]',
      url: DOCS_URL,
    });
    const listed = (await api('/users/carol/tokens', { basic })).json as { name: string; sha1: string }[];
    expect(listed.map((token) => token.name)).toEqual(['double', 'ci']);
    expect(listed.map((token) => token.sha1)).not.toContain(sha1);
  });

  it('refuses token auth, a wrong password and a missing name', async () => {
    expect(
      (await api('/users/carol/tokens', { token: tokens.carol, method: 'POST', body: { name: 'x' } })).status,
    ).toBe(401);
    const wrong = await api('/users/carol/tokens', {
      basic: { ...basic, password: 'nope' },
      method: 'POST',
      body: { name: 'x' },
    });
    expect([wrong.status, wrong.text]).toEqual([401, '']);
    const unnamed = await api('/users/carol/tokens', { basic, method: 'POST', body: {} });
    expect([unnamed.status, unnamed.json]).toEqual([
      422,
      [{ fieldNames: ['Name'], classification: 'RequiredError', message: 'Required' }],
    ]);
  });
});

describe('issue comments', () => {
  it('creates a comment and announces it; 404 for a missing issue or disabled issues; 422 without a body', async () => {
    gogs.addHook({ owner: 'alice', name: 'app', url: receiver.url, events: ['issue_comment'] });
    const { number } = await gogs.openIssue({ owner: 'alice', name: 'app', title: 'Broken', author: 'bob' });
    const path = `/repos/alice/app/issues/${number}/comments`;
    const created = await api(path, { token: tokens.bob, method: 'POST', body: { body: 'Build passed' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ body: 'Build passed', user: { username: 'bob' } });
    await gogs.idle();
    expect(gogs.deliveries({ event: 'issue_comment' })).toHaveLength(1);
    const empty = await api(path, { token: tokens.bob, method: 'POST', body: {} });
    expect(empty.json).toEqual([
      { fieldNames: ['Body'], classification: 'RequiredError', message: 'Required' },
    ]);
    expect(
      (
        await api('/repos/alice/app/issues/99/comments', {
          token: tokens.bob,
          method: 'POST',
          body: { body: 'x' },
        })
      ).status,
    ).toBe(404);
    gogs.setIssuesEnabled({ owner: 'alice', name: 'app' }, false);
    expect((await api(path, { token: tokens.bob, method: 'POST', body: { body: 'x' } })).status).toBe(404);
    gogs.setIssuesEnabled({ owner: 'alice', name: 'app' }, true);
  });
});

describe('faults and the request log', () => {
  it('answers Gogs’ 500 for the next matching requests, then recovers', async () => {
    gogs.injectFault({ times: 2, match: ({ path }) => path === '/api/v1/user' });
    const first = await api('/user', { token: tokens.alice });
    expect(first.status).toBe(500);
    expect(first.json).toEqual({
      message: 'Something went wrong, please check the server logs for more information.',
      url: DOCS_URL,
    });
    expect((await api('/user', { token: tokens.alice })).status).toBe(500);
    expect((await api('/user', { token: tokens.alice })).status).toBe(200);
  });

  it('delays a request and records what was asked', async () => {
    gogs.injectFault({ delayMs: 300 });
    const started = Date.now();
    expect((await api('/user', { token: tokens.alice })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const last = gogs.requests().at(-1);
    expect(last).toMatchObject({ method: 'GET', url: '/api/v1/user' });
    expect(last?.headers.authorization).toBe(`token ${tokens.alice}`);
  });

  it('answers a bare 404 for unknown API routes', async () => {
    const unknown = await api('/nothing/here', { token: tokens.alice });
    expect([unknown.status, unknown.text]).toEqual([404, '']);
  });
});
