export { type AuthorizerDeps, createAuthorizer, NO_ACCESS } from './authorizer.ts';
