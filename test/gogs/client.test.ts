/**
 * The Gogs API client against the Gogs test double: every method, every error class with a message that says
 * what to do, Gogs' hook quirks as the client sees them, and no token or password in any error.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, type ErrorCode, type GogsClient, type GogsCreateHook } from '../../sidecar/core/index.ts';
import { createGogsClient, createGogsTokenIssuer } from '../../sidecar/gogs/index.ts';
import { type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';

let gogs: GogsDouble;
let client: GogsClient;
const tokens: Record<string, string> = {};
let featureSha: string;
const BAD_TOKENS = ['a'.repeat(40), 'b'.repeat(40)];

/** The error `work` fails with, of `code`, and showing no token anywhere in it (message, details, cause). */
async function failure(work: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  const everything = inspect(error, { depth: 10 });
  for (const token of [...Object.values(tokens), ...BAD_TOKENS]) expect(everything).not.toContain(token);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

function hook(overrides: Partial<GogsCreateHook> = {}): GogsCreateHook {
  return {
    type: 'gogs',
    config: { url: 'https://ci.example/hook', content_type: 'json', secret: 'hook-secret' },
    events: ['push', 'create'],
    active: true,
    ...overrides,
  };
}

function only(path: string) {
  return ({ path: requested }: { path: string }) => requested === `/api/v1${path}`;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  gogs = await startGogsDouble();
  for (const username of ['alice', 'bob', 'dave']) {
    tokens[username] = gogs.addUser({
      username,
      password: `${username}-password`,
      fullName: username.toUpperCase(),
    }).token;
  }
  gogs.addOrg({ username: 'acme', owners: ['alice'] });
  gogs.addTeam({ org: 'acme', name: 'devs', permission: 'write', members: ['bob'] });
  await gogs.createRepo({
    owner: 'alice',
    name: 'app',
    files: { '.drone.yml': 'kind: pipeline\n', 'docs/read me ü.md': 'docs\n' },
  });
  await gogs.createRepo({ owner: 'alice', name: 'secret', private: true, files: { 'a.txt': 'a' } });
  gogs.addCollaborator({ owner: 'alice', name: 'app', username: 'bob', level: 'write' });
  featureSha = (
    await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'feature/x',
      files: { '.drone.yml': 'kind: pipeline\nname: x\n', 'logo.bin': '\u0000\u00ff\u0001' },
      message: 'Feature x\n\nDetails.',
    })
  ).sha;
  await gogs.createTag({ owner: 'alice', name: 'app', tag: 'v1', from: featureSha, message: 'One' });
  client = createGogsClient({ baseUrl: gogs.url, token: tokens.alice! });
});

afterAll(async () => {
  await gogs?.close();
});

