import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';
import { databaseBytes, formsOf, leaksOf } from './leak-search.ts';

describe('secrets at rest', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  it('leaves no webhook secret, nor the key, in the database file or its WAL', async () => {
    t = await startSidecarBesideGogs();
    expect((await t.cli('repo', 'enable', 'alice/app')).code).toBe(0);
    const [first] = t.gogs.hooks('alice', 'app');
    expect((await t.cli('hooks', 'rotate', 'alice/app')).code).toBe(0);
    const [second] = t.gogs.hooks('alice', 'app');
    const push = await t.push('master', { 'a.txt': '1' }, 'one');
    expect(push.deliveries.map((delivery) => delivery.response?.status)).toEqual([202]);

    const dataDir = t.env.DRONE_GOGS_DATA_DIR!;
    const { files, bytes } = await databaseBytes(dataDir);
    expect(files).toEqual(expect.arrayContaining(['drone-gogs.db', 'drone-gogs.db-wal']));

    // The bytes are readable as stored: the rows and both stored ciphertexts are there to be found.
    const repo = await t.sidecar.services.stores.repos.findByFullName('alice/app');
    expect(repo?.previousHookSecret).toBeTruthy();
    for (const stored of [repo!.hookSecret!, repo!.previousHookSecret!, 'alice/app', push.sha]) {
      expect(bytes.includes(Buffer.from(stored, 'utf8')), stored).toBe(true);
    }
    const key = (await readFile(join(dataDir, 'secret.key'), 'utf8')).trim();
    for (const secret of [first!.secret, second!.secret, key]) {
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(leaksOf(secret, bytes)).toEqual([]);
    }
    // The search finds a secret wherever it is written, in every form it looks for.
    for (const { name, bytes: form } of formsOf(second!.secret)) {
      expect(leaksOf(second!.secret, Buffer.concat([bytes, Buffer.from('..'), form])), name).not.toEqual([]);
    }
  });
});
