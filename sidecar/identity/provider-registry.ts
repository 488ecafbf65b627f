/**
 * The OpenID providers as stored now, for the login routes: read once, then re-read only when the table's
 * version changed, which is asked at most once per `checkEveryMs` (2 s unless given), so a provider another
 * process added or removed is in use within seconds, at the cost of one small read; one this process changed
 * (`forget()`, called by the provider service) at once. The OidcClient is rebuilt when the providers change
 * (their discovered metadata is then fetched again).
 */
import {
  type Clock,
  type Logger,
  type OidcClient,
  type OidcProviderEntry,
  type OidcProviderRegistry,
  type OidcProviderStore,
  oidcClientSecretPlace,
} from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';
import { createOidcClient, type OidcClientDeps } from './oidc-client.ts';

const CHECK_EVERY_MS = 2_000;

export interface OidcProviderRegistryDeps {
  store: OidcProviderStore;
  cipher: SecretCipher;
  clock: Clock;
  logger: Logger;
  checkEveryMs?: number;
  /** Passed to every OidcClient it builds. */
  client?: Pick<OidcClientDeps, 'fetch' | 'timeoutMs'>;
  /** Builds the client; createOidcClient unless given. */
  createClient?: (deps: OidcClientDeps) => OidcClient;
}

interface Loaded {
  version: string;
  providers: readonly OidcProviderEntry[];
  client: OidcClient;
}

export function createOidcProviderRegistry(deps: OidcProviderRegistryDeps): OidcProviderRegistry {
  const checkEveryMs = deps.checkEveryMs ?? CHECK_EVERY_MS;
  const build = deps.createClient ?? createOidcClient;
  let loaded: Loaded | null = null;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<Loaded> | null = null;
  /** Counts `forget()` calls: a read that began before one does not count as a check. */
  let forgotten = 0;

  const load = async (version: string): Promise<Loaded> => {
    const providers = (await deps.store.list()).map(
      ({ createdAt: _created, updatedAt: _updated, ...provider }): OidcProviderEntry => ({
        ...provider,
        clientSecret: deps.cipher.decrypt(provider.clientSecret, oidcClientSecretPlace(provider.name)),
      }),
    );
    const client = build({ ...deps.client, providers, clock: deps.clock, logger: deps.logger });
    deps.logger.info('identity: OIDC providers loaded', {
      providers: providers.map((provider) => provider.name).join(','),
    });
    return { version, providers, client };
  };

  const current = async (): Promise<Loaded> => {
    const now = deps.clock.now();
    if (loaded !== null && now - checkedAt < checkEveryMs) return loaded;
    pending ??= (async () => {
      try {
        const before = forgotten;
        const version = await deps.store.version();
        if (before === forgotten) checkedAt = deps.clock.now();
        if (loaded === null || loaded.version !== version) loaded = await load(version);
        return loaded;
      } finally {
        pending = null;
      }
    })();
    return pending;
  };

  return {
    providers: async () => (await current()).providers,
    client: async () => (await current()).client,
    forget() {
      forgotten += 1;
      checkedAt = Number.NEGATIVE_INFINITY;
    },
  };
}
