import type { ReencryptProgress } from './store.ts';

/**
 * The keys that encrypt secrets at rest: the current one encrypts, the retired ones still decrypt what they
 * encrypted until `rotate secret-key` has re-encrypted it. Key material; never printed.
 */
export interface SecretKeySet {
  current: Buffer;
  retired: readonly Buffer[];
}

/** What the key ring knows of itself: key ids only. */
export interface SecretKeyRingView {
  /** The id of the key new values are encrypted with. */
  readonly keyId: string;
  /** The ids of the retired keys this process holds. */
  retiredKeyIds(): string[];
  /** The retired key of that id, for deriving its audit key when it is retired; null when not held. */
  retiredKey(keyId: string): Buffer | null;
  /** Reads the key ring again from where it came from (the data dir), e.g. after another process rotated. */
  reload(): void;
}

/**
 * The key files in the data dir (config/ implements it): `secret.key` holds the current key;
 * `secret-keys/<keyId>.key` the retired keys still needed to read values; `secret-keys/<keyId>.audit-key` the
 * audit key of a key that was retired for good (it checks the audit rows sealed with that key, and decrypts
 * nothing). Every write is atomic (temporary file, fsync, rename, fsync of the folder), mode 0600.
 */
export interface SecretKeyFiles {
  /** `environment` when DRONE_GOGS_SECRET_KEY gives the current key: then `replaceCurrent` must not be called. */
  readonly source: 'environment' | 'file';
  /** Writes `secret-keys/<keyId>.key` (idempotent). */
  keepRetired(keyId: string, key: Buffer): Promise<void>;
  /** Replaces `secret.key` with `key`. Call `keepRetired` with the key it replaces, and with `key`, first. */
  replaceCurrent(key: Buffer): Promise<void>;
  /** Writes `secret-keys/<keyId>.audit-key`, then deletes `secret-keys/<keyId>.key` (idempotent). */
  retire(keyId: string, auditKey: Buffer): Promise<{ deletedKeyFile: boolean }>;
  /** The audit keys of retired keys, by key id. */
  auditKeys(): Promise<Map<string, Buffer>>;
}

export type SecretKeyRotationOutcome =
  | {
      kind: 'rotated';
      /** The key every value is now under. */
      keyId: string;
      /** The keys it replaced, still on disk until `--retire-old`. */
      previousKeyIds: string[];
      /** True when an earlier rotation to `keyId` was interrupted and this run finished it. */
      resumed: boolean;
      byTable: Record<string, number>;
      unreadable: string[];
      /** Values written under a retired key while it ran (by a process that still has the old key set). */
      stillUnderRetired: number;
    }
  | {
      /** The key is given by DRONE_GOGS_SECRET_KEY and nothing is pending: the admin must set a new one. */
      kind: 'environment';
      keyId: string;
      /** Present with `printNewKey`: the new key, hex, shown once; never logged. */
      newKey: string | null;
      newKeyId: string | null;
    };

export interface SecretKeyRetirement {
  retired: string[];
  /** Retired keys some value still needs, with the values per table: nothing was retired when not empty. */
  stillNeeded: Record<string, Record<string, number>>;
  /** DRONE_GOGS_SECRET_KEYS_RETIRED gives the retired keys: the admin removes them there. */
  source: 'environment' | 'file';
}

/** `drone-gogs rotate secret-key`: key ids in, key ids out (the new key itself only with `printNewKey`). */
export interface SecretKeyRotation {
  /**
   * Makes a new key and re-encrypts every value under it; or, when values are still under a retired key (an
   * interrupted run, or an admin who set a new DRONE_GOGS_SECRET_KEY), re-encrypts them under the current key
   * without making another. Crash-safe: the old key is on disk before the new one replaces it.
   */
  rotate(options: {
    printNewKey?: boolean;
    batchSize?: number;
    onBatch?: (progress: ReencryptProgress) => void;
  }): Promise<SecretKeyRotationOutcome>;
  /** Deletes retired keys no stored value needs (checked in the database), keeping their audit keys. */
  retire(): Promise<SecretKeyRetirement>;
}
