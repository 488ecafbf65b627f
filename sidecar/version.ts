import { readFileSync } from 'node:fs';

/** The version in package.json, read without loading the rest of the sidecar. */
export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
