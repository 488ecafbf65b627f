import {
  type Clock,
  hookSecretPlace,
  previousHookSecretPlace,
  type Repo,
  type RepoStore,
} from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';
import { createSecretCache, type SecretCacheOptions } from './secret-cache.ts';

export interface RepoHookKeys {
  repoId: number;
  fullName: string;
  active: boolean;
  /** Current secret first, then the previous one while its grace period lasts. */
  secrets: string[];
}

export interface HookSecretResolver {
  /** The repository's hook secrets, or null when the sidecar does not know the repository. */
  forGogsRepo(gogsId: number, options?: { recheck?: boolean }): Promise<RepoHookKeys | null>;
}

/** Cached for 5 s; a signature matching none of them reads them again at most once a second per repository. */
export const HOOK_SECRET_CACHE: SecretCacheOptions = { ttlMs: 5_000, recheckMs: 1_000, maxEntries: 10_000 };

interface CachedKeys {
  keys: RepoHookKeys | null;
  /** Plaintexts by place and ciphertext: a value that did not change is not decrypted again. */
  opened: Map<string, string>;
}

/**
 * Decrypted hook secrets, cached so that a delivery costs no database read, and so that strangers sending
 * bad signatures or unknown repository ids cannot make the sidecar read and decrypt at their pace. Another
 * process may rotate a secret at any time: callers ask again with `recheck` before refusing a signature.
 */
export function createHookSecretResolver(deps: {
  repos: RepoStore;
  cipher: SecretCipher;
  clock: Clock;
  cache?: SecretCacheOptions;
  /** For tests: how the cache waits for its next recheck. */
  wait?: (ms: number) => Promise<void>;
}): HookSecretResolver {
  const toKeys = (repo: Repo, previous: CachedKeys | undefined): CachedKeys => {
    const opened = new Map<string, string>();
    const open = (stored: string, place: string) => {
      const id = `${place}\n${stored}`;
      const plaintext = previous?.opened.get(id) ?? deps.cipher.decrypt(stored, place);
      opened.set(id, plaintext);
      return plaintext;
    };
    const secrets: string[] = [];
    if (repo.hookSecret) secrets.push(open(repo.hookSecret, hookSecretPlace(repo.gogsId)));
    if (repo.previousHookSecret && (repo.previousHookSecretUntil ?? 0) > deps.clock.now()) {
      secrets.push(open(repo.previousHookSecret, previousHookSecretPlace(repo.gogsId)));
    }
    return { keys: { repoId: repo.id, fullName: repo.fullName, active: repo.active, secrets }, opened };
  };

  const cache = createSecretCache<CachedKeys>({
    async read(gogsId, previous) {
      const repo = await deps.repos.findByGogsId(gogsId);
      if (!repo) return { value: { keys: null, opened: new Map() }, found: false };
      // The keys change when the previous secret's grace period ends; one that ended already changes nothing.
      const graceUntil = repo.previousHookSecret ? (repo.previousHookSecretUntil ?? 0) : 0;
      const value = toKeys(repo, previous);
      return graceUntil > deps.clock.now()
        ? { value, found: true, until: graceUntil }
        : { value, found: true };
    },
    clock: deps.clock,
    options: deps.cache ?? HOOK_SECRET_CACHE,
    ...(deps.wait ? { wait: deps.wait } : {}),
  });

  return {
    async forGogsRepo(gogsId, options = {}) {
      return (options.recheck ? await cache.recheck(gogsId) : await cache.get(gogsId)).keys;
    },
  };
}
