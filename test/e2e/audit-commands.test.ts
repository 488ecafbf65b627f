/**
 * `drone-gogs audit export|verify` on the database file an admin has: changes made with the CLI are in the
 * chain; rows edited, deleted or inserted in the file itself (with SQL, as someone holding the file could) are
 * named by `verify`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditCommand } from '../../sidecar/commands/audit.ts';
import { secretCommandReading } from '../../sidecar/commands/secret.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { runCommand } from '../support/run-command.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const VALUE = `s3cr3t-${randomBytes(10).toString('hex')}`;

describe('drone-gogs audit', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let env: Record<string, string>;
  let file: Client;

  beforeEach(async () => {
    dir = await makeTempDir();
    env = { DRONE_GOGS_SECRET_KEY: randomBytes(32).toString('hex') };
    const url = pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href;
    const stores = await openStores({ url });
    try {
      await stores.repos.upsertFacts(repoFacts('alice/app', 7));
    } finally {
      await stores.close();
    }
    const stdin = { isTerminal: () => false, read: async () => Buffer.from(VALUE) };
    const secret = (...args: string[]) =>
      runCommand(secretCommandReading(stdin), args, { cwd: dir.path, env });
    for (const name of ['ONE', 'TWO', 'THREE']) expect((await secret('add', 'alice/app', name)).code).toBe(0);
    expect((await secret('rm', 'alice/app', 'TWO')).code).toBe(0);
    file = createClient({ url });
  });
  afterEach(async () => {
    file.close();
    await dir.remove();
  });

  const audit = (...args: string[]) => runCommand(auditCommand, args, { cwd: dir.path, env });

  it('exports the chain as JSON lines, never a value, and verifies it whole', async () => {
    const exported = await audit('export');
    expect(exported.code).toBe(0);
    const rows = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows.map((row) => [row.seq, row.actor, row.action, row.target, row.detail.secret])).toEqual([
      [1, 'local-admin', 'secret.add', 'alice/app', 'ONE'],
      [2, 'local-admin', 'secret.add', 'alice/app', 'TWO'],
      [3, 'local-admin', 'secret.add', 'alice/app', 'THREE'],
      [4, 'local-admin', 'secret.remove', 'alice/app', 'TWO'],
    ]);
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(exported.stdout).not.toContain(VALUE);
    expect(await audit('verify')).toEqual({
      code: 0,
      stdout: `audit log: 4 rows, intact; the last, row 4, is sealed ${rows[3].hash}\n`,
      stderr: '',
    });
    // --since: rows from then on; a date in the future leaves none.
    expect((await audit('export', '--since', '1d')).stdout.trim().split('\n')).toHaveLength(4);
    expect((await audit('export', '--since', '2999-01-01')).stdout).toBe('');
    expect(await audit('export', '--since', 'yesterday')).toMatchObject({ code: 2 });
  });

  it('names a row edited in the database file', async () => {
    await file.execute(`update audit_events set actor = 'someone-else' where seq = 2`);
    const verdict = await audit('verify');
    expect(verdict.code).toBe(1);
    expect(verdict.stderr).toMatch(/^audit log: row 2 was altered/);
  });

  it('names a row deleted from the database file, with and without the rows after it renumbered', async () => {
    await file.execute('delete from audit_events where seq = 2');
    expect((await audit('verify')).stderr).toMatch(/^audit log: row 2 is missing/);
    await file.execute('update audit_events set seq = seq - 1 where seq > 2');
    expect((await audit('verify')).stderr).toMatch(/^audit log: a row before row 2 is missing/);
  });

  it('names a row inserted into the database file', async () => {
    await file.execute('update audit_events set seq = seq + 10 where seq > 1');
    await file.execute('update audit_events set seq = seq - 9 where seq > 10');
    await file.execute(
      `insert into audit_events (seq, at, actor, action, target, decision, detail, key_id, prev_hash, hash)
       select 2, at, actor, 'build.approve', target, decision, detail, key_id, hash, hash from audit_events where seq = 1`,
    );
    const verdict = await audit('verify');
    expect(verdict.code).toBe(1);
    expect(verdict.stderr).toMatch(/^audit log: row 2 was inserted/);
  });
});
