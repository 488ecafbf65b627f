export { describeConfig } from './describe-config.ts';
export type { EngineSetting } from './engines-file.ts';
export {
  createGogsTokenProvider,
  GOGS_TOKEN_FILE,
  type GogsTokenProvider,
  type GogsTokenSetting,
  gogsTokenProblem,
  writeGogsTokenFile,
} from './gogs-token.ts';
export { insecureEngineWarnings } from './insecure-warnings.ts';
export { type Config, loadConfig } from './load-config.ts';
export { ENV_PREFIX } from './schema.ts';
export {
  createSecretKeyFiles,
  ensureSecretKey,
  readSecretKeySet,
  SECRET_KEY_FILE,
  SECRET_KEYS_DIR,
} from './secret-key.ts';
