export { type AuthorizerDeps, createAuthorizer, NO_ACCESS } from './authorizer.ts';
export { createTokenService, type TokenServiceDeps, tokenHash } from './token-service.ts';
