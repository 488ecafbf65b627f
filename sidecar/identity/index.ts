export { type AuthorizerDeps, createAuthorizer, NO_ACCESS } from './authorizer.ts';
export { createOidcClient, type OidcClientDeps } from './oidc-client.ts';
export { localReturnTo } from './return-to.ts';
export { createTokenService, type TokenServiceDeps, tokenHash } from './token-service.ts';
export { createWorkloadTokenIssuer, type WorkloadTokenIssuerDeps } from './workload-tokens.ts';
