/**
 * `drone-gogs rotate gogs-token` beside the Gogs test double: a checked new token replaces the token file, and a
 * sidecar that is already serving sends it from its next call, for the API and for git (read from the double's
 * request log); refusals leave the file as it was; the token is never printed, logged or stored.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { rotateGogsToken } from '../../sidecar/commands/rotate-gogs-token.ts';
import { LOCAL_ADMIN } from '../../sidecar/core/index.ts';
import type { RequestRecord } from '../support/gogs-double/index.ts';
import { NO_ENGINE, type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const PIPELINE = `kind: pipeline
type: docker
name: test

steps:
- name: test
  image: busybox
  commands: [echo test]
`;

/** The token a request to the double carried: `token X` for the API, the Basic user name for git. */
function tokenSent(request: RequestRecord): string | null {
  const authorization = request.headers.authorization ?? '';
  if (authorization.startsWith('token ')) return authorization.slice('token '.length);
  if (authorization.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    return decoded.slice(0, decoded.indexOf(':'));
  }
  return null;
}

const isGit = (request: RequestRecord) => request.url.startsWith('/alice/app.git/');
const isApi = (request: RequestRecord) => request.url.startsWith('/api/');

describe('drone-gogs rotate gogs-token', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  const dataDir = () => t.env.DRONE_GOGS_DATA_DIR as string;
  const tokenFile = () => join(dataDir(), 'gogs.token');
  /** A file outside the data dir holding `text`, as an admin saves a token copied from Gogs. */
  const saved = async (text: string) => {
    const path = join(dataDir(), '..', 'new.token');
    await writeFile(path, text);
    return path;
  };
  const push = async (file: string, message: string) => {
    const pushed = await t.push('master', { '.drone.yml': PIPELINE, [file]: `${message}\n` }, message);
    return t.settled(pushed.deliveries[0]?.id ?? '');
  };

  it('switches a running serve to the new token for the API and git; the old one revoked, builds and hooks go on', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE, tokenIn: 'file' });
    const oldToken = (await readFile(tokenFile(), 'utf8')).trim();
    expect((await t.cli('repo', 'enable', 'alice/app')).code).toBe(0);
    expect(await push('src/a.txt', 'first')).toMatchObject({ status: 'done', statusReason: 'build #1' });
    const before = t.gogs.requests();
    expect(before.filter(isApi).map(tokenSent)).toContain(oldToken);
    expect(before.filter(isGit).map(tokenSent)).toContain(oldToken);

    const newToken = t.gogs.addToken('alice', 'drone-gogs-rotated');
    const rotated = await t.cli('rotate', 'gogs-token', '--token-file', await saved(`${newToken}\n`));
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    expect(rotated.stdout).toContain(`the Gogs token in ${tokenFile()} is now a token of alice`);
    expect(rotated.stdout).toContain(`sign in as alice, open ${t.gogs.url}user/settings/applications`);
    expect(await readFile(tokenFile(), 'utf8')).toBe(`${newToken}\n`);
    expect((await stat(tokenFile())).mode & 0o777).toBe(0o600);

    const from = t.gogs.requests().length;
    expect(t.gogs.deleteToken('alice', 'double')).toBe(true);
    expect(await push('src/b.txt', 'second')).toMatchObject({ status: 'done', statusReason: 'build #2' });
    const repaired = await t.sidecar.services.repos.repair(LOCAL_ADMIN, 'alice/app');
    expect(repaired.map((entry) => entry.repo.fullName)).toEqual(['alice/app']);
    await t.sidecar.services.reconciler().runOnce();

    const after = t.gogs.requests().slice(from);
    const apiTokens = after.filter(isApi).map(tokenSent);
    const gitTokens = after.filter(isGit).map(tokenSent);
    expect(apiTokens.length).toBeGreaterThan(2);
    expect(gitTokens.length).toBeGreaterThan(0);
    expect(new Set(apiTokens)).toEqual(new Set([newToken]));
    expect(new Set(gitTokens)).toEqual(new Set([newToken]));

    // The token is in no output, no log line and no byte of the database (the audit table included).
    const printed = `${rotated.stdout}${rotated.stderr}${t.logLines.join('\n')}`;
    for (const token of [oldToken, newToken]) expect(printed).not.toContain(token);
    for (const name of ['drone-gogs.db', 'drone-gogs.db-wal']) {
      const bytes = await readFile(join(dataDir(), name)).catch(() => Buffer.alloc(0));
      expect(bytes.indexOf(oldToken)).toBe(-1);
      expect(bytes.indexOf(newToken)).toBe(-1);
    }
    const db = createClient({ url: `file:${join(dataDir(), 'drone-gogs.db')}` });
    try {
      const rows = await db.execute(
        "SELECT actor, target, decision, detail FROM audit_events WHERE action = 'gogs-token.rotate'",
      );
      expect(rows.rows).toHaveLength(1);
      const row = rows.rows[0] as unknown as { actor: string; decision: string; detail: string };
      expect(row).toMatchObject({ actor: 'local-admin', decision: 'allow' });
      expect(JSON.parse(row.detail)).toMatchObject({ gogsUser: 'alice', previousGogsUser: 'alice' });
      expect(JSON.stringify(rows.rows)).not.toContain(newToken);
    } finally {
      db.close();
    }
  });

  it('refuses a token Gogs does not accept, or that is not one token, and leaves the file untouched', async () => {
    t = await startSidecarBesideGogs({ tokenIn: 'file' });
    const original = await readFile(tokenFile());
    const { mtimeMs } = await stat(tokenFile());
    const wrong = 'f'.repeat(40);

    const refused = await t.cli('rotate', 'gogs-token', '--token-file', await saved(`${wrong}\n`));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Gogs did not accept the new token (GET /user answered 401)');
    expect(refused.stderr).toContain('is unchanged');
    expect(`${refused.stdout}${refused.stderr}`).not.toContain(wrong);

    const spaced = await t.cli('rotate', 'gogs-token', '--token-file', await saved('not a token\n'));
    expect(spaced.code).toBe(1);
    expect(spaced.stderr).toContain('the new token is not usable: it holds spaces');
    expect(spaced.stderr).not.toContain('not a token');

    expect(await readFile(tokenFile())).toEqual(original);
    expect((await stat(tokenFile())).mtimeMs).toBe(mtimeMs);
  });

  it("refuses another user's token; with --allow-other-user that user must be an admin of the enabled repositories", async () => {
    t = await startSidecarBesideGogs({ tokenIn: 'file' });
    expect((await t.cli('repo', 'enable', 'alice/app')).code).toBe(0);
    const original = await readFile(tokenFile(), 'utf8');

    const bobToken = t.gogs.addToken('bob', 'ci');
    const other = await t.cli('rotate', 'gogs-token', '--token-file', await saved(bobToken));
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      'the new token belongs to Gogs user bob, the current one to alice, who enabled the webhooks and repositories',
    );
    expect(other.stderr).toContain('--allow-other-user');

    // bob may push to alice/app but is not its admin.
    const notAdmin = await t.cli(
      'rotate',
      'gogs-token',
      '--token-file',
      await saved(bobToken),
      '--allow-other-user',
    );
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain(
      'Gogs user bob is not an admin of alice/app (checked 1 of 1 enabled repository)',
    );
    expect(await readFile(tokenFile(), 'utf8')).toBe(original);
    for (const outcome of [other, notAdmin])
      expect(`${outcome.stdout}${outcome.stderr}`).not.toContain(bobToken);

    const carol = t.gogs.addUser({ username: 'carol', password: 'carol-password' });
    t.gogs.addCollaborator({ owner: 'alice', name: 'app', username: 'carol', level: 'admin' });
    const takeover = await t.cli(
      'rotate',
      'gogs-token',
      '--token-file',
      await saved(carol.token),
      '--allow-other-user',
    );
    expect(takeover).toMatchObject({ code: 0, stderr: '' });
    expect(takeover.stdout).toContain('is now a token of carol');
    expect(takeover.stdout).toContain('sign in as alice');
    expect(await readFile(tokenFile(), 'utf8')).toBe(`${carol.token}\n`);
    expect(await t.sidecar.services.gogs?.currentUser()).toMatchObject({ username: 'carol' });

    const decisions = (await t.sidecar.services.stores.audit.read())
      .filter((row) => row.action === 'gogs-token.rotate')
      .map((row) => [row.decision, JSON.parse(row.detail).reason ?? null, JSON.parse(row.detail).gogsUser]);
    expect(decisions).toEqual([
      ['deny', 'token of another Gogs user', 'bob'],
      ['deny', 'new token lacks admin rights', 'bob'],
      ['allow', null, 'carol'],
    ]);
  });

  it('when the current token was already deleted in Gogs, takes the new one only with --allow-other-user', async () => {
    t = await startSidecarBesideGogs({ tokenIn: 'file' });
    t.gogs.deleteToken('alice', 'double');
    const newToken = t.gogs.addToken('alice', 'drone-gogs-rotated');
    const compared = await t.cli('rotate', 'gogs-token', '--token-file', await saved(newToken));
    expect(compared.code).toBe(1);
    expect(compared.stderr).toContain('the current token no longer works (Gogs answered 401)');
    const taken = await t.cli(
      'rotate',
      'gogs-token',
      '--token-file',
      await saved(newToken),
      '--allow-other-user',
    );
    expect(taken).toMatchObject({ code: 0, stderr: '' });
    expect(taken.stdout).toContain('Gogs already refused the old token');
    expect(await readFile(tokenFile(), 'utf8')).toBe(`${newToken}\n`);
    expect(await t.sidecar.services.gogs?.currentUser()).toMatchObject({ username: 'alice' });
  });

  it('refuses while the token comes from DRONE_GOGS_GOGS_TOKEN, and writes no file', async () => {
    t = await startSidecarBesideGogs();
    const newToken = t.gogs.addToken('alice', 'drone-gogs-rotated');
    const refused = await t.cli('rotate', 'gogs-token', '--token-file', await saved(newToken));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the Gogs token comes from DRONE_GOGS_GOGS_TOKEN, which this command cannot change: set the variable to the new token and restart the sidecar, or unset it',
    );
    await expect(stat(tokenFile())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads the new token from standard input with `-`, never from a terminal', async () => {
    t = await startSidecarBesideGogs({ tokenIn: 'file' });
    const newToken = t.gogs.addToken('alice', 'drone-gogs-rotated');
    const run = async (stdin: { isTerminal(): boolean; read(): Promise<Buffer> }) => {
      let stdout = '';
      let stderr = '';
      const code = await rotateGogsToken(
        { tokenFile: '-', allowOtherUser: false },
        {
          stdout: (text) => {
            stdout += text;
          },
          stderr: (text) => {
            stderr += text;
          },
          env: t.env,
          cwd: join(dataDir(), '..'),
          isTTY: false,
          interrupted: () => new AbortController().signal,
        },
        stdin,
      );
      return { code, stdout, stderr };
    };
    const fromTerminal = await run({ isTerminal: () => true, read: async () => Buffer.from(newToken) });
    expect(fromTerminal.code).toBe(1);
    expect(fromTerminal.stderr).toContain('it is not read from a terminal');

    const piped = await run({ isTerminal: () => false, read: async () => Buffer.from(`${newToken}\r\n`) });
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(tokenFile(), 'utf8')).toBe(`${newToken}\n`);
  });

  it('answers --help, and asks for --token-file rather than taking a token on the command line', async () => {
    t = await startSidecarBesideGogs({ tokenIn: 'file' });
    const help = await t.cli('rotate', 'gogs-token', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      'Usage: drone-gogs rotate gogs-token --token-file F|- [--allow-other-user]',
    );
    expect(help.stdout).toContain('--allow-other-user    accept a token of another Gogs user');
    expect(help.stdout).toContain('Your Settings -> Applications');
    expect((await t.cli('rotate', '--help')).stdout).toContain('drone-gogs rotate gogs-token');

    const missing = await t.cli('rotate', 'gogs-token');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('rotate gogs-token needs --token-file F (or - for standard input)');
    const positional = await t.cli('rotate', 'gogs-token', 'abc123');
    expect(positional.code).toBe(2);
    expect(positional.stderr).toContain('a token is never taken on the command line');
    expect(positional.stderr).not.toContain('abc123');
  });
});
