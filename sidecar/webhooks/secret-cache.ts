import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../core/index.ts';

/** What one read of a key gave: its value, whether the key exists, and until when the value holds. */
export interface SecretRead<V> {
  value: V;
  found: boolean;
  /** The value stops holding at this time (for example when a previous secret's grace period ends). */
  until?: number;
}

export interface SecretCacheOptions {
  /** How long a read value is used before `get` reads it again. */
  ttlMs: number;
  /** A `recheck` of a key reads it at most once per this interval, counted from the end of its last read. */
  recheckMs: number;
  /** Keys kept, found and unknown ones counted apart so that probing unknown keys never evicts known ones. */
  maxEntries: number;
}

/**
 * Values read from the database for an unauthenticated gate, which must not let strangers decide how often
 * the database is read. Both methods may be called concurrently; concurrent callers share one read.
 */
export interface SecretCache<V> {
  /** The cached value while it holds (unknown keys are cached too), otherwise one fresh read. */
  get(key: number): Promise<V>;
  /**
   * For a caller that found the cached value wanting (another process may have changed it): a read that
   * starts after this call, at most one per `recheckMs` per key; callers within that interval wait for the
   * next read and share it.
   */
  recheck(key: number): Promise<V>;
}

interface KeyState<V> {
  value: V;
  found: boolean;
  expiresAt: number;
  /** Resolves when a recheck may read again; null when it may read now. */
  gate: Promise<void> | null;
}

export function createSecretCache<V>(deps: {
  /** Reads a key; `previous` is the value it had, so that what did not change need not be decrypted again. */
  read: (key: number, previous: V | undefined) => Promise<SecretRead<V>>;
  clock: Clock;
  options: SecretCacheOptions;
  /** Waits that long; timers that do not keep the process alive by default. */
  wait?: (ms: number) => Promise<void>;
}): SecretCache<V> {
  const { clock, options } = deps;
  const wait = deps.wait ?? ((ms: number) => sleep(ms, undefined, { ref: false }));
  const known = new Map<number, KeyState<V>>();
  const unknown = new Map<number, KeyState<V>>();
  const reading = new Map<number, Promise<V>>();
  const scheduled = new Map<number, Promise<V>>();

  const stateOf = (key: number) => known.get(key) ?? unknown.get(key);

  const remember = (key: number, read: SecretRead<V>) => {
    known.delete(key);
    unknown.delete(key);
    const into = read.found ? known : unknown;
    if (into.size >= options.maxEntries) into.delete(into.keys().next().value as number);
    const state: KeyState<V> = {
      value: read.value,
      found: read.found,
      expiresAt: Math.min(clock.now() + options.ttlMs, read.until ?? Number.POSITIVE_INFINITY),
      gate: null,
    };
    state.gate = wait(options.recheckMs).then(() => {
      state.gate = null;
    });
    into.set(key, state);
  };

  const readNow = (key: number): Promise<V> => {
    const inFlight = reading.get(key);
    if (inFlight) return inFlight;
    const read = (async () => {
      try {
        const result = await deps.read(key, stateOf(key)?.value);
        remember(key, result);
        return result.value;
      } finally {
        reading.delete(key);
      }
    })();
    reading.set(key, read);
    return read;
  };

  return {
    async get(key) {
      const state = stateOf(key);
      if (state && clock.now() < state.expiresAt) return state.value;
      return readNow(key);
    },

    recheck(key) {
      const pending = scheduled.get(key);
      if (pending) return pending;
      const next = (async () => {
        // A read already running may have started before the caller looked: wait for it, then for the gate.
        await reading.get(key)?.catch(() => {});
        await stateOf(key)?.gate;
        scheduled.delete(key);
        return readNow(key);
      })();
      scheduled.set(key, next);
      return next;
    },
  };
}
