export { type BuildSecretsDeps, createBuildSecrets } from './build-secrets.ts';
export { EXPOSURE_RULES, type Exposure, type ExposureCandidate, exposeSecrets } from './exposure.ts';
export { createSecretCipher, generateHookSecret, type SecretCipher } from './secret-cipher.ts';
export {
  MAX_SECRET_NAME_CHARS,
  MAX_SECRET_VALUE_BYTES,
  orgNameProblem,
  repoNameProblem,
  secretNameProblem,
  secretValueProblem,
} from './secret-rules.ts';
export { createSecretService, type SecretServiceDeps } from './secret-service.ts';
