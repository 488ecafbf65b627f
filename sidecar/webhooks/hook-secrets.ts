import type { Clock, Repo, RepoStore } from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';

export interface RepoHookKeys {
  repoId: number;
  fullName: string;
  active: boolean;
  /** Current secret first, then the previous one while its grace period lasts. */
  secrets: string[];
}

export interface HookSecretResolver {
  /** The repository's hook secrets, or null when the sidecar does not know the repository. */
  forGogsRepo(gogsId: number, options?: { fresh?: boolean }): Promise<RepoHookKeys | null>;
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX_ENTRIES = 10_000;

/**
 * Decrypted hook secrets, cached briefly so that a delivery costs no database read. Another process may
 * rotate a secret at any time: callers ask again with `fresh` before refusing a signature.
 */
export function createHookSecretResolver(deps: {
  repos: RepoStore;
  cipher: SecretCipher;
  clock: Clock;
}): HookSecretResolver {
  const cache = new Map<number, { keys: RepoHookKeys | null; loadedAt: number; graceUntil: number }>();

  const toKeys = (repo: Repo): RepoHookKeys => {
    const secrets: string[] = [];
    if (repo.hookSecret) secrets.push(deps.cipher.decrypt(repo.hookSecret));
    if (repo.previousHookSecret && (repo.previousHookSecretUntil ?? 0) > deps.clock.now()) {
      secrets.push(deps.cipher.decrypt(repo.previousHookSecret));
    }
    return { repoId: repo.id, fullName: repo.fullName, active: repo.active, secrets };
  };

  return {
    async forGogsRepo(gogsId, options = {}) {
      const now = deps.clock.now();
      const cached = cache.get(gogsId);
      if (!options.fresh && cached && now - cached.loadedAt < CACHE_TTL_MS && now < cached.graceUntil) {
        return cached.keys;
      }
      const repo = await deps.repos.findByGogsId(gogsId);
      const keys = repo ? toKeys(repo) : null;
      if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
      const graceUntil =
        repo?.previousHookSecret && repo.previousHookSecretUntil
          ? repo.previousHookSecretUntil
          : Number.POSITIVE_INFINITY;
      cache.set(gogsId, { keys, loadedAt: now, graceUntil });
      return keys;
    },
  };
}
