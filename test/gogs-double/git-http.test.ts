/**
 * Git smart HTTP on the Gogs test double, driven by the real git CLI: Gogs' credential rules (public pull is
 * anonymous, tokens work as username or password), push rights, gzip request bodies, and webhooks after a push.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callApi,
  createGitCli,
  type GitCli,
  type GogsDouble,
  type HookReceiver,
  startGogsDouble,
  startHookReceiver,
} from '../support/gogs-double/index.ts';

let gogs: GogsDouble;
let git: GitCli;
let receiver: HookReceiver;
const tokens: Record<string, string> = {};

function repoUrl(path: string, credentials?: string): string {
  const url = new URL(path, gogs.url);
  if (credentials !== undefined) {
    const [username, password] = credentials.split(':');
    url.username = username ?? '';
    url.password = password ?? '';
  }
  return url.href;
}

async function clone(url: string, directory: string) {
  return git.run(['clone', '--quiet', url, directory]);
}

async function commitAndPush(
  directory: string,
  file: string,
  content: string,
  url: string,
  refspec = 'HEAD:master',
) {
  const dir = join(git.workDir, directory);
  await writeFile(join(dir, file), content);
  await git.run(['-C', dir, 'add', file]);
  await git.run(['-C', dir, 'commit', '--quiet', '-m', `Change ${file}`]);
  return git.run(['-C', dir, 'push', url, refspec]);
}

beforeAll(async () => {
  gogs = await startGogsDouble();
  git = await createGitCli();
  receiver = await startHookReceiver();
  for (const username of ['alice', 'bob', 'carol']) {
    tokens[username] = gogs.addUser({ username, password: `${username}-password` }).token;
  }
  await gogs.createRepo({ owner: 'alice', name: 'public', files: { 'README.md': 'public\n' } });
  await gogs.createRepo({
    owner: 'alice',
    name: 'private',
    private: true,
    files: { 'README.md': 'private\n' },
  });
  gogs.addCollaborator({ owner: 'alice', name: 'private', username: 'bob', level: 'write' });
  gogs.addCollaborator({ owner: 'alice', name: 'private', username: 'carol', level: 'read' });
  gogs.addHook({ owner: 'alice', name: 'private', url: receiver.url, events: ['create', 'delete', 'push'] });
});

afterAll(async () => {
  await gogs?.close();
  await git?.cleanup();
  await receiver?.close();
});

describe('pulling', () => {
  it('clones a public repository without credentials', async () => {
    const result = await clone(repoUrl('alice/public.git'), 'public-anon');
    expect(result.code).toBe(0);
    const log = await git.run(['-C', join(git.workDir, 'public-anon'), 'log', '--format=%H', '-1']);
    expect(log.stdout.toString().trim()).toBe(await gogs.branchHead('alice', 'public', 'master'));
  });

  it('refuses a private repository without credentials or with a wrong token', async () => {
    const anonymous = await clone(repoUrl('alice/private.git'), 'private-anon');
    expect(anonymous.code).not.toBe(0);
    const wrong = await clone(repoUrl('alice/private.git', `${'a'.repeat(40)}:x`), 'private-wrong');
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/Authentication failed|401/);
  });

  it('clones a private repository with the token as username, as password, or with the password', async () => {
    for (const [credentials, directory] of [
      [`${tokens.carol}:anything`, 'private-token-user'],
      [`someone:${tokens.carol}`, 'private-token-password'],
      ['carol:carol-password', 'private-password'],
    ] as const) {
      const result = await clone(repoUrl('alice/private.git', credentials), directory);
      expect(result.code, result.output).toBe(0);
    }
  });
});

describe('pushing', () => {
  it('refuses a reader with 403 and an anonymous pusher with 401', async () => {
    await clone(repoUrl('alice/private.git', `carol:${tokens.carol}`), 'carol-work');
    const reader = await commitAndPush(
      'carol-work',
      'carol.txt',
      'no',
      repoUrl('alice/private.git', `carol:${tokens.carol}`),
    );
    expect(reader.code).not.toBe(0);
    expect(reader.output).toMatch(/403/);
    await clone(repoUrl('alice/public.git'), 'anon-work');
    const anonymous = await commitAndPush('anon-work', 'anon.txt', 'no', repoUrl('alice/public.git'));
    expect(anonymous.code).not.toBe(0);
  });

  it('takes a writer’s push, shows it in the API and announces it as Gogs would', async () => {
    const url = repoUrl('alice/private.git', `bob:${tokens.bob}`);
    await clone(url, 'bob-work');
    const before = await gogs.branchHead('alice', 'private', 'master');
    const pushed = await commitAndPush('bob-work', 'bob.txt', 'from bob\n', url);
    expect(pushed.code, pushed.output).toBe(0);
    await gogs.idle();
    const after = await gogs.branchHead('alice', 'private', 'master');
    expect(after).not.toBe(before);
    const raw = await callApi(gogs.apiUrl, '/repos/alice/private/raw/master/bob.txt', {
      token: tokens.alice,
    });
    expect(raw.text).toBe('from bob\n');
    const push = gogs.deliveries({ event: 'push' }).at(-1);
    expect(JSON.parse(push?.payload ?? '{}')).toMatchObject({
      ref: 'refs/heads/master',
      before,
      after,
      pusher: { username: 'bob' },
      commits: [{ id: after, added: ['bob.txt'], author: { email: 'pusher@example.com', username: '' } }],
    });
  });

  it('announces a new branch as create then push, a pushed tag as create only, a deletion as delete', async () => {
    const url = repoUrl('alice/private.git', `bob:${tokens.bob}`);
    const start = gogs.deliveries().length;
    const branch = await commitAndPush('bob-work', 'topic.txt', 'topic', url, 'HEAD:refs/heads/topic');
    expect(branch.code, branch.output).toBe(0);
    await git.run(['-C', join(git.workDir, 'bob-work'), 'tag', 'v9']);
    expect((await git.run(['-C', join(git.workDir, 'bob-work'), 'push', url, 'refs/tags/v9'])).code).toBe(0);
    expect(
      (await git.run(['-C', join(git.workDir, 'bob-work'), 'push', url, ':refs/heads/topic'])).code,
    ).toBe(0);
    await gogs.idle();
    const events = gogs
      .deliveries()
      .slice(start)
      .map((delivery) => [delivery.event, (JSON.parse(delivery.payload) as { ref: string }).ref]);
    expect(events).toEqual([
      ['create', 'topic'],
      ['push', 'refs/heads/topic'],
      ['create', 'v9'],
      ['delete', 'topic'],
    ]);
  });
});

describe('large transfers', () => {
  it('streams a multi-megabyte clone and push through http-backend intact', async () => {
    const big = randomBytes(3 * 1024 * 1024).toString('base64');
    await gogs.pushCommit({
      owner: 'alice',
      name: 'public',
      branch: 'big',
      files: { 'big.txt': big },
      message: 'Big',
    });
    const url = repoUrl('alice/public.git', `alice:${tokens.alice}`);
    expect((await git.run(['clone', '--quiet', '--branch', 'big', url, 'big-clone'])).code).toBe(0);
    expect(await readFile(join(git.workDir, 'big-clone', 'big.txt'), 'utf8')).toBe(big);
    const bigger = randomBytes(2 * 1024 * 1024).toString('hex');
    const pushed = await commitAndPush('big-clone', 'bigger.txt', bigger, url, 'HEAD:big');
    expect(pushed.code, pushed.output).toBe(0);
    const raw = await callApi(gogs.apiUrl, '/repos/alice/public/raw/big/bigger.txt', { token: tokens.alice });
    expect(raw.text).toBe(bigger);
  });
});

describe('request bodies', () => {
  it('inflates a gzip upload-pack request before git http-backend reads it', async () => {
    const head = (await gogs.branchHead('alice', 'public', 'master'))!;
    const want = `want ${head}\n`;
    const request = `${(want.length + 4).toString(16).padStart(4, '0')}${want}00000009done\n`;
    const response = await fetch(repoUrl('alice/public.git/git-upload-pack'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' },
      body: gzipSync(Buffer.from(request)),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-git-upload-pack-result');
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(body.subarray(8, 12).toString()).toBe('PACK');
  });
});