describe('reading', () => {
  it('gets the token’s user, sending `Authorization: token …` and a User-Agent', async () => {
    expect(await client.currentUser()).toEqual({
      id: 1,
      username: 'alice',
      login: 'alice',
      full_name: 'ALICE',
      email: 'alice@example.com',
      avatar_url: `${gogs.url}avatars/1`,
    });
    const sent = gogs.requests().at(-1);
    expect(sent?.headers.authorization).toBe(`token ${tokens.alice}`);
    expect(sent?.headers['user-agent']).toBe('drone-gogs');
    expect(sent?.url).toBe('/api/v1/user');
    await createGogsClient({
      baseUrl: gogs.url.replace(/\/$/, ''),
      token: tokens.alice!,
      userAgent: 'probe/1',
    }).currentUser();
    expect(gogs.requests().at(-1)?.headers['user-agent']).toBe('probe/1');
  });

  it('looks a user up by login, and says plainly when Gogs has none', async () => {
    expect(await client.getUser('BOB')).toMatchObject({ username: 'bob', login: 'bob', full_name: 'BOB' });
    expect(gogs.requests().at(-1)?.url).toBe('/api/v1/users/BOB');
    const missing = await client.getUser('nobody').then(
      () => null,
      (error: unknown) => error as { code: string; message: string },
    );
    expect(missing?.code).toBe('GOGS_NOT_FOUND');
    expect(missing?.message).toMatch(/Gogs has no user named nobody/);
  });

  it('puts the API under a sub-path of the base URL', async () => {
    const asked: string[] = [];
    const underSubPath = createGogsClient({
      baseUrl: `${gogs.url}gogs/`,
      token: tokens.alice!,
      fetch: (input, init) => {
        asked.push(String(input));
        return fetch(String(input).replace('/gogs/', '/'), init);
      },
    });
    expect((await underSubPath.currentUser()).username).toBe('alice');
    expect(asked).toEqual([`${gogs.url}gogs/api/v1/user`]);
  });

  it('lists the user’s repositories and reads one with the caller’s own rights', async () => {
    const repos = await client.listMyRepos();
    expect(repos.map((repo) => [repo.full_name, repo.permissions])).toEqual([
      ['alice/app', { admin: true, push: true, pull: true }],
      ['alice/secret', { admin: true, push: true, pull: true }],
    ]);
    const asBob = await client.withToken(tokens.bob!).getRepo('alice', 'app');
    expect(asBob).toMatchObject({
      full_name: 'alice/app',
      private: false,
      default_branch: 'master',
      clone_url: `${gogs.url}alice/app.git`,
      permissions: { admin: false, push: true, pull: true },
    });
  });

  it('reads raw files at a branch with slashes, a tag or a full SHA; null when absent', async () => {
    const text = (bytes: Uint8Array | null) => (bytes ? new TextDecoder().decode(bytes) : null);
    expect(text(await client.getRawFile('alice', 'app', 'feature/x', '.drone.yml'))).toBe(
      'kind: pipeline\nname: x\n',
    );
    expect(text(await client.getRawFile('alice', 'app', 'v1', '.drone.yml'))).toBe(
      'kind: pipeline\nname: x\n',
    );
    expect(text(await client.getRawFile('alice', 'app', featureSha, '.drone.yml'))).toBe(
      'kind: pipeline\nname: x\n',
    );
    expect(text(await client.getRawFile('alice', 'app', 'master', 'docs/read me ü.md'))).toBe('docs\n');
    expect(Array.from((await client.getRawFile('alice', 'app', 'feature/x', 'logo.bin')) ?? [])).toEqual(
      Array.from(Buffer.from('\u0000\u00ff\u0001')),
    );
    expect(await client.getRawFile('alice', 'app', 'master', 'missing.yml')).toBeNull();
    expect(await client.getRawFile('alice', 'app', featureSha.slice(0, 8), '.drone.yml')).toBeNull();
  });

  it('reads a commit by SHA, by a branch with slashes and by tag', async () => {
    const bySha = await client.getCommit('alice', 'app', featureSha);
    expect(bySha).toMatchObject({
      sha: featureSha,
      commit: { message: 'Feature x' },
      author: { username: 'alice' },
    });
    expect(bySha.parents).toHaveLength(1);
    expect((await client.getCommit('alice', 'app', 'feature/x')).sha).toBe(featureSha);
    expect((await client.getCommit('alice', 'app', 'master')).parents).toEqual([]);
    const tag = await client.getCommit('alice', 'app', 'v1');
    expect(tag.commit.message).toBe('Feature x');
    await failure(client.getCommit('alice', 'app', 'no-such-ref'), 'GOGS_NOT_FOUND');
  });

  it('lists branches and reads one whose name has slashes', async () => {
    expect((await client.listBranches('alice', 'app')).map((branch) => branch.name)).toEqual([
      'feature/x',
      'master',
    ]);
    expect(await client.getBranch('alice', 'app', 'feature/x')).toMatchObject({
      name: 'feature/x',
      commit: { id: featureSha, url: 'Not implemented', author: { username: 'alice' } },
    });
  });

  it('lists organisations, teams and collaborators', async () => {
    expect((await client.withToken(tokens.bob!).listMyOrgs()).map((org) => org.username)).toEqual(['acme']);
    expect((await client.listOrgTeams('acme')).map((team) => [team.name, team.permission])).toEqual([
      ['Owners', 'owner'],
      ['devs', 'write'],
    ]);
    expect(await client.listCollaborators('alice', 'app')).toEqual([
      expect.objectContaining({
        username: 'bob',
        login: 'bob',
        permissions: { admin: false, push: true, pull: true },
      }),
    ]);
  });
});

