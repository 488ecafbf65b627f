export { normalizeGogsHook } from './normalize-hook.ts';
export { matchGogsSignature, signGogsPayload } from './webhook-signature.ts';
export { repositoryLocatorSchema } from './webhook-payloads.ts';
export { createGogsClient, createGogsTokenIssuer, type GogsClientOptions } from './client.ts';
