export { describeConfig } from './describe-config.ts';
export type { EngineSetting } from './engines-file.ts';
export { insecureEngineWarnings } from './insecure-warnings.ts';
export { type Config, loadConfig } from './load-config.ts';
export { ENV_PREFIX } from './schema.ts';
export { ensureSecretKey, SECRET_KEY_FILE } from './secret-key.ts';
