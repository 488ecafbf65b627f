import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../core/index.ts';

/** Encrypts secrets at rest (AES-256-GCM). The stored form is `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export interface SecretCipher {
  encrypt(plaintext: string): string;
  /** Throws AppError DECRYPT_FAILED when the value was made with another key or was altered. */
  decrypt(stored: string): string;
}

export function createSecretCipher(key: Buffer): SecretCipher {
  if (key.length !== 32) throw new AppError('SECRET_KEY_INVALID', 'the secret key must be 32 bytes');
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    decrypt(stored) {
      const [version, iv, tag, ciphertext] = stored.split('.');
      if (version !== 'v1' || iv === undefined || tag === undefined || ciphertext === undefined) {
        throw new AppError('DECRYPT_FAILED', 'stored secret has an unknown format');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(ciphertext, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch (cause) {
        throw new AppError(
          'DECRYPT_FAILED',
          'cannot decrypt a stored secret: DRONE_GOGS_SECRET_KEY (or data/secret.key) is not the key it was stored with',
          { cause },
        );
      }
    },
  };
}

/** A fresh webhook secret: 32 random bytes as hex. */
export function generateHookSecret(): string {
  return randomBytes(32).toString('hex');
}