describe('writing', () => {
  it('creates, lists, edits and deletes hooks, with Gogs’ rules visible through the client', async () => {
    const created = await client.createHook('alice', 'app', hook());
    expect(created).toMatchObject({
      type: 'gogs',
      active: true,
      events: ['create', 'push'],
      config: { url: 'https://ci.example/hook', content_type: 'json' },
    });
    expect(JSON.stringify(created)).not.toContain('hook-secret');
    expect((await client.listHooks('alice', 'app')).map((listed) => listed.id)).toContain(created.id);

    const moved = await client.editHook('alice', 'app', created.id, {
      config: { url: 'https://ci.example/moved', content_type: 'json' },
      events: ['push', 'pull_request'],
    });
    expect(moved).toMatchObject({
      active: true,
      events: ['push', 'pull_request'],
      config: { url: 'https://ci.example/moved' },
    });
    const pushOnly = await client.editHook('alice', 'app', created.id, { events: [], active: false });
    expect(pushOnly).toMatchObject({
      active: false,
      events: ['push'],
      config: { url: 'https://ci.example/moved' },
    });
    expect(gogs.hooks('alice', 'app').find((stored) => stored.id === created.id)?.secret).toBe('hook-secret');

    await client.deleteHook('alice', 'app', created.id);
    await client.deleteHook('alice', 'app', created.id);
    expect(gogs.hooks('alice', 'app').some((stored) => stored.id === created.id)).toBe(false);
    await failure(client.editHook('alice', 'app', created.id, { events: ['push'] }), 'GOGS_NOT_FOUND');
  });

  it('creates a hook disabled when `active` is false', async () => {
    const created = await client.createHook('alice', 'app', hook({ active: false, events: [] }));
    expect(created).toMatchObject({ active: false, events: ['push'] });
    await client.deleteHook('alice', 'app', created.id);
  });

  it('comments on an issue, which Gogs announces as issue_comment', async () => {
    gogs.addHook({
      owner: 'alice',
      name: 'app',
      url: 'http://127.0.0.1:9/unreachable',
      events: ['issue_comment'],
    });
    const { number } = await gogs.openIssue({ owner: 'alice', name: 'app', title: 'Build', author: 'bob' });
    const comment = await client.createIssueComment('alice', 'app', number, 'Build #1 passed');
    expect(comment).toMatchObject({ body: 'Build #1 passed', user: { username: 'alice' } });
    expect(comment.html_url).toBe(`${gogs.url}alice/app/issues/${number}#issuecomment-${comment.id}`);
    await gogs.idle();
    expect(gogs.deliveries({ event: 'issue_comment' })).toHaveLength(1);
    const missing = await failure(client.createIssueComment('alice', 'app', 999, 'x'), 'GOGS_NOT_FOUND');
    expect(missing.message).toContain('issue does not exist');
  });
});

