import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, type SecretKeyFiles, type SecretKeySet } from '../core/index.ts';
import { decodeKey } from './schema.ts';

export const SECRET_KEY_FILE = 'secret.key';
/** Beside the key file: `<keyId>.key` (retired keys that still decrypt), `<keyId>.audit-key` (retired for good). */
export const SECRET_KEYS_DIR = 'secret-keys';

const notFound = (error: NodeJS.ErrnoException) => {
  if (error.code === 'ENOENT') return null;
  throw error;
};

const invalidKeyFile = (path: string) =>
  new AppError(
    'SECRET_KEY_INVALID',
    `${path} does not hold a 32-byte key (64 hex characters); restore it from a backup or set DRONE_GOGS_SECRET_KEY`,
  );

/**
 * The key that encrypts secrets at rest: DRONE_GOGS_SECRET_KEY when set, else the key file in the data dir,
 * created (mode 0600) on first use. `generated` tells the caller to say so.
 */
export async function ensureSecretKey(
  configured: Buffer | null,
  dataDir: string,
): Promise<{ key: Buffer; source: 'environment' | 'file' | 'generated'; path: string | null }> {
  if (configured) return { key: configured, source: 'environment', path: null };
  const path = join(dataDir, SECRET_KEY_FILE);
  const existing = await readFile(path, 'utf8').catch(notFound);
  if (existing !== null) {
    const key = decodeKey(existing);
    if (!key) throw invalidKeyFile(path);
    return { key, source: 'file', path };
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { key, source: 'generated', path };
}

/** The retired keys in `secret-keys/*.key`, read synchronously: a cipher meeting an unknown key id calls it. */
function readRetiredKeyFiles(dataDir: string): Buffer[] {
  const dir = join(dataDir, SECRET_KEYS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => name.endsWith('.key'))
    .sort()
    .map((name) => {
      const key = decodeKey(readFileSync(join(dir, name), 'utf8'));
      if (!key) throw invalidKeyFile(join(dir, name));
      return key;
    });
}

/**
 * The whole key set as it is on disk now (and in the environment, which does not change while a process runs):
 * the current key from DRONE_GOGS_SECRET_KEY or `secret.key`, the retired ones from
 * DRONE_GOGS_SECRET_KEYS_RETIRED and `secret-keys/*.key`. Synchronous: the cipher's reload calls it.
 */
export function readSecretKeySet(
  configured: { current: Buffer | null; retired: readonly Buffer[] },
  dataDir: string,
): SecretKeySet {
  let current = configured.current;
  if (current === null) {
    const path = join(dataDir, SECRET_KEY_FILE);
    current = decodeKey(readFileSync(path, 'utf8'));
    if (!current) throw invalidKeyFile(path);
  }
  return { current, retired: [...configured.retired, ...readRetiredKeyFiles(dataDir)] };
}

/** Writes a file so that a crash leaves either the old content or the new, never a part: mode 0600. */
async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  await syncFolder(join(path, '..'));
}

async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

export function createSecretKeyFiles(dataDir: string, source: 'environment' | 'file'): SecretKeyFiles {
  const dir = join(dataDir, SECRET_KEYS_DIR);
  const ensureDir = async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  };
  return {
    source,

    async keepRetired(keyId, key) {
      await ensureDir();
      const path = join(dir, `${keyId}.key`);
      const existing = await readFile(path, 'utf8').catch(notFound);
      if (existing !== null && decodeKey(existing)?.equals(key)) return;
      await writeAtomically(path, `${key.toString('hex')}\n`);
    },

    async replaceCurrent(key) {
      if (source === 'environment') {
        throw new AppError(
          'CONFIG_INVALID',
          'the secret key comes from DRONE_GOGS_SECRET_KEY: a new data/secret.key would be ignored',
        );
      }
      await writeAtomically(join(dataDir, SECRET_KEY_FILE), `${key.toString('hex')}\n`);
    },

    async retire(keyId, auditKey) {
      await ensureDir();
      await writeAtomically(join(dir, `${keyId}.audit-key`), `${auditKey.toString('hex')}\n`);
      const deleted = await unlink(join(dir, `${keyId}.key`)).then(
        () => true,
        (error: NodeJS.ErrnoException) => notFound(error) ?? false,
      );
      if (deleted) await syncFolder(dir);
      return { deletedKeyFile: deleted };
    },

    async auditKeys() {
      const names = (await readdir(dir).catch(notFound)) ?? [];
      const keys = new Map<string, Buffer>();
      for (const name of names.filter((entry) => entry.endsWith('.audit-key'))) {
        const key = decodeKey(await readFile(join(dir, name), 'utf8'));
        if (key) keys.set(name.slice(0, -'.audit-key'.length), key);
      }
      return keys;
    },
  };
}
