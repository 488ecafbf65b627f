import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

/** Every way a secret could sit in a file: as text (and its other encodings), and as the bytes it spells. */
function formsOf(secret: string): { name: string; bytes: Buffer }[] {
  const text = Buffer.from(secret, 'utf8');
  const forms = [
    { name: 'text', bytes: text },
    { name: 'upper-case text', bytes: Buffer.from(secret.toUpperCase(), 'utf8') },
    { name: 'UTF-16', bytes: Buffer.from(secret, 'utf16le') },
    { name: 'hex of the text', bytes: Buffer.from(text.toString('hex'), 'utf8') },
    { name: 'base64 of the text', bytes: Buffer.from(text.toString('base64'), 'utf8') },
    { name: 'base64url of the text', bytes: Buffer.from(text.toString('base64url'), 'utf8') },
  ];
  if (/^([0-9a-f]{2})+$/.test(secret)) {
    const raw = Buffer.from(secret, 'hex');
    forms.push(
      { name: 'raw bytes', bytes: raw },
      { name: 'base64 of the bytes', bytes: Buffer.from(raw.toString('base64'), 'utf8') },
      { name: 'base64url of the bytes', bytes: Buffer.from(raw.toString('base64url'), 'utf8') },
    );
  }
  return forms;
}

/** The forms of `secret` found in `haystack`, any window of 12 bytes of a form counting as found. */
function leaksOf(secret: string, haystack: Buffer): string[] {
  const found: string[] = [];
  for (const { name, bytes } of formsOf(secret)) {
    const window = Math.min(12, bytes.length);
    for (let start = 0; start + window <= bytes.length; start++) {
      if (haystack.includes(bytes.subarray(start, start + window))) {
        found.push(`${name} at ${start}`);
        break;
      }
    }
  }
  return found;
}

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
    const files = (await readdir(dataDir)).filter((name) => name.startsWith('drone-gogs.db'));
    expect(files).toEqual(expect.arrayContaining(['drone-gogs.db', 'drone-gogs.db-wal']));
    const bytes = Buffer.concat(await Promise.all(files.map((name) => readFile(join(dataDir, name)))));

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
