export { type AuthorizerDeps, createAuthorizer, NO_ACCESS, NO_ORG_ROLES } from './authorizer.ts';
export { createGogsAccounts, FORM_TOKEN_NAME, type GogsAccountsDeps } from './gogs-accounts.ts';
export { createLoginService, type LoginServiceDeps } from './login-service.ts';
export { createOidcClient, type OidcClientDeps } from './oidc-client.ts';
export { createOrgRoleSync, type OrgRoleSyncDeps } from './org-roles.ts';
export {
  createPermissionSync,
  DEFAULT_PERMISSION_TTL_MS,
  type PermissionSyncDeps,
} from './permission-sync.ts';
export { createOidcProviderRegistry, type OidcProviderRegistryDeps } from './provider-registry.ts';
export { createOidcProviderService, type OidcProviderServiceDeps } from './provider-service.ts';
export { createPusherCheck } from './pusher-check.ts';
export { localReturnTo } from './return-to.ts';
export { createSessionPrincipals } from './session-principals.ts';
export {
  createSessionService,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
  type SessionServiceDeps,
  sessionHash,
} from './session-service.ts';
export { createTokenService, type TokenServiceDeps, tokenHash } from './token-service.ts';
export { createWorkloadTokenIssuer, type WorkloadTokenIssuerDeps } from './workload-tokens.ts';
