import type { Config } from './load-config.ts';

/** One line per INSECURE_ switch that weakens how the engines are reached, for every start that connects them to log. */
export function insecureEngineWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.runner.sshAcceptAnyHostKey) {
    warnings.push(
      'config: DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY is on: ssh:// engines are not checked against pinned host keys, so whoever sits in between gets the Docker engine; pin the keys (DRONE_GOGS_SSH_KNOWN_HOSTS or "sshHostKeys" in the engines file) and turn it off',
    );
  }
  return warnings;
}
