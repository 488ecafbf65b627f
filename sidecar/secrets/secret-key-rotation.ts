import { randomBytes } from 'node:crypto';
import {
  AppError,
  type EncryptedValues,
  type SecretKeyFiles,
  type SecretKeyRotation,
  type ValuesByKey,
} from '../core/index.ts';
import type { SecretCipher } from './secret-cipher.ts';
import { secretKeyIdOf } from './secret-key-ring.ts';

export interface SecretKeyRotationDeps {
  cipher: SecretCipher;
  files: SecretKeyFiles;
  values: EncryptedValues;
  /** The audit key of a secret key (audit/'s auditKeyOf): kept when the key is retired. */
  auditKeyOf(key: Buffer): Buffer;
  /** How many times to go over the values again when a process with the old key set wrote some meanwhile. */
  passes?: number;
}

const neededBy = (counts: ValuesByKey, keyIds: readonly string[]) =>
  Object.fromEntries(keyIds.filter((id) => counts[id] !== undefined).map((id) => [id, counts[id] ?? {}]));

const total = (byTable: Record<string, number> = {}) => Object.values(byTable).reduce((sum, n) => sum + n, 0);

/**
 * Rotation of the secret key. The order on disk makes a crash at any point lose nothing: the old key is written
 * to `secret-keys/` before `secret.key` is replaced, and it stays there until `retire` finds in the database
 * that no value needs it. Whether a run starts a rotation or finishes one is read from the database: values
 * still under a retired key mean an unfinished rotation, which is finished without making another key.
 */
export function createSecretKeyRotation(deps: SecretKeyRotationDeps): SecretKeyRotation {
  const { cipher, files, values } = deps;
  const ring = cipher.ring;
  const passes = deps.passes ?? 3;
  const keyIdOf = (stored: string) => cipher.keyIdOf(stored);

  return {
    async rotate({ printNewKey = false, batchSize, onBatch }) {
      ring.reload();
      const before = await values.countByKey(keyIdOf);
      const pending = ring.retiredKeyIds().some((id) => before[id] !== undefined);
      let resumed = pending;
      if (files.source === 'environment' && (printNewKey || !pending)) {
        const key = printNewKey ? randomBytes(32) : null;
        return {
          kind: 'environment',
          keyId: ring.keyId,
          newKey: key === null ? null : key.toString('hex'),
          newKeyId: key === null ? null : secretKeyIdOf(key),
        };
      }
      if (printNewKey) {
        throw new AppError(
          'CONFIG_INVALID',
          '--print-new-key is for a key given by DRONE_GOGS_SECRET_KEY; this key is in data/secret.key, which `drone-gogs rotate secret-key` replaces by itself',
        );
      }
      if (!pending) {
        const previous = ring.current();
        const next = randomBytes(32);
        await files.keepRetired(previous.id, previous.key);
        // The new key too, before it becomes current: of two rotations at once, neither key is lost.
        await files.keepRetired(secretKeyIdOf(next), next);
        await files.replaceCurrent(next);
        ring.reload();
        resumed = false;
      }
      const byTable: Record<string, number> = {};
      const unreadable = new Set<string>();
      let stillUnderRetired = 0;
      for (let pass = 0; pass < passes; pass++) {
        const result = await values.reencrypt(cipher, {
          ...(batchSize === undefined ? {} : { batchSize }),
          ...(onBatch === undefined ? {} : { onBatch }),
        });
        for (const [table, count] of Object.entries(result.byTable))
          byTable[table] = (byTable[table] ?? 0) + count;
        for (const place of result.unreadable) unreadable.add(place);
        const after = await values.countByKey(keyIdOf);
        stillUnderRetired = Object.values(neededBy(after, ring.retiredKeyIds())).reduce(
          (sum, tables) => sum + total(tables),
          0,
        );
        if (stillUnderRetired === 0 || (result.unreadable.length > 0 && total(result.byTable) === 0)) break;
      }
      return {
        kind: 'rotated',
        keyId: ring.keyId,
        previousKeyIds: ring.retiredKeyIds(),
        resumed,
        byTable,
        unreadable: [...unreadable],
        stillUnderRetired,
      };
    },

    async retire() {
      ring.reload();
      const retiredIds = ring.retiredKeyIds();
      const counts = await values.countByKey(keyIdOf);
      // A v1 value names no key: any retired key may be the one it needs.
      const stillNeeded = neededBy(counts, [...retiredIds, ...(retiredIds.length > 0 ? ['v1'] : [])]);
      if (Object.keys(stillNeeded).length > 0) return { retired: [], stillNeeded, source: files.source };
      for (const id of retiredIds) {
        const key = ring.retiredKey(id);
        if (key !== null) await files.retire(id, deps.auditKeyOf(key));
      }
      ring.reload();
      return { retired: retiredIds, stillNeeded: {}, source: files.source };
    },
  };
}
