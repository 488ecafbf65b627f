import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../core/index.ts';
import { decodeKey } from './schema.ts';

export const SECRET_KEY_FILE = 'secret.key';

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
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing !== null) {
    const key = decodeKey(existing);
    if (!key) {
      throw new AppError(
        'SECRET_KEY_INVALID',
        `${path} does not hold a 32-byte key (64 hex characters); restore it from a backup or set DRONE_GOGS_SECRET_KEY`,
      );
    }
    return { key, source: 'file', path };
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { key, source: 'generated', path };
}
