/**
 * `drone-gogs secret add|update|ls|rm`, as an admin types them: in process (with stdin played by the test, a
 * terminal or a pipe) and as a real process reading its real stdin. What was stored is read back by decrypting it
 * the way a build does; what the commands print never holds a value.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { secretCommandReading, type ValueInput } from '../../sidecar/commands/secret.ts';
import { createBuildSecrets, createSecretCipher } from '../../sidecar/secrets/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { runCommand } from '../support/run-command.ts';
import { REPO_ROOT } from '../support/sidecar-process.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const KEY = randomBytes(32);
const VALUE = `s3cr3t-${randomBytes(10).toString('hex')}`;

/** Stdin as the test plays it: a terminal nobody types into, or a pipe holding `text`. */
const terminal: ValueInput = {
  isTerminal: () => true,
  read: () => Promise.reject(new Error('a terminal is never read')),
};
const piped = (text: string | Buffer): ValueInput => ({
  isTerminal: () => false,
  read: async (maxBytes) => Buffer.from(text).subarray(0, maxBytes + 1),
});

describe('drone-gogs secret', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let env: Record<string, string>;
  let url: string;

  beforeEach(async () => {
    dir = await makeTempDir();
    env = { DRONE_GOGS_SECRET_KEY: KEY.toString('hex') };
    url = pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href;
    const stores = await openStores({ url });
    try {
      await stores.repos.upsertFacts(repoFacts('alice/app', 7));
    } finally {
      await stores.close();
    }
  });
  afterEach(() => dir.remove());

  const secret = (stdin: ValueInput, ...args: string[]) =>
    runCommand(secretCommandReading(stdin), args, { cwd: dir.path, env });
  /** The values a push build of alice/app would get, decrypted as the stage worker does. */
  const resolved = async (event: 'push' | 'pull_request' = 'push') => {
    const stores = await openStores({ url });
    try {
      const builds = createBuildSecrets({
        secrets: stores.secrets,
        cipher: createSecretCipher(KEY),
        logger: silentLogger,
      });
      return await builds.forBuild({ gogsId: 7, owner: 'alice', fullName: 'alice/app' }, { event, fork: '' });
    } finally {
      await stores.close();
    }
  };

  it('adds from stdin, dropping exactly one trailing newline, and says how it is exposed', async () => {
    const added = await secret(piped(`${VALUE}\n`), 'add', 'alice/app', 'DEPLOY_TOKEN');
    expect(added).toEqual({
      code: 0,
      stdout: 'added secret DEPLOY_TOKEN to alice/app (not exposed to pull requests)\n',
      stderr: '',
    });
    expect(
      await secret(piped('two lines\n\n'), 'add', 'alice/app', 'KEEPS_ONE', '--allow-pull-request'),
    ).toMatchObject({
      code: 0,
      stdout:
        'added secret KEEPS_ONE to alice/app (exposed to pull requests from the repository itself, never to forks)\n',
    });
    expect(await secret(piped('crlf\r\n'), 'add', 'alice/app', 'CRLF')).toMatchObject({ code: 0 });
    expect(await secret(piped('no-newline'), 'add', 'alice/app', 'PLAIN')).toMatchObject({ code: 0 });
    expect(await resolved()).toEqual({
      DEPLOY_TOKEN: VALUE,
      KEEPS_ONE: 'two lines\n',
      CRLF: 'crlf',
      PLAIN: 'no-newline',
    });
    expect(await resolved('pull_request')).toEqual({ KEEPS_ONE: 'two lines\n' });
  });

  it('refuses a value on the command line without printing it, and a terminal on stdin without --data-file', async () => {
    const onCommandLine = await secret(piped(''), 'add', 'alice/app', 'TOKEN', VALUE);
    expect(onCommandLine.code).toBe(2);
    expect(onCommandLine.stderr.split('\n')[0]).toBe(
      'drone-gogs: a secret value is never taken from the command line (it would stay in the shell history and show in `ps`); give it on stdin or with --data-file FILE',
    );
    const orgCommandLine = await secret(piped(''), 'update', '--org', 'alice', 'TOKEN', VALUE);
    expect(orgCommandLine.code).toBe(2);
    expect(orgCommandLine.stderr).toContain('never taken from the command line');
    for (const outcome of [onCommandLine, orgCommandLine])
      expect(outcome.stdout + outcome.stderr).not.toContain(VALUE);

    const fromTerminal = await secret(terminal, 'add', 'alice/app', 'TOKEN');
    expect(fromTerminal.code).toBe(2);
    expect(fromTerminal.stderr.split('\n')[0]).toBe(
      'drone-gogs: give the value on stdin (`printf %s VALUE | drone-gogs secret …`) or with --data-file FILE; it is never read from a terminal or the command line',
    );
    expect(await secret(piped('\n'), 'add', 'alice/app', 'TOKEN')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'drone-gogs: the secret value is empty\n',
    });
    expect(await secret(piped(Buffer.from([0x61, 0xff, 0x62])), 'add', 'alice/app', 'TOKEN')).toMatchObject({
      code: 1,
      stderr: 'drone-gogs: the secret value is not UTF-8 text\n',
    });
    expect(await secret(piped('x'.repeat(70_000)), 'add', 'alice/app', 'TOKEN')).toMatchObject({
      code: 1,
      stderr: 'drone-gogs: the secret value is more than 65536 bytes; the limit is 65536 (64 KiB)\n',
    });
    expect(await secret(piped(VALUE), 'add', 'alice/app', 'bad/name')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^drone-gogs: a secret name may hold letters, digits, underscores, dots and dashes only\n/,
      ),
    });
    expect(await secret(piped(VALUE), 'add', '--org', 'alice', 'alice/app', 'NAME')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^drone-gogs: give OWNER\/NAME or --org ORG, not both\n/),
    });
    expect(await resolved()).toEqual({});
  });

  it('reads --data-file, updates the value or only the rule, lists names and rules, removes', async () => {
    const file = join(dir.path, 'token.txt');
    await writeFile(file, `${VALUE}\n`);
    expect(await secret(terminal, 'add', 'alice/app', 'FROM_FILE', '--data-file', 'token.txt')).toMatchObject(
      { code: 0 },
    );
    // The service's refusals are AppErrors, which the CLI prints (see the last test) and exits 1 with.
    await expect(
      secret(terminal, 'add', 'alice/app', 'from_file', '--data-file', file),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message:
        'alice/app has a secret FROM_FILE already (names are case-insensitive); change it with `drone-gogs secret update alice/app FROM_FILE`',
    });
    expect(await secret(terminal, 'add', 'alice/app', 'X', '--data-file', 'missing.txt')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'drone-gogs: cannot read missing.txt: ENOENT\n',
    });

    // A terminal and a rule: only the rule changes. An empty pipe and a rule: the same.
    expect(await secret(terminal, 'update', 'alice/app', 'from_file', '--allow-pull-request')).toEqual({
      code: 0,
      stdout:
        'updated secret FROM_FILE of alice/app: value kept, exposed to pull requests from the repository itself, never to forks\n',
      stderr: '',
    });
    expect(await resolved('pull_request')).toEqual({ FROM_FILE: VALUE });
    expect(
      await secret(piped(''), 'update', 'alice/app', 'FROM_FILE', '--no-allow-pull-request'),
    ).toMatchObject({
      code: 0,
      stdout: 'updated secret FROM_FILE of alice/app: value kept, not exposed to pull requests\n',
    });
    expect(await resolved('pull_request')).toEqual({});
    expect(await secret(piped('new-value\n'), 'update', 'alice/app', 'FROM_FILE')).toMatchObject({
      code: 0,
      stdout: 'updated secret FROM_FILE of alice/app: value replaced, not exposed to pull requests\n',
    });
    expect(await resolved()).toEqual({ FROM_FILE: 'new-value' });
    expect(await secret(terminal, 'update', 'alice/app', 'FROM_FILE')).toMatchObject({ code: 2 });
    expect(
      await secret(
        terminal,
        'update',
        'alice/app',
        'FROM_FILE',
        '--allow-pull-request',
        '--no-allow-pull-request',
      ),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^drone-gogs: give --allow-pull-request or --no-allow-pull-request, not both\n/,
      ),
    });

    const listed = await secret(terminal, 'ls', 'alice/app', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        name: 'FROM_FILE',
        scope: 'repo',
        repo: 'alice/app',
        namespace: '',
        pull_request: false,
        created_by: 'local-admin',
        created: expect.any(Number),
        updated: expect.any(Number),
      },
    ]);
    const table = await secret(terminal, 'ls', 'alice/app');
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+PULL REQUESTS\s+ADDED BY\s+UPDATED$/);
    expect(table.stdout).toMatch(/^FROM_FILE\s+no\s+local-admin\s+\d{4}-/m);
    for (const outcome of [listed, table]) {
      expect(outcome.stdout).not.toContain(VALUE);
      expect(outcome.stdout).not.toContain('new-value');
    }

    expect(await secret(terminal, 'rm', 'alice/app', 'from_file')).toEqual({
      code: 0,
      stdout: 'removed secret FROM_FILE from alice/app\n',
      stderr: '',
    });
    expect(await resolved()).toEqual({});
    expect((await secret(terminal, 'ls', 'alice/app')).stdout).toBe('no secrets\n');
    await expect(secret(terminal, 'rm', 'alice/app', 'from_file')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'alice/app has no secret from_file; add it with `drone-gogs secret add alice/app from_file`',
    });
  });

  it('keeps organisation secrets under --org, overridden by the repository for its own builds', async () => {
    expect(
      await secret(piped('org-value\n'), 'add', '--org', 'Alice', 'SHARED', '--allow-pull-request'),
    ).toEqual({
      code: 0,
      stdout:
        'added secret SHARED to organisation alice (exposed to pull requests from the repository itself, never to forks)\n',
      stderr: '',
    });
    expect(await secret(piped('other\n'), 'add', '--org', 'nobody', 'X')).toMatchObject({
      code: 0,
      stderr:
        'warning: no repository drone-gogs knows belongs to nobody; its builds are the only ones that see this secret\n',
    });
    expect(JSON.parse((await secret(terminal, 'ls', '--org', 'alice', '--json')).stdout)).toEqual([
      expect.objectContaining({
        name: 'SHARED',
        scope: 'org',
        namespace: 'alice',
        repo: '',
        pull_request: true,
      }),
    ]);
    expect(await resolved('pull_request')).toEqual({ SHARED: 'org-value' });
    await secret(piped('repo-value\n'), 'add', 'alice/app', 'shared');
    expect(await resolved()).toEqual({ shared: 'repo-value' });
    expect(await resolved('pull_request')).toEqual({});
    expect(await secret(terminal, 'rm', '--org', 'alice', 'shared')).toMatchObject({
      code: 0,
      stdout: 'removed secret SHARED from organisation alice\n',
    });
    expect(await resolved()).toEqual({ shared: 'repo-value' });
  });

  it('explains the value rules in --help', async () => {
    for (const action of ['add', 'update']) {
      const help = await secret(terminal, action, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('exactly one\n  trailing newline');
      expect(help.stdout).toContain('never taken from the command line');
      expect(help.stdout).toContain('--org ORG');
    }
    expect((await secret(terminal, 'ls', '--help')).stdout).toContain('never values');
    expect((await secret(terminal, '--help')).stdout).toContain(
      'drone-gogs secret rm (OWNER/NAME | --org ORG) NAME',
    );
  });

  it('reads the real stdin of a drone-gogs process, as `echo VALUE | drone-gogs secret add` does', async () => {
    const cli = (args: string[], input?: string) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'sidecar/cli.ts'), 'secret', ...args], {
        cwd: dir.path,
        env: { PATH: process.env.PATH ?? '', HOME: dir.path, ...env },
        encoding: 'utf8',
        input,
        timeout: 30_000,
      });
    const added = cli(['add', 'alice/app', 'PIPED'], `${VALUE}\n`);
    expect({ code: added.status, stdout: added.stdout, stderr: added.stderr }).toEqual({
      code: 0,
      stdout: 'added secret PIPED to alice/app (not exposed to pull requests)\n',
      stderr: '',
    });
    expect(await resolved()).toEqual({ PIPED: VALUE });
    const again = cli(['add', 'alice/app', 'piped'], 'other\n');
    expect({ code: again.status, stdout: again.stdout, stderr: again.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'drone-gogs: alice/app has a secret PIPED already (names are case-insensitive); change it with `drone-gogs secret update alice/app PIPED`\n',
    });
    // stdin a real terminal (a pseudo-terminal from util-linux's script): refused at once, nothing read or stored.
    const command = [
      process.execPath,
      join(REPO_ROOT, 'sidecar/cli.ts'),
      'secret',
      'add',
      'alice/app',
      'TYPED',
    ];
    const typed = spawnSync('script', ['-qec', command.join(' '), '/dev/null'], {
      cwd: dir.path,
      env: { PATH: process.env.PATH ?? '', HOME: dir.path, ...env },
      encoding: 'utf8',
      input: '',
      timeout: 30_000,
    });
    expect(typed.status).toBe(2);
    expect(typed.stdout).toContain('drone-gogs: give the value on stdin');
    expect(await resolved()).toEqual({ PIPED: VALUE });
    // Through the CLI's own table of commands too.
    const listed = await runCommand(runCli, ['secret', 'ls', 'alice/app', '--json'], { cwd: dir.path, env });
    expect(JSON.parse(listed.stdout).map((each: { name: string }) => each.name)).toEqual(['PIPED']);
    expect(listed.stdout).not.toContain(VALUE);
  });
});
