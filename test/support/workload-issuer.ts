import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { Clock, Stores, WorkloadClaims } from '../../sidecar/core/index.ts';
import { type HttpServer, serveHttp } from '../../sidecar/http/index.ts';
import { wellKnownRoutes } from '../../sidecar/http/well-known-routes.ts';
import { createWorkloadTokenIssuer, type WorkloadTokenIssuerDeps } from '../../sidecar/identity/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { freePort } from './free-port.ts';

/** A clock that moves only when told to. */
export function manualClock(start: number): Clock & { set(at: number): void; advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    set: (at) => {
      now = at;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** The workload token issuer over the test stores, with a fresh secret key unless one is given. */
export function testWorkloadIssuer(
  stores: Pick<Stores, 'workloadSigningKeys'>,
  options: Partial<WorkloadTokenIssuerDeps> & { clock: Clock; publicUrl?: string },
) {
  const cipher = options.cipher ?? createSecretCipher(randomBytes(32));
  const issuer = createWorkloadTokenIssuer({
    keys: stores.workloadSigningKeys,
    logger: silentLogger,
    publicUrl: 'https://ci.example.com',
    ...options,
    cipher,
  });
  return { issuer, cipher };
}

/**
 * The issuer with its /.well-known/ routes served on 127.0.0.1 at its own public URL, as verifiers reach the
 * sidecar behind Caddy: the discovery document's jwks_uri is fetchable.
 */
export async function servedWorkloadIssuer(
  stores: Pick<Stores, 'workloadSigningKeys'>,
  options: Partial<WorkloadTokenIssuerDeps> & { clock: Clock },
): Promise<ReturnType<typeof testWorkloadIssuer> & { server: HttpServer }> {
  const port = await freePort();
  const served = testWorkloadIssuer(stores, { ...options, publicUrl: `http://127.0.0.1:${port}` });
  const app = new Hono().route('/.well-known', wellKnownRoutes({ workloadTokens: served.issuer }));
  const server = await serveHttp(
    app,
    { host: '127.0.0.1', port },
    { headersTimeoutMs: 5_000, keepAliveTimeoutMs: 1_000 },
  );
  return { ...served, server };
}

/** What a push build's step on main would ask a token for. */
export function pushClaims(change: Partial<WorkloadClaims> = {}): WorkloadClaims {
  return {
    repository: 'acme/rocket',
    ref: 'refs/heads/main',
    refType: 'branch',
    event: 'push',
    sha: 'a'.repeat(40),
    buildNumber: 42,
    pipeline: 'default',
    step: 'deploy',
    triggerUser: '@hook',
    trusted: false,
    pullRequest: 0,
    ...change,
  };
}
