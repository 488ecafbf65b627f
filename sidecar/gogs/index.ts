export { createGogsClient, createGogsTokenIssuer, type GogsClientOptions } from './client.ts';
export { normalizeGogsHook } from './normalize-hook.ts';
export { repositoryLocatorSchema } from './webhook-payloads.ts';
export { matchGogsSignature, signGogsPayload } from './webhook-signature.ts';
