/**
 * Each provider's metadata, discovered on first use and kept until it is forgotten (on request, or after the
 * provider could not be reached), and the openid-client configuration every login step is run with. Plain http
 * is allowed for an issuer on a loopback host only; every request is bounded by the timeout.
 *
 * openid-client trusts TLS for an ID token from the token endpoint and skips its signature unless asked; we ask
 * (one JWKS fetch per login), so a token that did not come from the issuer's keys is refused even when the
 * transport could not vouch for it.
 */
import {
  allowInsecureRequests,
  type ClientAuth,
  ClientSecretBasic,
  ClientSecretPost,
  Configuration,
  clockSkew,
  customFetch,
  discovery,
  enableNonRepudiationChecks,
  type ServerMetadata,
} from 'openid-client';
import { isLoopbackHost, type OidcProviderConfig } from '../core/index.ts';

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface OidcDiscoveryOptions {
  fetch: Fetch;
  timeoutMs: number;
}

export interface OidcDiscovery {
  /** The provider's metadata; concurrent first calls share one discovery, and a failed one is not kept. */
  metadata(provider: OidcProviderConfig): Promise<ServerMetadata>;
  forget(name: string): void;
  /**
   * A configuration for one login step. openid-client reads the system clock when it checks a token's times;
   * `skewSeconds` moves that reading, so that the caller's `now` is the time tokens are judged at.
   */
  configuration(provider: OidcProviderConfig, server: ServerMetadata, skewSeconds?: number): Configuration;
}

function plainHttpAllowed(provider: OidcProviderConfig): boolean {
  const issuer = new URL(provider.issuer);
  return issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
}

/** client_secret_basic unless the provider advertises client_secret_post alone (basic is the spec's default). */
function clientAuthFor(server: ServerMetadata, secret: string): ClientAuth {
  const methods = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  return !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
    ? ClientSecretPost(secret)
    : ClientSecretBasic(secret);
}

export function createOidcDiscovery(options: OidcDiscoveryOptions): OidcDiscovery {
  const timeout = options.timeoutMs / 1000;
  const known = new Map<string, Promise<ServerMetadata>>();

  const discover = async (provider: OidcProviderConfig): Promise<ServerMetadata> => {
    const discovered = await discovery(new URL(provider.issuer), provider.clientId, undefined, undefined, {
      [customFetch]: options.fetch,
      timeout,
      execute: plainHttpAllowed(provider) ? [allowInsecureRequests] : [],
    });
    const { supportsPKCE: _helper, ...server } = discovered.serverMetadata();
    return server;
  };

  return {
    metadata(provider) {
      const cached = known.get(provider.name);
      if (cached !== undefined) return cached;
      const pending = discover(provider);
      known.set(provider.name, pending);
      pending.catch(() => {
        if (known.get(provider.name) === pending) known.delete(provider.name);
      });
      return pending;
    },

    forget(name) {
      known.delete(name);
    },

    configuration(provider, server, skewSeconds = 0) {
      const config = new Configuration(
        server,
        provider.clientId,
        { client_secret: provider.clientSecret, [clockSkew]: skewSeconds },
        clientAuthFor(server, provider.clientSecret),
      );
      if (plainHttpAllowed(provider)) allowInsecureRequests(config);
      enableNonRepudiationChecks(config);
      config.timeout = timeout;
      config[customFetch] = options.fetch;
      return config;
    },
  };
}