describe('errors', () => {
  it('401: names the call and DRONE_GOGS_GOGS_TOKEN for the sidecar token, the user for another token', async () => {
    const bad = createGogsClient({ baseUrl: gogs.url, token: 'a'.repeat(40) });
    const error = await failure(bad.currentUser(), 'GOGS_UNAUTHORIZED');
    expect(error.message).toContain('401');
    expect(error.message).toContain('GET /user');
    expect(error.message).toContain('DRONE_GOGS_GOGS_TOKEN');
    expect(error.details).toMatchObject({ method: 'GET', path: '/user', status: 401 });
    const userError = await failure(client.withToken('b'.repeat(40)).listMyRepos(), 'GOGS_UNAUTHORIZED');
    expect(userError.message).toContain("this user's token");
  });

  it('403 on hooks: the token’s user must be an admin of the repository', async () => {
    const error = await failure(client.withToken(tokens.bob!).listHooks('alice', 'app'), 'GOGS_FORBIDDEN');
    expect(error.message).toContain('GET /repos/alice/app/hooks');
    expect(error.message).toContain('must be an admin of alice/app');
    await failure(client.withToken(tokens.bob!).listCollaborators('alice', 'app'), 'GOGS_FORBIDDEN');
  });

  it('404: hidden and missing repositories, with the encoded path', async () => {
    const hidden = await failure(client.withToken(tokens.dave!).getRepo('alice', 'secret'), 'GOGS_NOT_FOUND');
    expect(hidden.message).toContain('cannot see it');
    const hooks = await failure(
      client.withToken(tokens.dave!).listHooks('alice', 'secret'),
      'GOGS_NOT_FOUND',
    );
    expect(hooks.message).toContain('admin rights');
    const odd = await failure(client.getRepo('alice', 'no such/repo'), 'GOGS_NOT_FOUND');
    expect(odd.message).toContain('/repos/alice/no%20such%2Frepo');
    await failure(client.listOrgTeams('nobody'), 'GOGS_NOT_FOUND');
    await failure(client.getBranch('alice', 'app', 'gone'), 'GOGS_NOT_FOUND');
  });

  it('400/415/422: GOGS_INVALID_REQUEST with Gogs’ own words', async () => {
    const badType = await failure(
      client.createHook('alice', 'app', hook({ type: 'jenkins' as 'gogs' })),
      'GOGS_INVALID_REQUEST',
    );
    expect(badType.message).toContain('422');
    expect(badType.message).toContain('Invalid hook type.');
    const unbound = await failure(
      client.createHook('alice', 'app', { events: ['push'] } as unknown as GogsCreateHook),
      'GOGS_INVALID_REQUEST',
    );
    expect(unbound.message).toContain('Type: Required (RequiredError); Config: Required (RequiredError)');
  });

  it('5xx: GOGS_UNAVAILABLE with Gogs’ message', async () => {
    gogs.injectFault({ match: only('/user/repos') });
    const error = await failure(client.listMyRepos(), 'GOGS_UNAVAILABLE');
    expect(error.message).toContain('500');
    expect(error.message).toContain('Something went wrong');
  });

  it('a reply that is not the documented shape: GOGS_UNAVAILABLE saying what was wrong', async () => {
    gogs.injectFault({
      match: only('/user'),
      reply: { status: 200, body: '{"id":"seven","username":"alice"}' },
    });
    const shape = await failure(client.currentUser(), 'GOGS_UNAVAILABLE');
    expect(shape.message).toContain('id: ');
    expect(shape.message).toContain('GET /user');
    gogs.injectFault({ match: only('/user'), reply: { status: 200, body: '<html>proxy login</html>' } });
    const html = await failure(client.currentUser(), 'GOGS_UNAVAILABLE');
    expect(html.message).toContain('not JSON');
    gogs.injectFault({
      match: only('/repos/alice/app/commits/refs/tags/v1'),
      reply: { status: 200, body: 'nope' },
    });
    await failure(client.getCommit('alice', 'app', 'refs/tags/v1'), 'GOGS_UNAVAILABLE');
  });

  it('a redirect is not followed: GOGS_UNAVAILABLE', async () => {
    gogs.injectFault({
      match: only('/user'),
      reply: { status: 302, headers: { Location: 'https://login.example/' } },
    });
    const error = await failure(client.currentUser(), 'GOGS_UNAVAILABLE');
    expect(error.message).toContain('redirect');
  });

  it('a time-out: GOGS_TIMEOUT naming the call', async () => {
    gogs.injectFault({ match: only('/user/orgs'), delayMs: 1_000 });
    const impatient = createGogsClient({ baseUrl: gogs.url, token: tokens.alice!, timeoutMs: 150 });
    const error = await failure(impatient.listMyOrgs(), 'GOGS_TIMEOUT');
    expect(error.message).toContain('GET /user/orgs');
    expect(error.message).toContain('150 ms');
  });

  it('connection refused: GOGS_UNAVAILABLE naming the host', async () => {
    const port = await closedPort();
    const nowhere = createGogsClient({ baseUrl: `http://127.0.0.1:${port}/`, token: tokens.alice! });
    const error = await failure(nowhere.currentUser(), 'GOGS_UNAVAILABLE');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('refused');
  });

  it('never shows the token in a message, details or cause, whatever the failure', async () => {
    const withToken = (token: string) => createGogsClient({ baseUrl: gogs.url, token });
    const errors = [
      await failure(withToken(BAD_TOKENS[0]!).currentUser(), 'GOGS_UNAUTHORIZED'),
      await failure(client.withToken(tokens.bob!).listHooks('alice', 'app'), 'GOGS_FORBIDDEN'),
      await failure(client.withToken(tokens.dave!).getRepo('alice', 'secret'), 'GOGS_NOT_FOUND'),
      await failure(client.createHook('alice', 'app', hook({ type: 'x' as 'gogs' })), 'GOGS_INVALID_REQUEST'),
    ];
    gogs.injectFault({ match: only('/user/repos') });
    errors.push(await failure(client.listMyRepos(), 'GOGS_UNAVAILABLE'));
    gogs.injectFault({ match: only('/user'), reply: { status: 200, body: `{"id":"${tokens.alice}"}` } });
    errors.push(await failure(client.currentUser(), 'GOGS_UNAVAILABLE'));
    gogs.injectFault({ match: only('/user/orgs'), delayMs: 1_000 });
    errors.push(
      await failure(
        createGogsClient({ baseUrl: gogs.url, token: tokens.alice!, timeoutMs: 100 }).listMyOrgs(),
        'GOGS_TIMEOUT',
      ),
    );
    const port = await closedPort();
    errors.push(
      await failure(
        createGogsClient({ baseUrl: `http://127.0.0.1:${port}/`, token: tokens.alice! }).currentUser(),
        'GOGS_UNAVAILABLE',
      ),
    );
    expect(errors).toHaveLength(8);
  });
});

