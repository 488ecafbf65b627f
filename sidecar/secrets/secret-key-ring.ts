import { createHash } from 'node:crypto';
import { AppError, type Logger, type SecretKeyRingView, type SecretKeySet } from '../core/index.ts';

/** 8 hex characters of SHA-256 over a label and the key: names the key without revealing it. */
export function secretKeyIdOf(key: Buffer): string {
  return createHash('sha256').update('drone-gogs key id').update(key).digest('hex').slice(0, 8);
}

/** Key ids looked for in vain after a reload are not reloaded for again (a forged id must not cost a disk read). */
const MAX_MISSED_IDS = 256;

/**
 * The keys of the cipher by id: the current one, which encrypts, and the retired ones, which still decrypt. A key
 * id it does not hold makes it read the key set again (`reload`) once before it gives up on that id: a process
 * started before `rotate secret-key` then reads what the rotation re-encrypted, and encrypts with the new key.
 */
export interface SecretKeyRing extends SecretKeyRingView {
  current(): { id: string; key: Buffer };
  /** The key of that id, reloading once for an id not held; null when still not held. */
  find(keyId: string): Buffer | null;
  /** Every key held, the current one first. */
  keys(): Buffer[];
}

export function createSecretKeyRing(
  initial: SecretKeySet,
  options: { reload?: () => SecretKeySet; logger?: Logger } = {},
): SecretKeyRing {
  let current: { id: string; key: Buffer } = { id: '', key: Buffer.alloc(0) };
  let held = new Map<string, Buffer>();
  const missed = new Set<string>();

  const adopt = (set: SecretKeySet) => {
    for (const key of [set.current, ...set.retired]) {
      if (key.length !== 32) throw new AppError('SECRET_KEY_INVALID', 'the secret key must be 32 bytes');
    }
    current = { id: secretKeyIdOf(set.current), key: set.current };
    held = new Map(set.retired.map((key) => [secretKeyIdOf(key), key]));
    held.set(current.id, current.key);
  };
  adopt(initial);

  const ring: SecretKeyRing = {
    get keyId() {
      return current.id;
    },
    current: () => current,
    retiredKeyIds: () => [...held.keys()].filter((id) => id !== current.id),
    retiredKey: (keyId) => (keyId === current.id ? null : (held.get(keyId) ?? null)),
    keys: () => [current.key, ...[...held].filter(([id]) => id !== current.id).map(([, key]) => key)],

    reload() {
      if (options.reload) adopt(options.reload());
      missed.clear();
    },

    find(keyId) {
      const key = held.get(keyId);
      if (key !== undefined) return key;
      if (!options.reload || missed.has(keyId)) return null;
      const before = current.id;
      try {
        adopt(options.reload());
      } catch (error) {
        options.logger?.warn('secrets: cannot read the key ring again', { keyId, error: String(error) });
        return null;
      }
      const found = held.get(keyId) ?? null;
      options.logger?.info(
        'secrets: met a value of a key this process did not hold; read the key ring again',
        {
          keyId,
          found: found !== null,
          currentKeyId: current.id,
          ...(before === current.id ? {} : { previousKeyId: before }),
        },
      );
      if (found === null) {
        if (missed.size >= MAX_MISSED_IDS) missed.clear();
        missed.add(keyId);
      }
      return found;
    },
  };
  return ring;
}
