/**
 * The whole environment every git command of drone-gogs runs with, built from nothing rather than from the
 * sidecar's own: no host or user configuration, no credential helper, no prompt, HTTP(S) transports only.
 * Credentials reach git as an `http.extraHeader` through GIT_CONFIG_* variables, so they are in no argument
 * (visible to every user in `ps`) and in no file git writes.
 */
import type { GitCredentials } from '../core/index.ts';

export interface GitEnvironmentOptions {
  /** git's HOME: a directory of the caller's, so that no user's configuration is found there. */
  home: string;
  /** Sent with every HTTP request as an `Authorization: Basic` header; null sends none. */
  credentials: GitCredentials;
  /** `clone: skip_verify`: TLS certificates are not verified. */
  skipVerify?: boolean;
  /** More configuration for this command alone, given after the credentials' header (never secrets). */
  config?: Readonly<Record<string, string>>;
}

/** The Authorization header value git sends; whoever shows git's output masks it along with the password. */
export function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** The environment of one git command; nothing of `process.env` is in it. */
export function gitEnvironment(options: GitEnvironmentOptions): Record<string, string> {
  const environment: Record<string, string> = {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    HOME: options.home,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    // Whatever a remote URL or a redirect names, no ext::, file:// or other transport.
    GIT_ALLOW_PROTOCOL: 'http:https',
  };
  if (options.skipVerify === true) environment.GIT_SSL_NO_VERIFY = 'true';
  const config: [string, string][] = [];
  if (options.credentials !== null)
    config.push(['http.extraHeader', `Authorization: ${basicAuthorization(options.credentials)}`]);
  config.push(...Object.entries(options.config ?? {}));
  if (config.length > 0) environment.GIT_CONFIG_COUNT = String(config.length);
  for (const [index, [key, value]] of config.entries()) {
    environment[`GIT_CONFIG_KEY_${index}`] = key;
    environment[`GIT_CONFIG_VALUE_${index}`] = value;
  }
  return environment;
}

/**
 * The strings of `credentials` that must never appear in a message: the password, the Basic header's base64,
 * and the username when it may be an access token (Gogs accepts one as the username; tokens are 40 characters,
 * so a shorter username is a login name, left readable).
 */
export function credentialSecrets(credentials: GitCredentials): string[] {
  if (credentials === null) return [];
  const secrets = [basicAuthorization(credentials).slice('Basic '.length), credentials.password];
  if (credentials.username.length >= 16) secrets.push(credentials.username);
  return secrets.filter((secret) => secret !== '');
}