describe('tolerance for older and hand-made replies', () => {
  it('accepts a 2017-era repository and a comment without html_url or login, ignoring unknown keys', async () => {
    const owner = { id: 1, login: 'alice', full_name: '', email: '', avatar_url: 'x', username: 'alice' };
    const oldRepo = {
      id: 9,
      owner,
      name: 'old',
      full_name: 'alice/old',
      description: '',
      private: false,
      fork: false,
      html_url: 'h',
      ssh_url: 's',
      clone_url: 'c',
      website: '',
      stars_count: 0,
      forks_count: 0,
      watchers_count: 1,
      open_issues_count: 0,
      default_branch: 'master',
      created_at: '2017-03-13T00:00:00Z',
      updated_at: '2017-03-13T00:00:00Z',
      something_new: { nested: true },
    };
    gogs.injectFault({
      match: only('/repos/alice/old'),
      reply: { status: 200, body: JSON.stringify(oldRepo) },
    });
    const repo = await client.getRepo('alice', 'old');
    expect(repo).toMatchObject({ full_name: 'alice/old', owner: { username: 'alice' } });
    expect(repo).not.toHaveProperty('something_new');
    expect(repo.permissions).toBeUndefined();

    const comment = {
      id: 74,
      user: { id: 1, username: 'unknwon', full_name: '', email: 'u@gogs.io', avatar_url: 'a' },
      body: 'what?',
      created_at: 't',
      updated_at: 't',
    };
    gogs.injectFault({
      match: only('/repos/alice/app/issues/1/comments'),
      reply: { status: 201, body: JSON.stringify(comment) },
    });
    expect(await client.createIssueComment('alice', 'app', 1, 'x')).toMatchObject({
      html_url: '',
      user: { username: 'unknwon', login: 'unknwon' },
    });
  });
});

describe('the token issuer', () => {
  const issuer = () => createGogsTokenIssuer({ baseUrl: gogs.url });

  it('creates a working token with the password, once per name', async () => {
    const token = await issuer().createToken('dave', 'dave-password', 'drone-gogs');
    expect(token.name).toBe('drone-gogs');
    expect(token.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect((await createGogsClient({ baseUrl: gogs.url, token: token.sha1 }).currentUser()).username).toBe(
      'dave',
    );
    expect(
      gogs.requests().find((request) => request.url === '/api/v1/users/dave/tokens')?.headers.authorization,
    ).toMatch(/^Basic /);
    const duplicate = await failure(
      issuer().createToken('dave', 'dave-password', 'drone-gogs'),
      'GOGS_INVALID_REQUEST',
    );
    expect(duplicate.message).toContain('dave already has a token named "drone-gogs"');
  });

  it('refuses a wrong password without showing it', async () => {
    const error = await failure(
      issuer().createToken('dave', 'wrong-password-123', 'other'),
      'GOGS_UNAUTHORIZED',
    );
    expect(error.message).toContain('username and password of dave');
    expect(inspect(error, { depth: 10 })).not.toContain('wrong-password-123');
    expect(inspect(error, { depth: 10 })).not.toContain(
      Buffer.from('dave:wrong-password-123').toString('base64'),
    );
  });
});
