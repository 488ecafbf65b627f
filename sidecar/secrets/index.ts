export { type BuildSecretsDeps, createBuildSecrets } from './build-secrets.ts';
export { EXPOSURE_RULES, type Exposure, type ExposureCandidate, exposeSecrets } from './exposure.ts';
export {
  createSecretCipher,
  generateHookSecret,
  type SecretCipher,
  type SecretCipherOptions,
} from './secret-cipher.ts';
export { createSecretKeyRing, type SecretKeyRing, secretKeyIdOf } from './secret-key-ring.ts';
export { createSecretKeyRotation, type SecretKeyRotationDeps } from './secret-key-rotation.ts';
export {
  MAX_SECRET_NAME_CHARS,
  MAX_SECRET_VALUE_BYTES,
  orgNameProblem,
  repoNameProblem,
  secretNameProblem,
  secretValueProblem,
} from './secret-rules.ts';
export { createSecretService, type SecretServiceDeps } from './secret-service.ts';
