import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The recorded real Gogs payloads and replies in ../shared/examples/gogs/ (read in place, never copied). */
export const GOGS_FIXTURES_DIR = resolve(import.meta.dirname, '../../../shared/examples/gogs');

export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(GOGS_FIXTURES_DIR, name));
}

export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixtureBytes(name).toString('utf8')) as T;
}

/** Every webhook payload fixture (not the api_* replies), as paths relative to the fixtures dir. */
export function webhookFixtureNames(): string[] {
  const top = readdirSync(GOGS_FIXTURES_DIR).filter(isPayload);
  const abstruse = readdirSync(join(GOGS_FIXTURES_DIR, 'abstruse-2017'))
    .filter(isPayload)
    .map((name) => `abstruse-2017/${name}`);
  return [...top, ...abstruse].sort();
}

function isPayload(name: string): boolean {
  return (
    name.endsWith('.json') &&
    !name.startsWith('api_') &&
    !name.startsWith('_') &&
    !name.includes('headers') &&
    !name.includes('openapi')
  );
}
