import { Hono } from 'hono';
import { WORKLOAD_TOKEN_CLAIMS, type WorkloadTokenIssuer } from '../core/index.ts';

/**
 * /.well-known/: the OpenID discovery document and key set of the workload token issuer, for whatever a build
 * step hands its token to (AWS STS, Vault) to fetch and verify it by. Public, read only.
 */
export function wellKnownRoutes(deps: { workloadTokens: Pick<WorkloadTokenIssuer, 'issuer' | 'jwks'> }) {
  const { issuer } = deps.workloadTokens;
  const configuration = {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    claims_supported: [...WORKLOAD_TOKEN_CLAIMS],
    scopes_supported: ['openid'],
  };
  return new Hono()
    .get('/openid-configuration', (c) =>
      c.json(configuration, 200, { 'cache-control': 'public, max-age=3600' }),
    )
    .get('/jwks.json', async (c) =>
      // Well below the lead with which a new key is published before it signs (identity/workload-tokens.ts).
      c.json(await deps.workloadTokens.jwks(), 200, { 'cache-control': 'public, max-age=300' }),
    );
}
