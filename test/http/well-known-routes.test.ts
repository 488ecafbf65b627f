import { Hono } from 'hono';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkloadTokenIssuer } from '../../sidecar/core/index.ts';
import { wellKnownRoutes } from '../../sidecar/http/well-known-routes.ts';
import { openTestStores } from '../support/stores.ts';
import { manualClock, pushClaims, testWorkloadIssuer } from '../support/workload-issuer.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

describe('GET /.well-known/ of the workload token issuer', () => {
  let stores: Awaited<ReturnType<typeof openTestStores>>;
  let issuer: WorkloadTokenIssuer;
  let app: Hono;
  const clock = manualClock(T0);

  beforeEach(async () => {
    stores = await openTestStores();
    issuer = testWorkloadIssuer(stores, { clock, publicUrl: 'https://ci.example.com/' }).issuer;
    app = new Hono().route('/.well-known', wellKnownRoutes({ workloadTokens: issuer }));
  });
  afterEach(() => stores.dispose());

  it('serves the discovery document naming the issuer, its key set and every claim', async () => {
    const response = await app.request('/.well-known/openid-configuration');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(await response.json()).toEqual({
      issuer: 'https://ci.example.com',
      jwks_uri: 'https://ci.example.com/.well-known/jwks.json',
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'iat',
        'nbf',
        'exp',
        'jti',
        'repository',
        'repository_owner',
        'ref',
        'ref_type',
        'event',
        'sha',
        'build_number',
        'pipeline',
        'step',
        'trigger_user',
        'trusted',
        'pull_request',
      ],
      scopes_supported: ['openid'],
    });
  });

  it('serves the public keys, cached for five minutes, that verify issued tokens', async () => {
    const empty = await app.request('/.well-known/jwks.json');
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({ keys: [] });

    const { token } = await issuer.issue(pushClaims(), { audience: 'sts.amazonaws.com' });
    const response = await app.request('/.well-known/jwks.json');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const body = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toHaveLength(1);
    expect(Object.keys(body.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(JSON.stringify(body)).not.toMatch(/"(d|p|q|dp|dq|qi|k)"/);
    const { payload } = await jwtVerify(token, createLocalJWKSet(body as JSONWebKeySet), {
      issuer: 'https://ci.example.com',
      audience: 'sts.amazonaws.com',
      currentDate: new Date(T0),
    });
    expect(payload.sub).toBe('repo:acme/rocket:ref:refs/heads/main');
  });
});
