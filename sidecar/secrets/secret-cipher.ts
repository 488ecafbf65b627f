import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError, type Logger, type SecretKeySet, type SecretUpgrader } from '../core/index.ts';
import { createSecretKeyRing, type SecretKeyRing } from './secret-key-ring.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_HINT = 'DRONE_GOGS_SECRET_KEY (or data/secret.key)';

/**
 * Encrypts secrets at rest with AES-256-GCM. The stored form is `v2:<keyId>:<iv>:<ciphertext>:<tag>`
 * (base64url parts). The associated data is the header `v2:<keyId>` and the value's place (table, column,
 * row: see core's `hookSecretPlace`), so a ciphertext copied to another row or column does not decrypt, and
 * the key id says which key of the ring encrypted a value. Values of the format before it,
 * `v1.<iv>.<tag>.<ciphertext>` without associated data, are only read by `upgrade` (migrate's data step).
 */
export interface SecretCipher extends SecretUpgrader {
  /** The id of the key new values are encrypted with: 8 hex characters derived from the key, not secret. */
  readonly keyId: string;
  encrypt(plaintext: string, place: string): string;
  /**
   * Decrypts with whichever key of the ring the value names. Throws AppError DECRYPT_FAILED, with
   * `details.reason`, when the value is malformed or in the old format (`format`), was encrypted with a key the
   * ring does not hold even after reading it again from disk (`unknown-key`), or was altered, truncated or
   * copied from another place (`not-authentic`).
   */
  decrypt(stored: string, place: string): string;
  /** The id of the key that encrypted `stored`; null for a value of the old format or no known format. */
  keyIdOf(stored: string): string | null;
  /** The key ring behind it: ids of the retired keys, reload. */
  readonly ring: SecretKeyRing;
}

export interface SecretCipherOptions {
  /** Reads the key set again from disk: called once for a key id the ring does not hold, then refused. */
  reload?: () => SecretKeySet;
  logger?: Logger;
}

export function createSecretCipher(
  keys: Buffer | SecretKeySet,
  options: SecretCipherOptions = {},
): SecretCipher {
  const ring = createSecretKeyRing(Buffer.isBuffer(keys) ? { current: keys, retired: [] } : keys, options);

  const refuse = (reason: string, message: string, place: string, cause?: unknown): never => {
    throw new AppError('DECRYPT_FAILED', message, {
      details: { reason, place },
      ...(cause === undefined ? {} : { cause }),
    });
  };

  /** AES-256-GCM decryption that insists on a whole 16-byte tag (Node accepts shorter ones by default). */
  const open = (
    key: Buffer,
    iv: Buffer,
    ciphertext: Buffer,
    tag: Buffer,
    aad: string | null,
    place: string,
  ) => {
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      refuse('not-authentic', `the stored secret ${place} is truncated or altered`, place);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      if (aad !== null) decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (cause) {
      return refuse(
        'not-authentic',
        `cannot decrypt the stored secret ${place}: it was altered or copied from another place, or ${KEY_HINT} is not the key it was stored with`,
        place,
        cause,
      );
    }
  };

  /** A v1 value names no key: the first key of the ring (current first) that opens it. */
  const openV1 = (iv: Buffer, ciphertext: Buffer, tag: Buffer, place: string): string => {
    const [current, ...retired] = ring.keys();
    try {
      return open(current as Buffer, iv, ciphertext, tag, null, place);
    } catch (refusal) {
      for (const key of retired) {
        try {
          return open(key, iv, ciphertext, tag, null, place);
        } catch {
          // Not this one either: the current key's refusal names the problem.
        }
      }
      throw refusal;
    }
  };

  const cipher: SecretCipher = {
    get keyId() {
      return ring.keyId;
    },
    ring,

    encrypt(plaintext, place) {
      const { id, key } = ring.current();
      const header = `v2:${id}`;
      const iv = randomBytes(IV_BYTES);
      const gcm = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      gcm.setAAD(Buffer.from(`${header}:${place}`, 'utf8'));
      const ciphertext = Buffer.concat([gcm.update(plaintext, 'utf8'), gcm.final()]);
      return [header, iv, ciphertext, gcm.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join(':');
    },

    decrypt(stored, place) {
      const parts = stored.split(':');
      if (parts.length !== 5 || parts[0] !== 'v2') {
        const old = stored.startsWith('v1.') ? ' (the old v1 format: `drone-gogs migrate` upgrades it)' : '';
        return refuse('format', `the stored secret ${place} has an unknown format${old}`, place);
      }
      const [, storedKeyId = '', iv = '', ciphertext = '', tag = ''] = parts;
      const key = ring.find(storedKeyId);
      if (key === null) {
        return refuse(
          'unknown-key',
          `the stored secret ${place} was encrypted with key ${storedKeyId}, but ${KEY_HINT} is key ${ring.keyId} and no retired key (data/secret-keys/, DRONE_GOGS_SECRET_KEYS_RETIRED) is key ${storedKeyId}`,
          place,
        );
      }
      return open(
        key,
        Buffer.from(iv, 'base64url'),
        Buffer.from(ciphertext, 'base64url'),
        Buffer.from(tag, 'base64url'),
        `v2:${storedKeyId}:${place}`,
        place,
      );
    },

    keyIdOf(stored) {
      const parts = stored.split(':');
      return parts.length === 5 && parts[0] === 'v2' ? (parts[1] ?? null) : null;
    },

    isCurrent: (stored) => stored.startsWith(`v2:${ring.keyId}:`),

    upgrade(stored, place) {
      if (cipher.isCurrent(stored)) return stored;
      const v1 = /^v1\.([\w-]*)\.([\w-]*)\.([\w-]*)$/.exec(stored);
      // Not v1: a value under another key, which decrypt reads when the ring holds that key (and refuses otherwise).
      if (!v1) return cipher.encrypt(cipher.decrypt(stored, place), place);
      const [, iv = '', tag = '', ciphertext = ''] = v1;
      const plaintext = openV1(
        Buffer.from(iv, 'base64url'),
        Buffer.from(ciphertext, 'base64url'),
        Buffer.from(tag, 'base64url'),
        place,
      );
      return cipher.encrypt(plaintext, place);
    },
  };
  return cipher;
}

/** A fresh webhook secret: 32 random bytes as hex. */
export function generateHookSecret(): string {
  return randomBytes(32).toString('hex');
}
