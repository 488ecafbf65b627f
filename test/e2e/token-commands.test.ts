/** `drone-gogs token create|ls|revoke` on an admin's database file: the value printed once, never again. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenCommand } from '../../sidecar/commands/token.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { runCommand } from '../support/run-command.ts';
import { makeTempDir } from '../support/temp-dir.ts';

describe('drone-gogs token', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let url: string;
  const env = { DRONE_GOGS_SECRET_KEY: randomBytes(32).toString('hex') };

  beforeEach(async () => {
    dir = await makeTempDir();
    url = pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href;
    const stores = await openStores({ url });
    try {
      // Met before (so Gogs is not asked; the Gogs lookup has its own test).
      await stores.users.upsert({ gogsId: 5, login: 'bob', email: '', fullName: '' });
    } finally {
      await stores.close();
    }
  });
  afterEach(() => dir.remove());

  const token = (...args: string[]) => runCommand(tokenCommand, args, { cwd: dir.path, env });

  it('prints a new token once, lists tokens without it, and revokes one', async () => {
    const created = await token('create', 'bob', '--expires', '30d', '--name', 'ci');
    expect(created.code).toBe(0);
    const value = created.stdout.trim();
    expect(value).toMatch(/^dgt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(
      /^token 1 for bob, expires \d{4}-\d\d-\d\dT[\d:]+Z; it is not shown again\n$/,
    );

    const listed = await token('ls');
    expect(listed.stdout).toMatch(/^ID +USER +NAME +CREATED +EXPIRES +LAST USED +REVOKED\n1 +bob +ci +/);
    expect(listed.stdout).not.toContain(value);
    const json = JSON.parse((await token('ls', 'bob', '--json')).stdout);
    expect(json).toEqual([
      expect.objectContaining({ id: 1, user: 'bob', name: 'ci', revoked: 0, last_used: 0 }),
    ]);

    expect(await token('revoke', '1')).toEqual({ code: 0, stdout: 'revoked token 1 of bob\n', stderr: '' });
    const client = createClient({ url });
    try {
      const rows = (await client.execute('select revoked_at from api_tokens')).rows;
      expect(Number(rows[0]?.revoked_at)).toBeGreaterThan(0);
      expect(JSON.stringify((await client.execute('select * from api_tokens')).rows)).not.toContain(value);
    } finally {
      client.close();
    }
    expect(await token('create', 'bob', '--expires', 'soon')).toMatchObject({ code: 2 });
    expect(await token('revoke', 'one')).toMatchObject({ code: 2 });
  });
});
