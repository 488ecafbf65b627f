import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError, type SecretUpgrader } from '../core/index.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_HINT = 'DRONE_GOGS_SECRET_KEY (or data/secret.key)';

/**
 * Encrypts secrets at rest with AES-256-GCM. The stored form is `v2:<keyId>:<iv>:<ciphertext>:<tag>`
 * (base64url parts). The associated data is the header `v2:<keyId>` and the value's place (table, column,
 * row: see core's `hookSecretPlace`), so a ciphertext copied to another row or column does not decrypt, and
 * the key id tells a later key rotation which key encrypted a value. Values of the format before it,
 * `v1.<iv>.<tag>.<ciphertext>` without associated data, are only read by `upgrade` (migrate's data step).
 */
export interface SecretCipher extends SecretUpgrader {
  /** The id of the key new values are encrypted with: 8 hex characters derived from the key, not secret. */
  readonly keyId: string;
  encrypt(plaintext: string, place: string): string;
  /**
   * Throws AppError DECRYPT_FAILED, with `details.reason`, when the value is malformed or in the old format
   * (`format`), was encrypted with a key this cipher does not hold (`unknown-key`), or was altered, truncated
   * or copied from another place (`not-authentic`).
   */
  decrypt(stored: string, place: string): string;
  /** The id of the key that encrypted `stored`; null for a value of the old format or no known format. */
  keyIdOf(stored: string): string | null;
}

/** 8 hex characters of SHA-256 over a label and the key: names the key without revealing it. */
function deriveKeyId(key: Buffer): string {
  return createHash('sha256').update('drone-gogs key id').update(key).digest('hex').slice(0, 8);
}

export function createSecretCipher(key: Buffer): SecretCipher {
  if (key.length !== 32) throw new AppError('SECRET_KEY_INVALID', 'the secret key must be 32 bytes');
  const keyId = deriveKeyId(key);
  const header = `v2:${keyId}`;

  const refuse = (reason: string, message: string, place: string, cause?: unknown): never => {
    throw new AppError('DECRYPT_FAILED', message, {
      details: { reason, place },
      ...(cause === undefined ? {} : { cause }),
    });
  };

  /** AES-256-GCM decryption that insists on a whole 16-byte tag (Node accepts shorter ones by default). */
  const open = (iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: string | null, place: string) => {
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

  const cipher: SecretCipher = {
    keyId,

    encrypt(plaintext, place) {
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
      const [, storedKeyId, iv = '', ciphertext = '', tag = ''] = parts;
      if (storedKeyId !== keyId) {
        return refuse(
          'unknown-key',
          `the stored secret ${place} was encrypted with key ${storedKeyId}, but ${KEY_HINT} is key ${keyId}`,
          place,
        );
      }
      return open(
        Buffer.from(iv, 'base64url'),
        Buffer.from(ciphertext, 'base64url'),
        Buffer.from(tag, 'base64url'),
        `${header}:${place}`,
        place,
      );
    },

    keyIdOf(stored) {
      const parts = stored.split(':');
      return parts.length === 5 && parts[0] === 'v2' ? (parts[1] ?? null) : null;
    },

    isCurrent: (stored) => stored.startsWith(`${header}:`),

    upgrade(stored, place) {
      if (cipher.isCurrent(stored)) return stored;
      const v1 = /^v1\.([\w-]*)\.([\w-]*)\.([\w-]*)$/.exec(stored);
      // Not v1: a value under another key, which decrypt reads when it holds that key (and refuses otherwise).
      if (!v1) return cipher.encrypt(cipher.decrypt(stored, place), place);
      const [, iv = '', tag = '', ciphertext = ''] = v1;
      const plaintext = open(
        Buffer.from(iv, 'base64url'),
        Buffer.from(ciphertext, 'base64url'),
        Buffer.from(tag, 'base64url'),
        null,
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
